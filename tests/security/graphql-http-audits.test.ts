import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditServer } from "graphql-http";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

// The GraphQL-over-HTTP compliance suite (graphql-http's own audits, not written by us) against
// /graphql, authenticated with an API key. Every MUST passes; any other result is listed here
// with its reason.

const enabled = await requirePostgres();

// Audits that do not pass, and why. Each id must stay in this list only while it fails.
const KNOWN: Record<string, string> = {};

describe.skipIf(!enabled)("graphql-http server audits", () => {
  let t: TestApp;
  let key: string;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    const user = await t.signUp();
    key = (await t.gql(`mutation { createApiKey(name: "audit") { key } }`, { cookie: user.cookie })).body.data.createApiKey.key;
  });
  afterAll(() => t?.close());

  it("passes every MUST of the GraphQL over HTTP spec", async () => {
    const results = await auditServer({
      url: `${t.url}/graphql`,
      // An API client: a bearer key and the CSRF header browsers cannot send cross-site.
      fetchFn: (input: RequestInfo | URL, init?: RequestInit) => {
        const headers = new Headers(init?.headers);
        headers.set("authorization", `Bearer ${key}`);
        headers.set("x-graphql-yoga-csrf", "1");
        return fetch(input, { ...init, headers });
      },
    });
    const failures = results.filter((r) => r.status !== "ok");
    const musts = failures.filter((r) => r.name.startsWith("MUST"));
    expect(musts.map((r) => `${r.id} ${r.name}: ${"reason" in r ? r.reason : ""}`)).toEqual([]);
    const others = failures.filter((r) => !KNOWN[r.id]).map((r) => `${r.id} ${r.status} ${r.name}`);
    // Not a failure of the suite, but printed so the report in docs stays true.
    console.info(`graphql-http: ${results.length - failures.length}/${results.length} audits ok${others.length ? `; others:\n${others.join("\n")}` : ""}`);
    expect(results.length).toBeGreaterThanOrEqual(50);
  });
});
