import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

// Known ways around GraphQL limits, oversized WebSocket messages, subscribe floods and
// duplicated OAuth parameters.

const enabled = await requirePostgres();

function rawSocket(t: TestApp, cookie: string) {
  const ws = new WebSocket(`${t.url.replace("http", "ws")}/graphql`, "graphql-transport-ws", { headers: { cookie, origin: t.origin } });
  const messages: any[] = [];
  let closed: { code: number } | null = null;
  ws.on("message", (data) => messages.push(JSON.parse(String(data))));
  ws.on("close", (code) => (closed = { code }));
  const ready = new Promise<void>((resolve, reject) => {
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init" })));
    ws.on("message", (data) => JSON.parse(String(data)).type === "connection_ack" && resolve());
    ws.on("error", reject);
  });
  return { ws, messages, ready, closed: () => closed };
}

describe.skipIf(!enabled)("limits and their known bypasses", () => {
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres", env: { GRAPHQL_MAX_DEPTH: "2" } });
    user = await t.signUp();
  });
  afterAll(() => t?.close());

  it("counts depth through fragments, including one named __schema", async () => {
    const res = await t.gql(`query { ...__schema } fragment __schema on Query { viewer { workspace { id } } }`, { cookie: user.cookie });
    expect(res.body.data).toBeUndefined();
    expect(JSON.stringify(res.body.errors)).toMatch(/depth/i);
    const aliased = await t.gql(`query { __schema: viewer { workspace { id } } }`, { cookie: user.cookie });
    expect(JSON.stringify(aliased.body.errors)).toMatch(/depth|alias/i);
  });

  it("bounds introspection nesting by tokens and cost", async () => {
    let inner = "name";
    for (let i = 0; i < 60; i++) inner = `ofType { ${inner} }`;
    const res = await t.gql(`{ __schema { types { fields { type { ${inner} } args { type { ${inner} } } } } } }`, { cookie: user.cookie });
    expect(res.body.data).toBeUndefined();
    expect(JSON.stringify(res.body.errors)).toMatch(/token|cost|depth/i);
    // The full introspection query tools run (GraphiQL, codegen) still works.
    const { getIntrospectionQuery } = await import("graphql");
    const ok = await t.gql(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }), { cookie: user.cookie });
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.__schema.types.length).toBeGreaterThan(20);
  });

  it("closes a WebSocket that sends an oversized message, and keeps serving others", async () => {
    const s = rawSocket(t, user.cookie);
    await s.ready;
    s.ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: `{ providers { id } } # ${"x".repeat(2 * 1024 * 1024)}` } }));
    await new Promise((r) => setTimeout(r, 500));
    expect(s.closed()?.code).toBe(1009);
    expect((await t.gql("{ providers { id } }", { cookie: user.cookie })).status).toBe(200);
  });

  it("refuses a flood of subscriptions on one socket beyond the cap, without closing it", async () => {
    const s = rawSocket(t, user.cookie);
    await s.ready;
    for (let i = 0; i < 150; i++) s.ws.send(JSON.stringify({ id: `s${i}`, type: "subscribe", payload: { query: "subscription { healthStatus { kind } }" } }));
    await new Promise((r) => setTimeout(r, 800));
    const refused = s.messages.filter((m) => m.type === "error" && JSON.stringify(m.payload).includes("TOO_MANY_OPERATIONS"));
    // MAX_SUBSCRIPTIONS_PER_SOCKET (default 50): the 100 beyond it are refused one by one.
    expect(refused.length).toBe(150 - t.app.env.MAX_SUBSCRIPTIONS_PER_SOCKET);
    expect(s.closed()).toBeNull();
    // Completing some frees places.
    for (let i = 0; i < 10; i++) s.ws.send(JSON.stringify({ id: `s${i}`, type: "complete" }));
    await new Promise((r) => setTimeout(r, 200));
    s.ws.send(JSON.stringify({ id: "late", type: "subscribe", payload: { query: "{ viewer { role } }" } }));
    await new Promise((r) => setTimeout(r, 300));
    expect(s.messages.some((m) => m.id === "late" && m.type === "next")).toBe(true);
    s.ws.close();
  });

  it("refuses duplicated state or code parameters in a callback", async () => {
    const started = await t.gql(`mutation { connectIntegration(provider: "google") { authorizationUrl } }`, { cookie: user.cookie });
    const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
    const state = new URL(started.body.data.connectIntegration.authorizationUrl).searchParams.get("state")!;
    const before = t.app.sandbox!.stats("google").tokenRequests.authorization_code;
    const done = await t.gql(`mutation($q: String!) { completeIntegrationConnection(provider: "google", callbackQuery: $q) { errorCode } }`, {
      cookie: `${user.cookie}; ${binding}`,
      variables: { q: `?code=a&code=b&state=${state}&state=${state}` },
    });
    expect(done.body.data.completeIntegrationConnection.errorCode).toMatch(/^(INVALID_REQUEST|INVALID_STATE)$/);
    expect(t.app.sandbox!.stats("google").tokenRequests.authorization_code).toBe(before);
  });
});
