import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { consent } from "../support/sandbox-consent.ts";
import { getAccessToken } from "@switchboard/api/domain/integrations/refresh";
import { openTokens } from "@switchboard/api/domain/integrations/tokens";

// The four built-in providers, connected through the app against the sandbox emulators, which
// follow each provider's documented requests and responses (../shared/providers/*.md).

const enabled = await requirePostgres();

const PROVIDERS = [
  { id: "slack", name: "Slack", account: { id: "T0SANDBOX", name: "Acme Sandbox" }, expires: false },
  { id: "hubspot", name: "HubSpot", account: { name: "acme-sandbox.hubspot.com" }, expires: true },
  { id: "google", name: "Google", account: { name: "sandy@example.com" }, expires: true },
  { id: "salesforce", name: "Salesforce", account: {}, expires: false },
] as const;

describe.skipIf(!enabled)("built-in providers against the sandbox emulators", () => {
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;

  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    user = await t.signUp({ name: "Sandy" });
  });
  afterAll(() => t?.close());

  async function connect(providerId: string, options: { deny?: boolean; untick?: string[] } = {}) {
    const started = await t.gql(`mutation($p: ID!) { connectIntegration(provider: $p) { authorizationUrl } }`, { cookie: user.cookie, variables: { p: providerId } });
    expect(started.body.errors).toBeUndefined();
    const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
    const back = await consent(started.body.data.connectIntegration.authorizationUrl, { origin: t.origin, ...options });
    expect(back.pathname).toBe(`/api/integrations/oauth/callback/${providerId}`);
    const done = await t.gql(`mutation($p: ID!, $q: String!) { completeIntegrationConnection(provider: $p, callbackQuery: $q) { redirectTo errorCode integrationId } }`, {
      cookie: `${user.cookie}; ${binding}`,
      variables: { p: providerId, q: back.search },
    });
    expect(done.body.errors).toBeUndefined();
    return done.body.data.completeIntegrationConnection as { redirectTo: string; errorCode: string | null; integrationId: string | null };
  }

  for (const p of PROVIDERS) {
    describe(p.name, () => {
      it("connects through the consent page, reads the account, and is healthy", async () => {
        const before = t.app.sandbox!.stats(p.id).tokenRequests.authorization_code;
        const done = await connect(p.id);
        expect(done).toMatchObject({ errorCode: null, redirectTo: `/dashboard/integrations?connected=${p.id}` });
        expect(t.app.sandbox!.stats(p.id).tokenRequests.authorization_code - before).toBe(1);
        const res = await t.gql(`query($id: ID!) { integration(id: $id) { status healthStatus account { id name url user } grantedScopes missingScopes provider { name sandbox } } }`, {
          cookie: user.cookie,
          variables: { id: done.integrationId },
        });
        const integration = res.body.data.integration;
        expect(integration).toMatchObject({ status: "CONNECTED", healthStatus: "HEALTHY", missingScopes: [], provider: { name: p.name, sandbox: true } });
        expect(integration.account).toMatchObject(p.account);
        expect(integration.account.name).toBeTruthy();
        expect(integration.account.user).toBeTruthy();
        const test = await t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status steps { step ok code } } }`, { cookie: user.cookie, variables: { id: done.integrationId } });
        expect(test.body.data.testIntegration.status).toBe("HEALTHY");
        expect(test.body.data.testIntegration.steps.map((s: { step: string; ok: boolean }) => [s.step, s.ok])).toEqual([
          ["token", true],
          ["api", true],
          ["identity", true],
          ["scopes", true],
        ]);
      });

      it("refreshes an expiring token (keeping the refresh token when none comes back)", async () => {
        const row = await t.app.db.prisma.integration.findFirstOrThrow({ where: { workspaceId: user.workspaceId, providerId: p.id } });
        const provider = t.app.services.catalog.find((c) => c.id === p.id)!;
        const tokens = openTokens(t.app.vault, row)!;
        if (!tokens.refreshToken) {
          // Slack without token rotation issues no refresh token and its tokens do not expire.
          expect(p.id).toBe("slack");
          expect(row.tokenExpiresAt).toBeNull();
          return;
        }
        if (p.expires) expect(row.tokenExpiresAt!.getTime()).toBeGreaterThan(Date.now());
        await t.app.db.prisma.integration.update({ where: { id: row.id }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
        const before = t.app.sandbox!.stats(p.id).tokenRequests.refresh_token;
        const fresh = await getAccessToken({ services: t.app.services, provider, integrationId: row.id });
        expect(fresh.refreshed).toBe(true);
        expect(t.app.sandbox!.stats(p.id).tokenRequests.refresh_token - before).toBe(1);
        const after = openTokens(t.app.vault, await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: row.id } }))!;
        expect(after.accessToken).not.toBe(tokens.accessToken);
        expect(after.refreshToken).toBeTruthy();
      });

      it("disconnects: revokes at the provider, deletes the tokens, keeps the history", async () => {
        const row = await t.app.db.prisma.integration.findFirstOrThrow({ where: { workspaceId: user.workspaceId, providerId: p.id } });
        const before = t.app.sandbox!.stats(p.id).revocations;
        const res = await t.gql(`mutation($id: ID!) { disconnectIntegration(id: $id) { disconnected revoked revocationError integration { status healthHistory { trigger } } } }`, {
          cookie: user.cookie,
          variables: { id: row.id },
        });
        expect(res.body.data.disconnectIntegration).toMatchObject({ disconnected: true, revoked: true, revocationError: null, integration: { status: "DISCONNECTED" } });
        expect(res.body.data.disconnectIntegration.integration.healthHistory.length).toBeGreaterThanOrEqual(2);
        expect(t.app.sandbox!.stats(p.id).revocations - before).toBe(1);
      });
    });
  }

  it("reports a denial as access_denied and connects nothing", async () => {
    const done = await connect("google", { deny: true });
    expect(done).toMatchObject({ errorCode: "ACCESS_DENIED", redirectTo: "/dashboard/integrations?error=access_denied&provider=google" });
  });

  it("lists scopes a person did not grant as missing, and the check says degraded", async () => {
    const done = await connect("slack", { untick: ["chat:write"] });
    expect(done.errorCode).toBeNull();
    const res = await t.gql(`query($id: ID!) { integration(id: $id) { healthStatus missingScopes grantedScopes } }`, { cookie: user.cookie, variables: { id: done.integrationId } });
    expect(res.body.data.integration.missingScopes).toEqual(["chat:write"]);
    const test = await t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status errorCode message } }`, { cookie: user.cookie, variables: { id: done.integrationId } });
    expect(test.body.data.testIntegration).toMatchObject({ status: "DEGRADED", errorCode: "INSUFFICIENT_SCOPE", message: "Missing scopes: chat:write" });
  });

  it("marks a connection whose grant the provider revoked as reconnect required", async () => {
    const done = await connect("hubspot");
    t.app.sandbox!.setFault("hubspot", { mode: "revoked" });
    await t.app.db.prisma.integration.update({ where: { id: done.integrationId! }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
    const test = await t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status errorCode integration { status } } }`, { cookie: user.cookie, variables: { id: done.integrationId } });
    expect(test.body.data.testIntegration).toMatchObject({ status: "UNHEALTHY", errorCode: "INVALID_GRANT", integration: { status: "REAUTH_REQUIRED" } });
    t.app.sandbox!.reset();
  });

  it("keeps the tokens when the provider cannot revoke, until the user forgets them anyway", async () => {
    const done = await connect("salesforce");
    // Make revocation fail: the sandbox itself is unreachable for this one call.
    const provider = t.app.services.catalog.find((c) => c.id === "salesforce")!;
    const original = provider.revocationUrl;
    provider.revocationUrl = "http://127.0.0.1:9/unreachable";
    try {
      const first = await t.gql(`mutation($id: ID!) { disconnectIntegration(id: $id) { disconnected revoked revocationError integration { status } } }`, { cookie: user.cookie, variables: { id: done.integrationId } });
      expect(first.body.data.disconnectIntegration).toMatchObject({ disconnected: false, revoked: false, revocationError: "NETWORK", integration: { status: "CONNECTED" } });
      expect((await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: done.integrationId! } })).accessTokenEnc).not.toBeNull();
      const forced = await t.gql(`mutation($id: ID!) { disconnectIntegration(id: $id, forget: true) { disconnected revoked integration { status } } }`, { cookie: user.cookie, variables: { id: done.integrationId } });
      expect(forced.body.data.disconnectIntegration).toMatchObject({ disconnected: true, revoked: false, integration: { status: "DISCONNECTED" } });
      const row = await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: done.integrationId! } });
      expect(row).toMatchObject({ accessTokenEnc: null, refreshTokenEnc: null, lastRevocation: "failed:network" });
    } finally {
      provider.revocationUrl = original;
    }
  });
});
