import { createRequire } from "node:module";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "@switchboard/api/env";
import { buildApp } from "@switchboard/api/app";
import { createLogger } from "@switchboard/api/logger";
import { freePort, testSecrets } from "../../support/app.ts";
import { createTestDatabase } from "../../support/postgres.ts";
import { openMigrated, seedReadWorkspace, writeCatalog } from "../lib/seed.ts";
import { CONNECTIONS_PAGE_QUERY, DASHBOARD_QUERY } from "./graphql-read.ts";

// SQL statements per GraphQL operation, from the query log Prisma reports (createDatabase's
// onQuery): every query document the dashboard sends (each module of web/src/lib/graphql that
// builds documents with graphql(), read at run time so a new page's query is covered the day it
// lands), plus benchmark 1's reads (its copy of the dashboard's query when the web's differs,
// and an API client's page), for a workspace of 10 connections (and 10 of everything
// else) and one of 1,000. Equal counts mean no N+1.

const { print, parse } = createRequire(join(import.meta.dirname, "../../../api/package.json"))("graphql") as typeof import("graphql");

export type SqlCountRow = { operation: string; small: number; large: number; equal: boolean; errors: string[]; statements: string[] };

type Doc = { name: string; text: string };

export async function dashboardQueries(): Promise<Doc[]> {
  const dir = join(import.meta.dirname, "../../../web/src/lib/graphql");
  const modules = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.endsWith(".d.ts") && f !== "graphql.ts");
  const values: unknown[] = [];
  for (const file of modules) {
    if (!/\bgraphql\(/.test(readFileSync(join(dir, file), "utf8"))) continue;
    values.push(...Object.values((await import(join(dir, file))) as Record<string, unknown>));
  }
  const out: Doc[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    const text = typeof value === "string" ? value : value && typeof value === "object" && "kind" in value ? print(value as never) : null;
    if (!text) continue;
    const op = parse(text).definitions.find((d) => d.kind === "OperationDefinition");
    if (seen.has(text)) continue;
    seen.add(text);
    if (op && op.kind === "OperationDefinition" && op.operation === "query") out.push({ name: op.name?.value ?? "anonymous", text });
  }
  // Benchmark 1's reads: its copy of the dashboard's query (counted once when the web still
  // sends the same text) and an API client's page.
  if (!seen.has(DASHBOARD_QUERY)) out.push({ name: "Dashboard (benchmark 1's copy)", text: DASHBOARD_QUERY });
  if (!seen.has(CONNECTIONS_PAGE_QUERY)) out.push({ name: "ConnectionsPage", text: CONNECTIONS_PAGE_QUERY });
  return out;
}

/** Values for the variables the dashboard's queries declare. */
function variablesFor(text: string, ids: { integrationId: string }): Record<string, unknown> {
  // filters, search and cursors left unset: the unfiltered first page is the read that must not
  // grow with the workspace (`first` is 10 for history and 10 for a page of connections: a full
  // page at both sizes)
  const known: Record<string, unknown> = { id: ids.integrationId, first: 10, before: null, after: null, filter: null, search: null, open: null, action: null, actorUserId: null, actorApiKeyId: null, from: null, to: null };
  const op = parse(text).definitions.find((d) => d.kind === "OperationDefinition");
  const out: Record<string, unknown> = {};
  for (const v of op && op.kind === "OperationDefinition" ? op.variableDefinitions ?? [] : []) {
    const name = v.variable.name.value;
    if (!(name in known)) throw new Error(`the dashboard query declares $${name}: give it a value in tests/perf/bench/sql-count.ts`);
    out[name] = known[name];
  }
  return out;
}

export async function measureSqlCounts(sizes = { small: 10, large: 1000 }): Promise<SqlCountRow[]> {
  const tdb = await createTestDatabase("perfsql");
  const dir = mkdtempSync(join(tmpdir(), "sb-perf-sql-"));
  let counting = false;
  let statements: string[] = [];
  const db = await openMigrated(tdb.url, { onQuery: (sql) => counting && statements.push(sql) });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = parseEnv({
    NODE_ENV: "test",
    PORT: String(port),
    PUBLIC_URL: origin,
    DATA_DIR: dir,
    DATABASE_URL: tdb.url,
    HEALTH_SCHEDULER: "off",
    WEBHOOK_DISPATCHER: "off",
    // Two accounts sign up on a Postgres deployment, where sign-up defaults to invite-only.
    SIGNUP: "open",
    PROVIDERS_FILE: writeCatalog(dir, "http://127.0.0.1:9"),
    ...testSecrets(),
  });
  const app = await buildApp({ env, db, logger: createLogger({ level: "error" }) });
  await app.listen(port, "127.0.0.1");
  try {
    const signUp = async (name: string) => {
      const email = `${name}-${Date.now()}@perf.test`;
      const res = await fetch(`${origin}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin },
        body: JSON.stringify({ email, password: "correct horse battery", name }),
      });
      if (res.status !== 200) throw new Error(`sign-up: ${res.status} ${await res.text()}`);
      // Sign-up starts no session: the cookie comes from signing in.
      const signIn = await fetch(`${origin}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json", origin }, body: JSON.stringify({ email, password: "correct horse battery" }) });
      if (signIn.status !== 200) throw new Error(`sign-in: ${signIn.status} ${await signIn.text()}`);
      const cookie = signIn.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
      const { user } = (await res.json()) as { user: { id: string } };
      const m = await db.prisma.member.findFirstOrThrow({ where: { userId: user.id } });
      return { cookie, workspace: { workspaceId: m.organizationId, ownerId: user.id } };
    };
    const small = await signUp("small");
    const large = await signUp("large");
    const smallIds = await seedReadWorkspace(db, app.vault, small.workspace, { connections: sizes.small, logs: 12, others: sizes.small });
    const largeIds = await seedReadWorkspace(db, app.vault, large.workspace, { connections: sizes.large, logs: 12, others: sizes.large });

    const count = async (doc: Doc, who: { cookie: string }, integrationId: string) => {
      const body = JSON.stringify({ query: doc.text, variables: variablesFor(doc.text, { integrationId }) });
      statements = [];
      counting = true;
      const res = await fetch(`${origin}/graphql`, { method: "POST", headers: { "content-type": "application/json", cookie: who.cookie }, body });
      const json = (await res.json()) as { errors?: { message: string }[] };
      // Let any statement still in flight (none should be) reach the log.
      await new Promise((r) => setTimeout(r, 20));
      counting = false;
      return { n: statements.length, statements, errors: (json.errors ?? []).map((e) => e.message) };
    };
    const rows: SqlCountRow[] = [];
    for (const doc of await dashboardQueries()) {
      // Once to warm caches (a first request may differ: better-auth reads its config once).
      await count(doc, small, smallIds[0]!);
      const a = await count(doc, small, smallIds[0]!);
      const b = await count(doc, large, largeIds[0]!);
      rows.push({ operation: doc.name, small: a.n, large: b.n, equal: a.n === b.n, errors: [...a.errors, ...b.errors], statements: b.statements });
    }
    return rows;
  } finally {
    await app.close();
    await db.close();
    await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await measureSqlCounts();
  for (const r of rows) console.log(r.operation, r.small, r.large, r.errors.join("; "), "\n  " + r.statements.map((s) => s.slice(0, 160)).join("\n  "));
}
