import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { INVITATION_LOOKUP_PATH, MOUNTED_AUTH_ROUTES } from "@switchboard/api/auth/routes";
import { SANDBOX_PROVIDERS } from "@switchboard/api/sandbox/catalog";

// docs/security.md is the threat model: one row per route and GraphQL operation, saying who may
// call it, what is checked, and which test proves it. This test enumerates what the server
// really mounts and what the schema really has, and fails on anything without a row — so a new
// route or mutation cannot ship without someone writing down who may use it.

const root = join(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const { buildSchema } = createRequire(join(root, "api/package.json"))("graphql") as typeof import("graphql");

/** Every `code` span in the first cell of every table row of docs/security.md. */
function documentedIds(): Set<string> {
  const ids = new Set<string>();
  for (const line of read("docs/security.md").split("\n")) {
    if (!line.startsWith("|") || /^\|\s*-/.test(line)) continue;
    const first = line.split("|")[1] ?? "";
    for (const m of first.matchAll(/`([^`]+)`/g)) ids.add(m[1]!.trim());
  }
  return ids;
}

/** Literal paths app.ts and the sandbox dispatch compare request paths with. */
function literalPaths(file: string): string[] {
  const out = new Set<string>();
  for (const m of read(file).matchAll(/path(?:name)? === "(\/[^"]*)"|path(?:name)?\.startsWith\("(\/[^"]*)"\)/g)) out.add((m[1] ?? m[2])!);
  return [...out];
}

/** SvelteKit routes: pages answer GET; endpoints answer the methods they export. */
function webRoutes(): string[] {
  const base = join(root, "web/src/routes");
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const route =
        "/" +
        relative(base, dir)
          .split(sep)
          .filter((segment) => segment && !/^\(.*\)$/.test(segment))
          .join("/");
      if (name === "+page.svelte" || name === "+page.server.ts") out.push(`GET ${route}`);
      if (name === "+page.server.ts" && /export const actions/.test(readFileSync(path, "utf8"))) out.push(`POST ${route}`);
      if (name === "+server.ts") for (const m of readFileSync(path, "utf8").matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\b/g)) out.push(`${m[1]} ${route}`);
    }
  };
  walk(base);
  return [...new Set(out)];
}

describe("docs/security.md covers every route and operation", () => {
  const ids = documentedIds();
  const has = (id: string) => ids.has(id);
  // An exact path needs its own row; a prefix ("/sandbox/") is covered by rows for what is under it.
  const routeDocumented = (path: string) =>
    [...ids].some((id) => {
      const documented = id.split(/\s+/)[1] ?? "";
      return documented === path || (path.endsWith("/") && documented.startsWith(path));
    });

  it("every GraphQL query, mutation and subscription", () => {
    const schema = buildSchema(read("schema.graphql"));
    const operations: string[] = [];
    for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const field of Object.keys(type?.getFields() ?? {})) operations.push(`${type!.name}.${field}`);
    }
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.filter((op) => !has(op)), "operations without a row in docs/security.md").toEqual([]);
    // And no row for an operation that no longer exists.
    const stale = [...ids].filter((id) => /^(Query|Mutation|Subscription)\./.test(id) && !operations.includes(id));
    expect(stale, "rows for operations the schema does not have").toEqual([]);
  });

  it("every path the server dispatches on, the auth library's allowlist, and the sandbox's", () => {
    const paths = [...literalPaths("api/src/app.ts"), ...literalPaths("api/src/sandbox/index.ts")];
    expect(paths).toEqual(expect.arrayContaining(["/healthz", "/metrics", "/readyz", "/sandbox", "/sandbox/_control"]));
    expect(paths.filter((path) => !routeDocumented(path)), "server paths without a row").toEqual([]);
    for (const id of ["POST /graphql", "GET /graphql", "WS /graphql", "* /api/auth/*"]) expect(has(id), id).toBe(true);
    const auth = [...MOUNTED_AUTH_ROUTES.map((r) => `${r.method} ${r.path}`), `GET ${INVITATION_LOOKUP_PATH}`];
    expect(auth.filter((id) => !has(id)), "auth routes without a row").toEqual([]);
    expect(SANDBOX_PROVIDERS.filter((p) => !has(`* /sandbox/${p}/*`)), "emulators without a row").toEqual([]);
  });

  it("every SvelteKit page and endpoint", () => {
    const routes = webRoutes();
    expect(routes).toEqual(expect.arrayContaining(["GET /login", "GET /api/integrations/oauth/authorize"]));
    expect(routes.filter((id) => !has(id)), "web routes without a row").toEqual([]);
  });

  it("every test named as proof exists", () => {
    const named = new Set([...read("docs/security.md").matchAll(/`(tests\/[^`]+\.(?:ts))`/g)].map((m) => m[1]!));
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((path) => !existsSync(join(root, path))), "missing test files").toEqual([]);
  });
});
