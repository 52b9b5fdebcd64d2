import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { requirePostgres } from "../support/postgres.ts";

// Issue 12, item 9: the sandbox's controls (faults, options, reset) change what every sandbox
// connection of the instance sees, so only a signed-in owner or admin may use them, under the
// same CSRF rules as the rest of the app. The emulators' OAuth and API endpoints stay public:
// they play the providers.

const hasPostgres = await requirePostgres();

describe.runIf(hasPostgres)("sandbox controls need a signed-in owner or admin", () => {
  let t: TestApp;
  let owner: { cookie: string; userId: string; workspaceId: string };

  beforeAll(async () => {
    t = await startTestApp({ database: "postgres", env: { SIGNUP: "open" } });
    owner = await t.signUp({ name: "Olive Owner" });
  });
  afterAll(() => t?.close());

  /** A person whose only membership has this role. */
  async function personWithRole(role: "viewer" | "member" | "admin") {
    const person = await t.signUp({ name: `A ${role}` });
    await t.app.db.prisma.member.updateMany({ where: { userId: person.userId }, data: { role } });
    return person;
  }

  const control = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/sandbox/_control`, { method: "POST", headers: { "content-type": "application/json", origin: t.origin, ...headers }, body: JSON.stringify(body) });
  const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/sandbox/_control/form`, { method: "POST", redirect: "manual", headers: { origin: t.origin, ...headers }, body: new URLSearchParams(fields) });
  const status = async (id: string, cookie: string) =>
    (await t.gql<{ integration: { status: string; healthStatus: string } }>(`query($id: ID!) { integration(id: $id) { status healthStatus } }`, { cookie, variables: { id } })).body.data!.integration;
  const test = async (id: string, cookie: string) =>
    (await t.gql<{ testIntegration: { status: string } }>(`mutation($id: ID!) { testIntegration(id: $id) { status } }`, { cookie, variables: { id } })).body.data!.testIntegration.status;

  it("an anonymous reset is refused and the connections stay healthy (it used to make every one 'Reconnect required')", async () => {
    const id = await connectSandbox(t, owner, "hubspot");
    expect(await status(id, owner.cookie)).toMatchObject({ status: "CONNECTED", healthStatus: "HEALTHY" });

    const reset = await control({ reset: true });
    expect(reset.status).toBe(401);
    expect(await reset.json()).toMatchObject({ error: "unauthenticated", message: expect.stringMatching(/sign in/i) });

    // Nothing changed at the emulator: the stored tokens still work, a refresh included.
    expect(await test(id, owner.cookie)).toBe("HEALTHY");
    await t.app.db.prisma.integration.update({ where: { id }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
    const refreshes = t.app.sandbox!.stats("hubspot").tokenRequests.refresh_token;
    expect(await test(id, owner.cookie)).toBe("HEALTHY");
    expect(t.app.sandbox!.stats("hubspot").tokenRequests.refresh_token).toBe(refreshes + 1);
    expect(await status(id, owner.cookie)).toMatchObject({ status: "CONNECTED", healthStatus: "HEALTHY" });
  });

  it("anonymous: 401 on every control (JSON, form, page and state); nothing is applied", async () => {
    const fault = await control({ provider: "slack", fault: { mode: "server_error" } });
    expect(fault.status).toBe(401);
    expect(t.app.sandbox!.state().providers.slack.fault.mode).toBe("ok");

    const viaForm = await form({ provider: "slack", mode: "server_error" });
    expect(viaForm.status).toBe(401);
    expect(viaForm.headers.get("content-type")).toMatch(/text\/html/);
    expect(await viaForm.text()).toMatch(/Sign in/);
    expect(t.app.sandbox!.state().providers.slack.fault.mode).toBe("ok");

    const resetForm = await form({ reset: "true" });
    expect(resetForm.status).toBe(401);

    const page = await fetch(`${t.url}/sandbox`);
    expect(page.status).toBe(401);
    const html = await page.text();
    expect(html).toContain('href="/login?next=%2Fsandbox"');
    expect(html).not.toContain("_control/form");

    expect((await fetch(`${t.url}/sandbox/_control`)).status).toBe(401);
    // A forged or stale cookie is anonymous too.
    expect((await control({ reset: true }, { cookie: "switchboard.session_token=forged.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" })).status).toBe(401);
  });

  it("viewers and members: 403 on every control; nothing is applied", async () => {
    for (const role of ["viewer", "member"] as const) {
      const person = await personWithRole(role);
      const reset = await control({ reset: true }, { cookie: person.cookie });
      expect(reset.status, role).toBe(403);
      expect(await reset.json()).toMatchObject({ error: "forbidden", message: expect.stringMatching(/owner or admin/i) });
      expect((await control({ provider: "slack", fault: { mode: "hang" } }, { cookie: person.cookie })).status, role).toBe(403);
      const viaForm = await form({ provider: "slack", mode: "hang" }, { cookie: person.cookie });
      expect(viaForm.status, role).toBe(403);
      expect(await viaForm.text()).toMatch(/owner or admin/i);
      const page = await fetch(`${t.url}/sandbox`, { headers: { cookie: person.cookie } });
      expect(page.status, role).toBe(403);
      expect(await page.text()).not.toContain("_control/form");
      expect((await fetch(`${t.url}/sandbox/_control`, { headers: { cookie: person.cookie } })).status, role).toBe(403);
      expect(t.app.sandbox!.state().providers.slack.fault.mode).toBe("ok");
    }
  });

  it("owners and admins use the page, the form and the JSON endpoint", async () => {
    const admin = await personWithRole("admin");
    for (const person of [owner, admin]) {
      const page = await fetch(`${t.url}/sandbox`, { headers: { cookie: person.cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('action="/sandbox/_control/form"');

      const set = await control({ provider: "google", fault: { mode: "rate_limited", retryAfterSeconds: 7 } }, { cookie: person.cookie });
      expect(set.status).toBe(200);
      expect((await set.json()).providers.google.fault).toEqual({ mode: "rate_limited", retryAfterSeconds: 7 });

      const viaForm = await form({ provider: "google", mode: "ok" }, { cookie: person.cookie });
      expect(viaForm.status).toBe(303);
      expect(viaForm.headers.get("location")).toBe("/sandbox");
      expect(t.app.sandbox!.state().providers.google.fault).toEqual({ mode: "ok" });

      const state = await fetch(`${t.url}/sandbox/_control`, { headers: { cookie: person.cookie } });
      expect(state.status).toBe(200);
    }
  });

  it("an owner's API key may use the JSON endpoint, not the browser page or form; a viewer's key is refused", async () => {
    const created = await t.gql<{ createApiKey: { key: string } }>(`mutation { createApiKey(name: "sandbox drills") { key } }`, { cookie: owner.cookie });
    expect(created.body.errors).toBeUndefined();
    const key = created.body.data!.createApiKey.key;
    const bearer = { authorization: `Bearer ${key}` };
    // A script has no Origin header.
    const set = await fetch(`${t.url}/sandbox/_control`, { method: "POST", headers: { "content-type": "application/json", ...bearer }, body: JSON.stringify({ provider: "slack", fault: { mode: "slow", delayMs: 10 } }) });
    expect(set.status).toBe(200);
    expect(t.app.sandbox!.state().providers.slack.fault).toEqual({ mode: "slow", delayMs: 10 });
    expect((await control({ provider: "slack", fault: { mode: "ok" } }, bearer)).status).toBe(200);

    expect((await fetch(`${t.url}/sandbox`, { headers: bearer })).status).toBe(401);
    expect((await form({ provider: "slack", mode: "hang" }, bearer)).status).toBe(401);
    expect((await control({ reset: true }, { authorization: "Bearer sb_not_a_key" })).status).toBe(401);
    // An owner's key without the read permission (proxy only) is refused, not an error.
    const proxyOnly = await t.gql<{ createApiKey: { key: string } }>(`mutation { createApiKey(name: "proxy only", permissions: [PROXY]) { key } }`, { cookie: owner.cookie });
    expect((await control({ reset: true }, { authorization: `Bearer ${proxyOnly.body.data!.createApiKey.key}` })).status).toBe(403);

    // A key acts with at most its creator's current role.
    const person = await personWithRole("admin");
    const adminKey = await t.gql<{ createApiKey: { key: string } }>(`mutation { createApiKey(name: "demoted") { key } }`, { cookie: person.cookie });
    expect(adminKey.body.errors).toBeUndefined();
    await t.app.db.prisma.member.updateMany({ where: { userId: person.userId }, data: { role: "viewer" } });
    expect((await control({ reset: true }, { authorization: `Bearer ${adminKey.body.data!.createApiKey.key}` })).status).toBe(403);
    expect(t.app.sandbox!.state().providers.slack.fault.mode).toBe("ok");
  });

  it("CSRF: an owner's cookie from an untrusted origin, as text/plain, or from a cross-site form is refused", async () => {
    const evil = await control({ provider: "slack", fault: { mode: "hang" } }, { cookie: owner.cookie, origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toMatchObject({ error: "forbidden" });
    const opaque = await control({ provider: "slack", fault: { mode: "hang" } }, { cookie: owner.cookie, origin: "null" });
    expect(opaque.status).toBe(403);
    const crossSite = await fetch(`${t.url}/sandbox/_control`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: owner.cookie, "sec-fetch-site": "cross-site" },
      body: JSON.stringify({ provider: "slack", fault: { mode: "hang" } }),
    });
    expect(crossSite.status).toBe(403);
    // A simple request (no preflight) a cross-site page could send: JSON only.
    const plain = await fetch(`${t.url}/sandbox/_control`, { method: "POST", headers: { "content-type": "text/plain", origin: t.origin, cookie: owner.cookie }, body: JSON.stringify({ reset: true }) });
    expect(plain.status).toBe(415);
    const viaForm = await form({ provider: "slack", mode: "hang" }, { cookie: owner.cookie, origin: "https://evil.example" });
    expect(viaForm.status).toBe(403);
    const crossSiteForm = await fetch(`${t.url}/sandbox/_control/form`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: owner.cookie, "sec-fetch-site": "cross-site" },
      body: new URLSearchParams({ reset: "true" }),
    });
    expect(crossSiteForm.status).toBe(403);
    expect(t.app.sandbox!.state().providers.slack.fault.mode).toBe("ok");
  });

  it("the emulators' OAuth and API endpoints stay public: they play the providers", async () => {
    const consentPage = await fetch(`${t.url}/sandbox/slack/oauth/v2/authorize?client_id=sandbox-slack&scope=chat:write&redirect_uri=${encodeURIComponent(`${t.origin}/api/integrations/oauth/callback/slack`)}`);
    expect(consentPage.status).toBe(200);
    const api = await fetch(`${t.url}/sandbox/slack/api/auth.test`, { method: "POST" });
    expect(api.status).toBe(200);
    expect(await api.json()).toMatchObject({ ok: false, error: "not_authed" });
    const token = await fetch(`${t.url}/sandbox/hubspot/oauth/v3/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=refresh_token&refresh_token=nope&client_id=sandbox-hubspot&client_secret=sandbox-hubspot-secret" });
    expect(token.status).toBe(400);
  });
});
