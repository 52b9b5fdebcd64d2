import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { DEFAULT_PASSWORD, startTestApp, type TestApp } from "../support/app.ts";

// Hostile and malformed input at every entry point: each gets a clear error, nothing crashes,
// nothing is stored, nothing is reflected.

const enabled = await requirePostgres();

function rawPost(url: string, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: "POST", headers }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe.skipIf(!enabled)("hostile input", () => {
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres", env: { NODE_ENV: "development" } });
    user = await t.signUp();
  });
  afterAll(() => t?.close());

  it("refuses oversized and length-less GraphQL bodies before reading them", async () => {
    const big = JSON.stringify({ query: "{ providers { id } }", variables: { pad: "x".repeat(2 * 1024 * 1024) } });
    const res = await fetch(`${t.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", cookie: user.cookie }, body: big });
    expect(res.status).toBe(413);
    const chunked = await rawPost(t.url, "/graphql", JSON.stringify({ query: "{ providers { id } }" }), { "content-type": "application/json", "transfer-encoding": "chunked", cookie: user.cookie });
    expect(chunked.status).toBe(411);
  });

  it("answers malformed GraphQL requests with 4xx errors, not crashes", async () => {
    const cases: [string, string][] = [
      ["{not json", "application/json"],
      ["[]", "application/json"],
      [JSON.stringify([{ query: "{ providers { id } }" }, { query: "{ providers { id } }" }]), "application/json"],
      [JSON.stringify({ query: 42 }), "application/json"],
      [JSON.stringify({ query: "{ providers { id } }", variables: "not an object" }), "application/json"],
      [JSON.stringify({ query: "query($id: ID!) { integration(id: $id) { id } }", variables: { id: { $gt: "" } } }), "application/json"],
      [JSON.stringify({ query: "{ integration(id: \"" + "a".repeat(5000) + "\") { id } }" }), "application/json"],
    ];
    for (const [body, type] of cases) {
      const res = await fetch(`${t.url}/graphql`, { method: "POST", headers: { "content-type": type, cookie: user.cookie }, body });
      expect(res.status, body.slice(0, 60)).toBeGreaterThanOrEqual(200);
      expect(res.status, body.slice(0, 60)).toBeLessThan(500);
      const text = await res.text();
      expect(text).not.toMatch(/at .*\.ts:\d+|stack/i); // no stack traces
      if (res.status === 200) expect(JSON.parse(text).errors?.length).toBeGreaterThan(0);
    }
    // Still serving.
    expect((await t.gql("{ providers { id } }", { cookie: user.cookie })).status).toBe(200);
  });

  it("never reflects a hostile callback or returnTo, and never stores it", async () => {
    const evil = `<script>alert(1)</script>`;
    const done = await t.gql(`mutation($q: String!) { completeIntegrationConnection(provider: "slack", callbackQuery: $q) { redirectTo errorCode } }`, {
      cookie: user.cookie,
      variables: { q: `?error=${encodeURIComponent(evil)}&error_description=${encodeURIComponent(evil)}&state=${"s".repeat(500)}` },
    });
    expect(done.body.data.completeIntegrationConnection).toEqual({ redirectTo: "/dashboard/integrations?error=invalid_state&provider=slack", errorCode: "INVALID_STATE" });
    const unknown = await t.gql(`mutation { completeIntegrationConnection(provider: "<img src=x>", callbackQuery: "?code=1&state=2") { redirectTo errorCode } }`, { cookie: user.cookie });
    expect(unknown.body.data.completeIntegrationConnection.redirectTo).not.toContain("<");
    const connect = await t.gql(`mutation($r: String) { connectIntegration(provider: "slack", returnTo: $r) { authorizationUrl } }`, { cookie: user.cookie, variables: { r: "javascript:alert(1)" } });
    expect(connect.body.errors).toBeUndefined();
    const state = await t.app.db.prisma.oAuthState.findFirstOrThrow({ orderBy: { createdAt: "desc" } });
    expect(state.returnTo).toBeNull();
    const unknownProvider = await t.gql(`mutation { connectIntegration(provider: "../../etc/passwd") { authorizationUrl } }`, { cookie: user.cookie });
    expect(unknownProvider.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("rejects bad sign-up input with clear errors and slows down password guessing", async () => {
    const signUp = (body: unknown) => fetch(`${t.url}/api/auth/sign-up/email`, { method: "POST", headers: { "content-type": "application/json", origin: t.origin }, body: JSON.stringify(body) });
    expect((await signUp({ email: "not-an-email", password: "long enough pw", name: "x" })).status).toBe(400);
    expect((await signUp({ email: "short@example.test", password: "short", name: "x" })).status).toBe(400);
    expect((await signUp({ email: "nobody@example.test" })).status).toBe(400);
    // A foreign origin cannot sign anyone in (login CSRF).
    const foreign = await fetch(`${t.url}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json", origin: "https://evil.example", cookie: "x=1" }, body: JSON.stringify({ email: user.email, password: "correct horse battery" }) });
    expect(foreign.status).toBe(403);
    const form = await fetch(`${t.url}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ email: user.email, password: "correct horse battery" }).toString() });
    expect(form.status).toBe(415);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${t.url}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json", origin: t.origin }, body: JSON.stringify({ email: user.email, password: `guess-${i}-wrong` }) });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
    expect(statuses).toContain(429);
  });

  it("keeps session cookies httpOnly and SameSite=Lax", async () => {
    const email = `cookie-${Date.now()}@example.test`;
    const post = (path: string, body: unknown) => fetch(`${t.url}/api/auth/${path}`, { method: "POST", headers: { "content-type": "application/json", origin: t.origin }, body: JSON.stringify(body) });
    // Sign-up starts no session; the cookie comes with sign-in.
    expect((await post("sign-up/email", { email, password: DEFAULT_PASSWORD, name: "C" })).status).toBe(200);
    const res = await post("sign-in/email", { email, password: DEFAULT_PASSWORD });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("switchboard.session_token="))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });
});
