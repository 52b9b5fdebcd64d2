import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { waitFor, wsClient, wsQuery, wsSubscribe } from "../support/ws.ts";

// The hardening a plain yoga server lacks (../shared/stack.md): CSRF, CORS, WebSocket Origin,
// operation limits, and per-operation errors over graphql-ws.

const enabled = await requirePostgres();
const EVIL = "https://evil.example";

describe.skipIf(!enabled)("GraphQL hardening", () => {
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;

  beforeAll(async () => {
    // Depth 2 lets a valid query of depth 3 stand in for any too-deep one (this schema has no cycles).
    t = await startTestApp({ database: "postgres", env: { GRAPHQL_MAX_DEPTH: "2", GRAPHQL_MAX_ALIASES: "5" } });
    user = await t.signUp();
  });
  afterAll(() => t?.close());

  const keyCount = () => t.app.db.prisma.apikey.count({ where: { referenceId: user.workspaceId } });

  it("refuses a form-encoded or multipart POST of a mutation (CSRF) and runs nothing", async () => {
    const mutation = 'mutation { createApiKey(name: "csrf") { key } }';
    const form = await fetch(`${t.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: user.cookie, origin: EVIL },
      body: new URLSearchParams({ query: mutation }).toString(),
    });
    expect(form.status).toBe(403);
    const multipart = new FormData();
    multipart.set("operations", JSON.stringify({ query: mutation }));
    multipart.set("map", "{}");
    const mp = await fetch(`${t.url}/graphql`, { method: "POST", headers: { cookie: user.cookie }, body: multipart });
    expect(mp.status).toBe(403);
    const get = await fetch(`${t.url}/graphql?query=${encodeURIComponent(mutation)}`, { headers: { cookie: user.cookie } });
    expect(get.status).toBe(403);
    expect(await keyCount()).toBe(0);
    // The same mutation as JSON (a request a browser must preflight) works.
    const json = await t.gql(mutation, { cookie: user.cookie });
    expect(json.body.errors).toBeUndefined();
    expect(await keyCount()).toBe(1);
  });

  it("gives a foreign Origin no CORS allow headers, and our own origin credentialed ones", async () => {
    const preflight = await fetch(`${t.url}/graphql`, {
      method: "OPTIONS",
      headers: { origin: EVIL, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    const post = await fetch(`${t.url}/graphql`, {
      method: "POST",
      headers: { origin: EVIL, "content-type": "application/json", cookie: user.cookie },
      body: JSON.stringify({ query: "{ viewer { role } }" }),
    });
    expect(post.headers.get("access-control-allow-origin")).toBeNull();

    const ours = await fetch(`${t.url}/graphql`, {
      method: "OPTIONS",
      headers: { origin: t.origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(ours.headers.get("access-control-allow-origin")).toBe(t.origin);
    expect(ours.headers.get("access-control-allow-credentials")).toBe("true");
  });

  it("refuses a WebSocket upgrade from a foreign Origin, and accepts our own", async () => {
    const status = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${t.url.replace("http", "ws")}/graphql`, "graphql-transport-ws", { headers: { origin, cookie: user.cookie } });
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("open", () => {
          ws.close();
          resolve(101);
        });
        ws.on("error", reject);
      });
    expect(await status(EVIL)).toBe(403);
    expect(await status(t.origin)).toBe(101);
  });

  it("answers a too-deep query over graphql-ws with an error for that operation; the other subscription keeps working", async () => {
    const client = wsClient(t.url, { headers: { cookie: user.cookie, origin: t.origin } });
    let closes = 0;
    client.on("closed", () => closes++);
    try {
      const sub = wsSubscribe(client, "subscription { healthStatus { integrationId healthStatus kind } }");
      const deep = await wsQuery(client, "{ viewer { workspace { id } } }");
      expect(deep.data).toBeUndefined();
      expect(JSON.stringify(deep.errors)).toMatch(/depth/i);
      const syntax = await wsQuery(client, "{ viewer { ");
      expect(JSON.stringify(syntax.errors)).toMatch(/Syntax Error|Syntax error/);
      const aliases = await wsQuery(client, `{ ${Array.from({ length: 8 }, (_, i) => `a${i}: providers { id }`).join(" ")} }`);
      expect(JSON.stringify(aliases.errors)).toMatch(/alias/i);

      // The subscription opened before the failures still delivers events. (It registers
      // asynchronously, so the first event is repeated until it arrives.)
      const event = {
        integrationId: "i-1",
        workspaceId: user.workspaceId,
        providerId: "slack",
        status: "CONNECTED" as const,
        healthStatus: "HEALTHY" as const,
        healthMessage: null,
        errorCode: null,
        checkedAt: new Date().toISOString(),
        kind: "check",
      };
      const repeat = setInterval(() => sub.events.length === 0 && t.app.realtime.publish("health:workspace", user.workspaceId, event), 25);
      await waitFor(() => sub.events.length >= 1, 5000, "the subscription event").finally(() => clearInterval(repeat));
      await new Promise((r) => setTimeout(r, 100)); // let repeats in flight land
      expect(sub.events[0]!.data).toEqual({ healthStatus: { integrationId: "i-1", healthStatus: "HEALTHY", kind: "CHECK" } });
      expect(sub.errors).toEqual([]);
      expect(closes).toBe(0);
      // An event of another workspace never reaches this subscriber.
      sub.events.length = 0;
      t.app.realtime.publish("health:workspace", "another-workspace", { ...event, integrationId: "i-2", workspaceId: "another-workspace" });
      t.app.realtime.publish("health:workspace", user.workspaceId, { ...event, integrationId: "i-3" });
      await waitFor(() => sub.events.length === 1, 5000, "the second event");
      await new Promise((r) => setTimeout(r, 100));
      expect(sub.events.map((e) => (e.data as any).healthStatus.integrationId)).toEqual(["i-3"]);
      sub.dispose();
    } finally {
      await client.dispose();
    }
  });

  it("applies the same limits over HTTP, and masks unexpected errors", async () => {
    const deep = await t.gql("{ viewer { workspace { id } } }", { cookie: user.cookie });
    expect(JSON.stringify(deep.body.errors)).toMatch(/depth/i);
    const tokens = await t.gql(`{ ${"providers { id } ".repeat(1000)} }`, { cookie: user.cookie });
    expect(JSON.stringify(tokens.body.errors)).toMatch(/token/i);
    const suggestion = await t.gql("{ provider { id } }", { cookie: user.cookie });
    expect(JSON.stringify(suggestion.body.errors)).not.toMatch(/Did you mean/);
  });

  it("sends security headers on every response", async () => {
    for (const path of ["/healthz", "/graphql", "/nope"]) {
      const res = await fetch(`${t.url}${path}`);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
    }
  });
});
