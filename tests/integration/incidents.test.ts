import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "@switchboard/api/db";
import { buildApp } from "@switchboard/api/app";
import { createLogger } from "@switchboard/api/logger";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";

// Incidents through real checks against the sandbox emulators: one per stretch of failure,
// whatever the number of failed checks; closed by the first answering check or a disconnect;
// kept in the statement that writes the checks (no extra round trip per batch).

const enabled = await requirePostgres();

// Wide margins (as in health.test.ts): a healthy answer, even on a loaded machine, stays far under
// the slow threshold; the slow fault's delay (a timer) is over it and ends far before the check
// timeout (the default, 10 s: no fault here hangs).
const SLOW_THRESHOLD_MS = 1000;
const SLOW_DELAY_MS = 2000;
const PROVIDERS = ["slack", "hubspot", "google", "salesforce"] as const;

const INCIDENT_FIELDS = `id startedAt endedAt durationSeconds errorCode message checksFailed alertsSent open integration { id provider { id name } }`;

describe.skipIf(!enabled)("incidents", () => {
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({
      database: "postgres",
      env: { HEALTH_SLOW_THRESHOLD_MS: String(SLOW_THRESHOLD_MS), HEALTH_CHECK_INTERVAL_SECONDS: "300" },
    });
    user = await t.signUp({ name: "Ida" });
    for (const p of PROVIDERS) ids[p] = await connectSandbox(t, user, p);
  });
  afterAll(() => t?.close());
  beforeEach(() => {
    for (const p of PROVIDERS) t.app.sandbox!.setFault(p, { mode: "ok" });
  });

  const prisma = () => t.app.db.prisma;
  /** Makes exactly these connections due (a connect schedules its first check at once). */
  async function onlyDue(integrationIds: string[]) {
    await prisma().integration.updateMany({ where: { id: { notIn: integrationIds }, status: "CONNECTED" }, data: { nextHealthCheckAt: new Date(Date.now() + 3_600_000) } });
    await prisma().integration.updateMany({ where: { id: { in: integrationIds } }, data: { nextHealthCheckAt: new Date(Date.now() - 1000) } });
  }
  async function sweep(integrationId: string) {
    await onlyDue([integrationId]);
    const summary = await t.app.scheduler.sweep();
    const result = summary.results.find((r) => r.integrationId === integrationId);
    expect(result).toBeDefined();
    return result!;
  }
  const incidentsOf = (integrationId: string) => prisma().incident.findMany({ where: { integrationId }, orderBy: { startedAt: "asc" } });

  it("one incident across consecutive failed checks, closed at recovery with its duration and count", async () => {
    t.app.sandbox!.setFault("google", { mode: "server_error" });
    const failing = 4;
    for (let i = 0; i < failing; i++) await sweep(ids.google!);
    const open = await incidentsOf(ids.google!);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ endedAt: null, checksFailed: failing, errorCode: "provider_error", providerId: "google", alertsSent: 0 });
    const firstFailed = await prisma().integrationHealthLog.findFirstOrThrow({ where: { integrationId: ids.google, trigger: "SCHEDULED", errorCode: "provider_error" }, orderBy: { checkedAt: "asc" } });
    expect(open[0]!.firstCheckId).toBe(firstFailed.id);
    expect(open[0]!.startedAt.getTime()).toBe(firstFailed.checkedAt.getTime());

    t.app.sandbox!.setFault("google", { mode: "ok" });
    await sweep(ids.google!);
    await sweep(ids.google!); // a second answering check changes nothing more
    const [closed] = await incidentsOf(ids.google!);
    const recovery = await prisma().integrationHealthLog.findFirstOrThrow({ where: { integrationId: ids.google, checkedAt: { gt: open[0]!.startedAt }, errorCode: null }, orderBy: { checkedAt: "asc" } });
    expect(closed).toMatchObject({ id: open[0]!.id, checksFailed: failing });
    expect(closed!.endedAt!.getTime()).toBe(recovery.checkedAt.getTime());
    expect(await incidentsOf(ids.google!)).toHaveLength(1);

    const res = await t.gql(`query($id: ID!) { integration(id: $id) { incidents(first: 5) { ${INCIDENT_FIELDS} } } }`, { cookie: user.cookie, variables: { id: ids.google } });
    expect(res.body.errors).toBeUndefined();
    const [shown] = res.body.data.integration.incidents;
    expect(shown).toMatchObject({ id: closed!.id, open: false, checksFailed: failing, errorCode: "PROVIDER_ERROR", alertsSent: 0, integration: { id: ids.google, provider: { id: "google" } } });
    expect(shown.durationSeconds).toBe(Math.round((closed!.endedAt!.getTime() - closed!.startedAt.getTime()) / 1000));
  });

  it("a slow but answering provider opens no incident", async () => {
    t.app.sandbox!.setFault("salesforce", { mode: "slow", delayMs: SLOW_DELAY_MS });
    const result = await sweep(ids.salesforce!);
    expect(result).toMatchObject({ status: "DEGRADED", errorCode: "slow" });
    expect(await incidentsOf(ids.salesforce!)).toHaveLength(0);
  });

  it("reconnect required opens one; the reconnect's answering check closes it", async () => {
    t.app.sandbox!.setFault("slack", { mode: "unauthorized" });
    expect(await sweep(ids.slack!)).toMatchObject({ reauthRequired: true });
    const [open] = await incidentsOf(ids.slack!);
    expect(open).toMatchObject({ endedAt: null, checksFailed: 1 });
    t.app.sandbox!.setFault("slack", { mode: "ok" });
    expect(await connectSandbox(t, user, "slack")).toBe(ids.slack);
    const after = await incidentsOf(ids.slack!);
    expect(after).toHaveLength(1);
    expect(after[0]!.endedAt).not.toBeNull();
    const callback = await prisma().integrationHealthLog.findFirstOrThrow({ where: { integrationId: ids.slack, trigger: "CALLBACK" }, orderBy: { checkedAt: "desc" } });
    expect(after[0]!.endedAt!.getTime()).toBe(callback.checkedAt.getTime());
  });

  it("a disconnect closes the open incident", async () => {
    t.app.sandbox!.setFault("hubspot", { mode: "server_error" });
    await sweep(ids.hubspot!);
    expect((await incidentsOf(ids.hubspot!))[0]).toMatchObject({ endedAt: null });
    t.app.sandbox!.setFault("hubspot", { mode: "ok" });
    const res = await t.gql(`mutation($id: ID!) { disconnectIntegration(id: $id, forget: true) { disconnected } }`, { cookie: user.cookie, variables: { id: ids.hubspot } });
    expect(res.body.data.disconnectIntegration.disconnected).toBe(true);
    const [closed] = await incidentsOf(ids.hubspot!);
    expect(closed!.endedAt).not.toBeNull();
    const listed = await t.gql(`query { incidents(open: true) { id } }`, { cookie: user.cookie });
    expect(listed.body.data.incidents.map((i: { id: string }) => i.id)).not.toContain(closed!.id);
  });

  it("Query.incidents lists the caller's workspace only, latest first, filtered by open", async () => {
    const all = await t.gql(`query { incidents { ${INCIDENT_FIELDS} } }`, { cookie: user.cookie });
    expect(all.body.errors).toBeUndefined();
    const mine = all.body.data.incidents as { id: string; startedAt: string; open: boolean; integration: { id: string } }[];
    expect(mine.map((i) => i.integration.id).sort()).toEqual([ids.google, ids.hubspot, ids.slack].sort());
    expect([...mine].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).map((i) => i.id)).toEqual(mine.map((i) => i.id));
    const paged = await t.gql(`query($b: DateTime) { incidents(first: 1, before: $b) { id } }`, { cookie: user.cookie, variables: { b: mine[0]!.startedAt } });
    expect(paged.body.data.incidents).toEqual([{ id: mine[1]!.id }]);

    const other = await t.signUp({ name: "Otto" });
    const theirs = await t.gql(`query { incidents { id } }`, { cookie: other.cookie });
    expect(theirs.body.errors).toBeUndefined();
    expect(theirs.body.data.incidents).toEqual([]);
    const peek = await t.gql(`query($id: ID!) { integration(id: $id) { incidents { id } } }`, { cookie: other.cookie, variables: { id: ids.google } });
    expect(peek.body.data.integration).toBeNull();
    const anonymous = await t.gql(`query { incidents { id } }`);
    expect(anonymous.body.data?.incidents ?? null).toBeNull();
  });

  it("keeps incidents in the statement that writes each batch of checks, and lists them without N+1", async () => {
    // A second user's workspace, swept and queried by a second replica whose database client
    // counts statements.
    const owner = await t.signUp({ name: "Bea" });
    const theirs: string[] = [];
    for (const p of PROVIDERS) theirs.push(await connectSandbox(t, owner, p));
    const statements: string[] = [];
    const counted: Database = await createDatabase({ url: t.db!.url, dataDir: mkdtempSync(join(tmpdir(), "sb-incidents-")), poolSize: 4, onQuery: (sql) => statements.push(sql) });
    const replica = await buildApp({ env: { ...t.app.env, DATA_DIR: mkdtempSync(join(tmpdir(), "sb-incidents-replica-")) }, db: counted, logger: createLogger({ level: "silent" }) });
    try {
      for (const p of PROVIDERS) t.app.sandbox!.setFault(p, { mode: "server_error" });
      for (let round = 1; round <= 2; round++) {
        await onlyDue(theirs);
        statements.length = 0;
        const summary = await replica.scheduler.sweep();
        expect(summary.results.filter((r) => theirs.includes(r.integrationId))).toHaveLength(4);
        const writes = statements.filter((s) => /^\s*WITH v AS/.test(s));
        // At most one statement per batch (a sweep's first check goes alone), and no other
        // statement touches the incident table.
        expect(writes.length).toBeGreaterThanOrEqual(1);
        expect(writes.length).toBeLessThanOrEqual(summary.results.length);
        expect(statements.filter((s) => /"incident"/.test(s) && !/^\s*WITH v AS/.test(s))).toEqual([]);
        const rows = await t.app.db.prisma.incident.findMany({ where: { integrationId: { in: theirs } } });
        expect(rows).toHaveLength(4);
        expect(rows.every((r) => r.endedAt === null && r.checksFailed === round)).toBe(true);
      }

      // The same number of statements for one incident as for four, through both fields.
      const ask = async (query: string) => {
        statements.length = 0;
        const res = await replica.yoga.fetch("http://localhost/graphql", { method: "POST", headers: { "content-type": "application/json", cookie: owner.cookie }, body: JSON.stringify({ query }) });
        const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown };
        expect(body.errors).toBeUndefined();
        return { body, incidentStatements: statements.filter((s) => /"incident"/.test(s)).length, total: statements.length };
      };
      const one = await ask(`{ incidents(first: 1) { ${INCIDENT_FIELDS} } }`);
      const four = await ask(`{ incidents(first: 10) { ${INCIDENT_FIELDS} } }`);
      expect((four.body.data!.incidents as unknown[]).length).toBe(4);
      expect(four.incidentStatements).toBe(one.incidentStatements);
      expect(four.total).toBe(one.total);
      const perConnection = await ask(`{ integrations { nodes { id incidents(first: 5) { ${INCIDENT_FIELDS} } } } }`);
      // One batched read of the four connections' incidents, and one batched read of their
      // connections (Incident.integration): never one per connection.
      expect(perConnection.incidentStatements).toBeLessThanOrEqual(2);
      expect(statements.filter((s) => /FROM "public"\."incident"/.test(s)).every((s) => / IN \(\$1,\$2,\$3,\$4\)/.test(s))).toBe(true);
    } finally {
      await replica.close();
      await counted.close();
    }
  });
});
