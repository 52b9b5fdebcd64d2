import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { consent } from "../support/sandbox-consent.ts";
import { getAccessToken } from "@switchboard/api/domain/integrations/refresh";
import { openTokens } from "@switchboard/api/domain/integrations/tokens";

// Issue 11 against the emulators: the providers as they answer today (Google's iss, HubSpot
// without v1, Slack token rotation, grants revoked at the provider, quota 403s, live scopes,
// Salesforce sandboxes and My Domains, short-lived tokens, refresh races). The same behaviours
// are checked against the providers' documented answers in providers-docs.test.ts.

const enabled = await requirePostgres();
const root = join(import.meta.dirname, "../..");

type Done = { redirectTo: string; errorCode: string | null; integrationId: string | null };

describe.skipIf(!enabled)("providers as they answer today (emulators)", () => {
  const secrets = testSecrets();
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;

  beforeAll(async () => {
    t = await startTestApp({ database: "postgres", env: secrets });
    user = await t.signUp({ name: "Sandy" });
  });
  afterAll(() => t?.close());
  beforeEach(() => t.app.sandbox!.reset());

  async function start(providerId: string, org?: string) {
    return t.gql(`mutation($p: ID!, $o: String) { connectIntegration(provider: $p, org: $o) { authorizationUrl } }`, { cookie: user.cookie, variables: { p: providerId, o: org } });
  }

  async function connect(providerId: string, options: { org?: string; untick?: string[]; query?: (q: URLSearchParams) => void } = {}): Promise<Done & { authorizationUrl: string; callback: URLSearchParams }> {
    const started = await start(providerId, options.org);
    expect(started.body.errors).toBeUndefined();
    const authorizationUrl = started.body.data.connectIntegration.authorizationUrl as string;
    const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
    const back = await consent(authorizationUrl, { origin: t.origin, untick: options.untick });
    expect(back.pathname).toBe(`/api/integrations/oauth/callback/${providerId}`);
    const callback = new URLSearchParams(back.search);
    options.query?.(callback);
    const done = await t.gql(`mutation($p: ID!, $q: String!) { completeIntegrationConnection(provider: $p, callbackQuery: $q) { redirectTo errorCode integrationId } }`, {
      cookie: `${user.cookie}; ${binding}`,
      variables: { p: providerId, q: `?${callback}` },
    });
    expect(done.body.errors).toBeUndefined();
    return { ...done.body.data.completeIntegrationConnection, authorizationUrl, callback };
  }

  const integration = (id: string) =>
    t.gql(`query($id: ID!) { integration(id: $id) { status healthStatus healthErrorCode healthMessage org account { id name url user } grantedScopes missingScopes suggestedAction } }`, { cookie: user.cookie, variables: { id } }).then((r) => r.body.data.integration);
  const test = (id: string) => t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status errorCode message steps { step ok code } integration { status } } }`, { cookie: user.cookie, variables: { id } }).then((r) => r.body.data.testIntegration);
  const disconnect = (id: string, forget = false) =>
    t.gql(`mutation($id: ID!, $f: Boolean) { disconnectIntegration(id: $id, forget: $f) { disconnected revoked alreadyRevoked revocationError integration { status } } }`, { cookie: user.cookie, variables: { id, f: forget } }).then((r) => r.body.data.disconnectIntegration);
  const provider = (id: string) => t.app.services.catalog.find((c) => c.id === id)!;
  const row = (id: string) => t.app.db.prisma.integration.findUniqueOrThrow({ where: { id } });
  const stats = (id: "slack" | "hubspot" | "google" | "salesforce") => t.app.sandbox!.stats(id);

  describe("1. issuers", () => {
    it("connects Google through a redirect carrying iss=https://accounts.google.com and Google's other parameters", async () => {
      const done = await connect("google");
      expect(done.callback.get("iss")).toBe("https://accounts.google.com");
      expect(done.callback.get("authuser")).toBe("0");
      expect(done.callback.get("hd")).toBe("example.com");
      expect(done.callback.get("scope")).toContain("https://www.googleapis.com/auth/userinfo.email");
      expect(done).toMatchObject({ errorCode: null, redirectTo: "/dashboard/integrations?connected=google" });
      expect(await integration(done.integrationId!)).toMatchObject({ status: "CONNECTED", healthStatus: "HEALTHY", missingScopes: [] });
    });

    it("connects Google accounts that do not send iss yet", async () => {
      t.app.sandbox!.setOptions("google", { issParameter: false });
      const done = await connect("google");
      expect(done.callback.has("iss")).toBe(false);
      expect(done.errorCode).toBeNull();
    });

    it("refuses an iss that is not the provider's issuer, before any token request (mix-up defence)", async () => {
      const before = stats("google").tokenRequests.authorization_code;
      const wrong = await connect("google", { query: (q) => q.set("iss", "https://oauth2.googleapis.com") });
      expect(wrong).toMatchObject({ errorCode: "INVALID_REQUEST", integrationId: null });
      // A provider that names no issuer accepts only its authorization endpoint's origin.
      const slack = await connect("slack", { query: (q) => q.set("iss", "https://evil.example") });
      expect(slack.errorCode).toBe("INVALID_REQUEST");
      expect(stats("google").tokenRequests.authorization_code).toBe(before);
      const origin = await connect("slack", { query: (q) => q.set("iss", new URL(provider("slack").authorizationUrl).origin) });
      expect(origin.errorCode).toBeNull();
    });
  });

  describe("2. HubSpot without v1", () => {
    it("connect → check → refresh → disconnect with every /oauth/v1 path answering 404", async () => {
      t.app.sandbox!.setOptions("hubspot", { v1Retired: true });
      const done = await connect("hubspot");
      expect(done.errorCode).toBeNull();
      expect(await integration(done.integrationId!)).toMatchObject({
        status: "CONNECTED",
        healthStatus: "HEALTHY",
        account: { id: "4242", name: "acme-sandbox.hubspot.com", user: "sandy@example.com" },
        grantedScopes: ["oauth", "crm.objects.contacts.read"],
      });
      expect((await test(done.integrationId!)).status).toBe("HEALTHY");
      await t.app.db.prisma.integration.update({ where: { id: done.integrationId! }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
      const refreshes = stats("hubspot").tokenRequests.refresh_token;
      expect((await test(done.integrationId!)).status).toBe("HEALTHY");
      expect(stats("hubspot").tokenRequests.refresh_token - refreshes).toBe(1);
      const { refreshToken } = openTokens(t.app.vault, await row(done.integrationId!))!;
      const introspect = () =>
        fetch(`${provider("hubspot").tokenUrl}/introspect`, { method: "POST", body: new URLSearchParams({ client_id: "sandbox-hubspot", client_secret: "sandbox-hubspot-secret", token_type_hint: "refresh_token", token: refreshToken! }) }).then((r) => r.json());
      expect(await introspect()).toMatchObject({ active: true });
      expect(await disconnect(done.integrationId!)).toMatchObject({ disconnected: true, revoked: true, alreadyRevoked: false });
      // Revoked at HubSpot through v3: the refresh token is dead there now.
      expect(await introspect()).toEqual({ active: false });
    });
  });

  describe("3. Slack token rotation", () => {
    it("an expired rotating token answers token_expired: the check refreshes once, retries, and stays healthy", async () => {
      t.app.sandbox!.setOptions("slack", { rotateRefreshTokens: true, accessTokenLifetimeSeconds: 2 });
      const done = await connect("slack");
      const stored = await row(done.integrationId!);
      expect(stored.tokenExpiresAt).not.toBeNull();
      await new Promise((r) => setTimeout(r, 2200));
      // The row still believes the token is good (as after clock skew): Slack says token_expired.
      await t.app.db.prisma.integration.update({ where: { id: stored.id }, data: { tokenExpiresAt: new Date(Date.now() + 3_600_000), tokenIssuedAt: new Date() } });
      const refreshes = stats("slack").tokenRequests.refresh_token;
      const result = await test(done.integrationId!);
      expect(result).toMatchObject({ status: "HEALTHY", integration: { status: "CONNECTED" } });
      expect(stats("slack").tokenRequests.refresh_token - refreshes).toBe(1);
    });

    it("a refresh Slack refuses (invalid_refresh_token) means reconnect", async () => {
      t.app.sandbox!.setOptions("slack", { rotateRefreshTokens: true });
      const done = await connect("slack");
      t.app.sandbox!.setFault("slack", { mode: "revoked" });
      await t.app.db.prisma.integration.update({ where: { id: done.integrationId! }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
      expect(await test(done.integrationId!)).toMatchObject({ status: "UNHEALTHY", errorCode: "INVALID_GRANT", integration: { status: "REAUTH_REQUIRED" } });
    });

    it("the identity layer compares the team id Slack reports now with the stored one", async () => {
      const done = await connect("slack");
      expect((await integration(done.integrationId!)).account).toMatchObject({ id: "T0SANDBOX", name: "Acme Sandbox" });
      await t.app.db.prisma.integration.update({ where: { id: done.integrationId! }, data: { account: { id: "T0OTHER", name: "Another workspace" } } });
      const result = await test(done.integrationId!);
      expect(result.steps.find((s: { step: string }) => s.step === "identity")).toMatchObject({ ok: false, code: "IDENTITY_CHANGED" });
    });
  });

  describe("4. revoked at the provider", () => {
    for (const id of ["google", "salesforce", "slack", "hubspot"] as const) {
      it(`${id}: a grant already removed at the provider disconnects, and says so`, async () => {
        const done = await connect(id);
        t.app.sandbox!.setFault(id, { mode: "revoked" });
        t.app.sandbox!.setFault(id, { mode: "ok" });
        const result = await disconnect(done.integrationId!);
        expect(result).toMatchObject({ disconnected: true, revoked: true, alreadyRevoked: true, revocationError: null, integration: { status: "DISCONNECTED" } });
        expect(await row(done.integrationId!)).toMatchObject({ accessTokenEnc: null, refreshTokenEnc: null, lastRevocation: "already-revoked" });
      });
    }

    it("a provider that fails (5xx) or rate limits (429) keeps the tokens until the person forgets them", async () => {
      const done = await connect("google");
      const original = provider("google").revocationUrl;
      // The emulator's revocation is never faulted; a server that answers 503, then 429, stands in.
      let status = 503;
      const failing = createServer((_req, res) => res.writeHead(status, { "content-type": "text/html" }).end("<html>unavailable</html>"));
      await new Promise<void>((r) => failing.listen(0, "127.0.0.1", r));
      provider("google").revocationUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/revoke`;
      try {
        expect(await disconnect(done.integrationId!)).toMatchObject({ disconnected: false, alreadyRevoked: false, revocationError: "PROVIDER_ERROR", integration: { status: "CONNECTED" } });
        status = 429;
        const result = await disconnect(done.integrationId!);
        expect(result).toMatchObject({ disconnected: false, alreadyRevoked: false, revocationError: "RATE_LIMITED", integration: { status: "CONNECTED" } });
        expect((await row(done.integrationId!)).accessTokenEnc).not.toBeNull();
      } finally {
        provider("google").revocationUrl = original;
        failing.close();
      }
    });
  });

  describe("5. what a 403 means", () => {
    it("Salesforce over its API limit (403 REQUEST_LIMIT_EXCEEDED) is rate limited: no refresh, no reconnect", async () => {
      const done = await connect("salesforce");
      t.app.sandbox!.setFault("salesforce", { mode: "rate_limited" });
      const refreshes = stats("salesforce").tokenRequests.refresh_token;
      const result = await test(done.integrationId!);
      expect(result).toMatchObject({ status: "DEGRADED", errorCode: "RATE_LIMITED", integration: { status: "CONNECTED" } });
      expect(stats("salesforce").tokenRequests.refresh_token).toBe(refreshes);
    });

    it("a token the identity service refuses (Salesforce 403 Bad_OAuth_Token) is refreshed once, then reconnect", async () => {
      const done = await connect("salesforce");
      t.app.sandbox!.setFault("salesforce", { mode: "unauthorized" });
      const result = await test(done.integrationId!);
      expect(result).toMatchObject({ status: "UNHEALTHY", integration: { status: "REAUTH_REQUIRED" } });
    });
  });

  describe("6. scopes, live", () => {
    it("a scope unticked on Slack's consent page shows as missing right after connecting", async () => {
      const done = await connect("slack", { untick: ["chat:write"] });
      expect(await integration(done.integrationId!)).toMatchObject({
        healthStatus: "DEGRADED",
        healthErrorCode: "INSUFFICIENT_SCOPE",
        healthMessage: "Missing scopes: chat:write",
        missingScopes: ["chat:write"],
        suggestedAction: "Reconnect to grant chat:write",
      });
    });

    it("the check compares with what the provider grants now, not with what was stored", async () => {
      const done = await connect("google");
      // Stored: fewer scopes than Google reports now (tokeninfo). The check corrects it.
      await t.app.db.prisma.integration.update({ where: { id: done.integrationId! }, data: { grantedScopes: ["openid"] } });
      expect((await integration(done.integrationId!)).missingScopes).toEqual(["email", "profile"]);
      expect((await test(done.integrationId!)).status).toBe("HEALTHY");
      expect((await integration(done.integrationId!)).grantedScopes.sort()).toEqual(["email", "openid", "profile"]);
    });
  });

  describe("7. Salesforce orgs", () => {
    it("a sandbox org: signs in at the test host, shows the org's name, refreshes and revokes there", async () => {
      const done = await connect("salesforce", { org: "sandbox" });
      expect(new URL(done.authorizationUrl).pathname).toBe("/sandbox/salesforce/test/services/oauth2/authorize");
      expect(done.errorCode).toBeNull();
      const i = await integration(done.integrationId!);
      expect(i).toMatchObject({ org: "sandbox", healthStatus: "HEALTHY", account: { id: "00D7Q00000UATSBUA5", name: "Acme UAT Sandbox" } });
      expect(i.account.url).toMatch(/\/sandbox\/salesforce\/test$/);
      // The emulator binds tokens to the host that issued them: a refresh at the production
      // host would answer invalid_grant.
      await t.app.db.prisma.integration.update({ where: { id: done.integrationId! }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
      expect((await getAccessToken({ services: t.app.services, provider: provider("salesforce"), integrationId: done.integrationId! })).refreshed).toBe(true);
      expect((await test(done.integrationId!)).status).toBe("HEALTHY");
      expect(await disconnect(done.integrationId!)).toMatchObject({ disconnected: true, revoked: true, alreadyRevoked: false });
    });

    it("a My Domain: validated, normalised, and signed in at that domain", async () => {
      const done = await connect("salesforce", { org: "acme" });
      expect(new URL(done.authorizationUrl).pathname).toBe("/sandbox/salesforce/my/acme/services/oauth2/authorize");
      expect(await integration(done.integrationId!)).toMatchObject({ org: "https://acme.my.salesforce.com", account: { name: "Acme Sandbox Org" } });
    });

    it("production by default, with the org's name rather than a host name", async () => {
      const done = await connect("salesforce");
      expect(await integration(done.integrationId!)).toMatchObject({ org: "production", account: { id: "00D0S00000SANDBXAA", name: "Acme Sandbox Org" } });
    });

    it("refuses an org that is not production, sandbox or a My Domain, with a clear reason", async () => {
      for (const org of ["https://acme.lightning.force.com", "http://acme.my.salesforce.com", "https://evil.example", "https://acme.my.salesforce.com/path", "acme..x", "x".repeat(300)]) {
        const res = await start("salesforce", org);
        expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", reason: "invalid_org" });
      }
      const lightning = await start("salesforce", "https://acme.lightning.force.com");
      expect(lightning.body.errors![0]!.message).toMatch(/My Domain URL/);
      // Other providers do not take an org.
      expect((await start("slack", "sandbox")).body.errors?.[0]?.extensions).toMatchObject({ reason: "invalid_org" });
    });
  });

  describe("8. short-lived tokens", () => {
    it("a 5-second token is not refreshed on every use (the margin is at most half its lifetime)", async () => {
      t.app.sandbox!.setOptions("slack", { rotateRefreshTokens: true, accessTokenLifetimeSeconds: 5 });
      const done = await connect("slack");
      const refreshes = stats("slack").tokenRequests.refresh_token;
      for (let i = 0; i < 3; i++) expect((await getAccessToken({ services: t.app.services, provider: provider("slack"), integrationId: done.integrationId! })).refreshed).toBe(false);
      expect(stats("slack").tokenRequests.refresh_token).toBe(refreshes);
    });

    it("five concurrent checks in two processes of an expired 5-second token: one refresh grant, rotation on, all healthy", async () => {
      t.app.sandbox!.setOptions("slack", { rotateRefreshTokens: true, accessTokenLifetimeSeconds: 5 });
      const done = await connect("slack");
      const dir = mkdtempSync(join(tmpdir(), "sb-worker-"));
      const sandbox = `${t.origin}/sandbox/slack`;
      // The second process reaches the same emulator through PROVIDERS_FILE, as a replica would.
      writeFileSync(join(dir, "providers.json"), JSON.stringify({ slack: { clientId: "sandbox-slack", clientSecret: "sandbox-slack-secret", authorizationUrl: `${sandbox}/oauth/v2/authorize`, tokenUrl: `${sandbox}/api/oauth.v2.access`, revocationUrl: `${sandbox}/api/auth.revoke`, apiBaseUrl: `${sandbox}/api` } }));
      const worker: ChildProcess = spawn(join(root, "api/node_modules/.bin/tsx"), [join(root, "tests/support/check-worker.ts")], {
        env: { PATH: process.env.PATH, DATABASE_URL: t.db!.url, ...secrets, PROVIDERS_FILE: join(dir, "providers.json"), PUBLIC_URL: t.origin, SANDBOX: "off", PROVIDER_ID: "slack", INTEGRATION_ID: done.integrationId!, CHECKS: "2", LOG_LEVEL: "warn" },
        stdio: ["pipe", "pipe", "inherit"],
      });
      try {
        const lines = createInterface({ input: worker.stdout! })[Symbol.asyncIterator]();
        expect((await lines.next()).value).toBe("ready");
        await new Promise((r) => setTimeout(r, 5200)); // the access token expires at Slack
        const refreshes = stats("slack").tokenRequests.refresh_token;
        worker.stdin!.write("go\n");
        const here = await Promise.all([0, 1, 2].map(() => test(done.integrationId!)));
        const there = [JSON.parse((await lines.next()).value), JSON.parse((await lines.next()).value)];
        expect([...here, ...there].map((r) => r.status)).toEqual(["HEALTHY", "HEALTHY", "HEALTHY", "HEALTHY", "HEALTHY"]);
        expect(stats("slack").tokenRequests.refresh_token - refreshes).toBe(1);
        // The rotated refresh token was stored: the grant lives on.
        expect((await row(done.integrationId!)).status).toBe("CONNECTED");
      } finally {
        worker.kill();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("9. races", () => {
    async function refreshHeldAtProvider(integrationId: string) {
      // The emulator holds the refresh's answer for 1.5 s; the fault is read when the request
      // arrives, so switching it off afterwards lets everything else through at once.
      t.app.sandbox!.setFault("salesforce", { mode: "slow", delayMs: 1500 });
      await t.app.db.prisma.integration.update({ where: { id: integrationId }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
      const before = stats("salesforce").tokenRequests.refresh_token;
      const refreshing = getAccessToken({ services: t.app.services, provider: provider("salesforce"), integrationId }).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      while (stats("salesforce").tokenRequests.refresh_token === before) await new Promise((r) => setTimeout(r, 10));
      t.app.sandbox!.setFault("salesforce", { mode: "ok" });
      return { refreshing };
    }

    it("a refresh in flight never overwrites the tokens of a newer connect", async () => {
      const first = await connect("salesforce");
      const { refreshing } = await refreshHeldAtProvider(first.integrationId!);
      const again = await connect("salesforce");
      expect(again.integrationId).toBe(first.integrationId);
      const afterConnect = openTokens(t.app.vault, await row(first.integrationId!))!;
      const outcome = (await refreshing) as { value?: { accessToken: string; refreshed: boolean }; error?: unknown };
      expect(outcome.error).toBeUndefined();
      // The late refresh hands back the newer connect's token and stores nothing of its own.
      expect(outcome.value).toMatchObject({ accessToken: afterConnect.accessToken, refreshed: false });
      expect(openTokens(t.app.vault, await row(first.integrationId!))).toEqual(afterConnect);
      expect((await test(first.integrationId!)).status).toBe("HEALTHY");
    });

    it("a refresh in flight never writes tokens back after a disconnect", async () => {
      const done = await connect("salesforce");
      const { refreshing } = await refreshHeldAtProvider(done.integrationId!);
      // Forget anyway, with the provider unreachable for the revocation: the grant stays alive
      // at the provider, so the held refresh succeeds there and must still not be stored.
      const original = provider("salesforce").revocationUrl;
      provider("salesforce").revocationUrl = "http://127.0.0.1:9/unreachable";
      try {
        expect(await disconnect(done.integrationId!, true)).toMatchObject({ disconnected: true, integration: { status: "DISCONNECTED" } });
      } finally {
        provider("salesforce").revocationUrl = original;
      }
      const outcome = (await refreshing) as { error?: { code?: string } };
      expect(outcome.error).toMatchObject({ code: "invalid_grant" });
      expect(await row(done.integrationId!)).toMatchObject({ status: "DISCONNECTED", accessTokenEnc: null, refreshTokenEnc: null, tokenExpiresAt: null });
    });
  });
});
