import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { freePort, startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { startOidcServer, type OidcServer } from "../support/oidc-server.ts";
import { getAccessToken } from "@switchboard/api/domain/integrations/refresh";
import { openTokens } from "@switchboard/api/domain/integrations/tokens";

// The whole connection lifecycle against a real OAuth 2.0 / OIDC server (oidc-provider) with
// PKCE required, refresh-token rotation and RFC 7009 revocation.

const enabled = await requirePostgres();
const root = join(import.meta.dirname, "../..");

const CONNECT = `mutation($p: ID!, $r: String) { connectIntegration(provider: $p, returnTo: $r) { authorizationUrl } }`;
const COMPLETE = `mutation($p: ID!, $q: String!) { completeIntegrationConnection(provider: $p, callbackQuery: $q) { redirectTo errorCode integrationId } }`;

describe.skipIf(!enabled)("OAuth lifecycle with a catalog OIDC provider", () => {
  let oidc: OidcServer;
  let t: TestApp;
  let replica: TestApp;
  let dir: string;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;
  const secrets = testSecrets();

  beforeAll(async () => {
    const appPort = await freePort();
    const oidcPort = await freePort();
    oidc = await startOidcServer({ port: oidcPort, redirectUris: [`http://localhost:${appPort}/api/integrations/oauth/callback/acme`] });
    dir = mkdtempSync(join(tmpdir(), "sb-catalog-"));
    const file = join(dir, "providers.yaml");
    writeFileSync(
      file,
      [
        "acme:",
        "  type: oidc",
        '  name: "Acme ID"',
        `  issuer: "${oidc.issuer}"`,
        `  clientId: ${oidc.clientId}`,
        `  clientSecret: ${oidc.clientSecret}`,
        "  scopes: [openid, offline_access, email, profile]",
        "",
      ].join("\n"),
    );
    const env = { PROVIDERS_FILE: file, ...secrets };
    t = await startTestApp({ database: "postgres", port: appPort, env });
    // A second replica on the same database, for the concurrent refresh below.
    replica = await startTestApp({ database: "postgres", databaseUrl: t.db!.url, env: { ...env, PUBLIC_URL: t.origin } });
    user = await t.signUp({ name: "Olive" });
  });
  afterAll(async () => {
    await replica?.close();
    await t?.close();
    await oidc?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** connectIntegration → the server's login and consent → the redirect's query string and the binding cookie. */
  async function startFlow(options: { returnTo?: string; cookie?: string; deny?: boolean } = {}) {
    const started = await t.gql(CONNECT, { cookie: options.cookie ?? user.cookie, variables: { p: "acme", r: options.returnTo } });
    expect(started.body.errors).toBeUndefined();
    const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!;
    expect(binding).toMatch(/HttpOnly/);
    expect(binding).toMatch(/SameSite=Lax/);
    expect(binding).toMatch(/Path=\/api\/integrations\/oauth/);
    const authorizationUrl = new URL(started.body.data.connectIntegration.authorizationUrl);
    expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorizationUrl.searchParams.get("state")!.length).toBeGreaterThanOrEqual(43);
    const back = await oidc.authorize(authorizationUrl.toString(), { deny: options.deny });
    expect(back.pathname).toBe("/api/integrations/oauth/callback/acme");
    return { query: back.search, bindingCookie: binding.split(";")[0]! };
  }

  const complete = (query: string, cookie: string, provider = "acme") => t.gql(COMPLETE, { cookie, variables: { p: provider, q: query } });

  it("lists the catalog provider as configured", async () => {
    const res = await t.gql("{ providers { id name type configured sandbox } }", { cookie: user.cookie });
    expect(res.body.data.providers).toContainEqual({ id: "acme", name: "Acme ID", type: "oidc", configured: true, sandbox: false });
  });

  it("connects: PKCE, state and iss checked, one token request, tokens sealed, account read", async () => {
    const before = oidc.tokenRequests.authorization_code;
    const { query, bindingCookie } = await startFlow({ returnTo: "/dashboard/integrations?tab=all" });
    expect(new URLSearchParams(query).get("iss")).toBe(oidc.issuer);
    const done = await complete(query, `${user.cookie}; ${bindingCookie}`);
    expect(done.body.errors).toBeUndefined();
    expect(done.body.data.completeIntegrationConnection).toMatchObject({ errorCode: null, redirectTo: "/dashboard/integrations?tab=all&connected=acme" });
    expect(done.setCookies.some((c) => /^switchboard_oauth=;.*Max-Age=0/.test(c))).toBe(true);
    expect(oidc.tokenRequests.authorization_code - before).toBe(1);

    const res = await t.gql("{ integrations { nodes { providerId status healthStatus account { id name } grantedScopes missingScopes } } }", { cookie: user.cookie });
    expect(res.body.data.integrations.nodes).toEqual([
      { providerId: "acme", status: "CONNECTED", healthStatus: "HEALTHY", account: { id: "alice", name: "alice@acme.example" }, grantedScopes: expect.arrayContaining(["openid", "offline_access"]), missingScopes: [] },
    ]);
    const row = await t.app.db.prisma.integration.findFirstOrThrow({ where: { workspaceId: user.workspaceId, providerId: "acme" } });
    expect(row.accessTokenEnc).toMatch(/^v1\./);
    expect(row.refreshTokenEnc).toMatch(/^v1\./);
    const logs = await t.app.db.prisma.integrationHealthLog.findMany({ where: { integrationId: row.id } });
    expect(logs.map((l) => l.trigger)).toEqual(["CALLBACK"]);
  });

  it("refuses replayed, missing, foreign-browser, other-provider and expired states before any token request", async () => {
    const { query, bindingCookie } = await startFlow();
    const cookies = `${user.cookie}; ${bindingCookie}`;
    const before = oidc.tokenRequests.authorization_code;
    const params = new URLSearchParams(query);

    const noState = new URLSearchParams(params);
    noState.delete("state");
    expect((await complete(`?${noState}`, cookies)).body.data.completeIntegrationConnection.errorCode).toBe("INVALID_STATE");
    // Another browser: the same user's session without the binding cookie, or another binding.
    expect((await complete(query, user.cookie)).body.data.completeIntegrationConnection.errorCode).toBe("INVALID_STATE");
    expect((await complete(query, `${user.cookie}; switchboard_oauth=${"x".repeat(43)}`)).body.data.completeIntegrationConnection.errorCode).toBe("INVALID_STATE");
    // Another user's session in the browser that holds the binding.
    const mallory = await t.signUp({ name: "Mallory" });
    expect((await complete(query, `${mallory.cookie}; ${bindingCookie}`)).body.data.completeIntegrationConnection.errorCode).toBe("INVALID_STATE");
    // The state of acme presented at another provider's callback.
    expect((await complete(query, cookies, "google")).body.data.completeIntegrationConnection.errorCode).toBe("INVALID_STATE");
    expect(oidc.tokenRequests.authorization_code).toBe(before);

    // Expired: age the state row past its 10 minutes.
    await t.app.db.prisma.oAuthState.updateMany({ where: { consumedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await complete(query, cookies)).body.data.completeIntegrationConnection.errorCode).toBe("STATE_EXPIRED");
    expect(oidc.tokenRequests.authorization_code).toBe(before);
  });

  it("exchanges the code once when the callback arrives twice at the same moment", async () => {
    const { query, bindingCookie } = await startFlow();
    const before = oidc.tokenRequests.authorization_code;
    const results = await Promise.all([complete(query, `${user.cookie}; ${bindingCookie}`), complete(query, `${user.cookie}; ${bindingCookie}`)]);
    const codes = results.map((r) => r.body.data.completeIntegrationConnection.errorCode).sort();
    expect(codes).toEqual([null, "STATE_MISMATCH"].sort());
    expect(oidc.tokenRequests.authorization_code - before).toBe(1);
    // And a replay later is refused the same way.
    expect((await complete(query, `${user.cookie}; ${bindingCookie}`)).body.data.completeIntegrationConnection.errorCode).toBe("STATE_MISMATCH");
    expect(oidc.tokenRequests.authorization_code - before).toBe(1);
  });

  it("ignores a returnTo that leaves the site", async () => {
    for (const evil of ["https://evil.example/x", "//evil.example", "/\\evil.example", "javascript:alert(1)"]) {
      const { query, bindingCookie } = await startFlow({ returnTo: evil });
      const done = await complete(query, `${user.cookie}; ${bindingCookie}`);
      expect(done.body.data.completeIntegrationConnection.redirectTo).toBe("/dashboard/integrations?connected=acme");
    }
  });

  it("reports a denial at the provider as access_denied", async () => {
    const { query, bindingCookie } = await startFlow({ deny: true });
    expect(new URLSearchParams(query).get("error")).toBe("access_denied");
    const done = await complete(query, `${user.cookie}; ${bindingCookie}`);
    expect(done.body.data.completeIntegrationConnection).toMatchObject({ errorCode: "ACCESS_DENIED", redirectTo: "/dashboard/integrations?error=access_denied&provider=acme" });
  });

  it("refreshes after expiry with rotation; two replicas refreshing at once make one token request and the grant lives on", async () => {
    const row = await t.app.db.prisma.integration.findFirstOrThrow({ where: { workspaceId: user.workspaceId, providerId: "acme" } });
    const before = openTokens(t.app.vault, row)!;
    await t.app.db.prisma.integration.update({ where: { id: row.id }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
    const provider = t.app.services.catalog.find((p) => p.id === "acme")!;
    const refreshesBefore = oidc.tokenRequests.refresh_token;
    const [a, b] = await Promise.all([
      getAccessToken({ services: t.app.services, provider, integrationId: row.id }),
      getAccessToken({ services: replica.app.services, provider: replica.app.services.catalog.find((p) => p.id === "acme")!, integrationId: row.id }),
    ]);
    expect(oidc.tokenRequests.refresh_token - refreshesBefore).toBe(1);
    expect(a.accessToken).toBe(b.accessToken);
    expect([a.refreshed, b.refreshed].sort()).toEqual([false, true]);
    const after = openTokens(t.app.vault, await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: row.id } }))!;
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.refreshToken).not.toBe(before.refreshToken); // rotated, and stored
    // The grant is alive: a check through the refreshed token is healthy, and another refresh works.
    const test = await t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status steps { step ok } } }`, { cookie: user.cookie, variables: { id: row.id } });
    expect(test.body.data.testIntegration.status).toBe("HEALTHY");
    await t.app.db.prisma.integration.update({ where: { id: row.id }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
    expect((await getAccessToken({ services: t.app.services, provider, integrationId: row.id })).refreshed).toBe(true);
  });

  it("two replicas' sweeps and a \"Test connection\" click on the same expired connection at the same moment: one token request, one check each, the grant lives on", async () => {
    const row = await t.app.db.prisma.integration.findFirstOrThrow({ where: { workspaceId: user.workspaceId, providerId: "acme" } });
    await t.app.db.prisma.integration.update({ where: { id: row.id }, data: { tokenExpiresAt: new Date(Date.now() - 1000), nextHealthCheckAt: new Date(Date.now() - 1000) } });
    const refreshesBefore = oidc.tokenRequests.refresh_token;
    const historyBefore = await t.app.db.prisma.integrationHealthLog.count({ where: { integrationId: row.id } });
    const [sweepA, sweepB, test] = await Promise.all([
      t.app.scheduler.sweep(),
      replica.app.scheduler.sweep(),
      // The UI's "Test connection", sent to the second replica over HTTP with the user's cookie.
      replica.gql(`mutation($id: ID!) { testIntegration(id: $id) { status } }`, { cookie: user.cookie, variables: { id: row.id } }),
    ]);
    expect(oidc.tokenRequests.refresh_token - refreshesBefore).toBe(1);
    expect(test.body.errors).toBeUndefined();
    expect(test.body.data.testIntegration.status).toBe("HEALTHY");
    const swept = [...sweepA.results, ...sweepB.results].filter((r) => r.integrationId === row.id);
    expect(swept).toHaveLength(1); // claimed by exactly one replica
    expect(swept[0]!.status).toBe("HEALTHY");
    expect(sweepA.errors + sweepB.errors).toBe(0);
    // One history row per check (the sweep's and the test's), none lost, none twice.
    const rows = await t.app.db.prisma.integrationHealthLog.findMany({ where: { integrationId: row.id }, orderBy: { checkedAt: "asc" } });
    expect(rows.length - historyBefore).toBe(2);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    // The rotated refresh token was stored: another refresh works.
    await t.app.db.prisma.integration.update({ where: { id: row.id }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
    const provider = t.app.services.catalog.find((p) => p.id === "acme")!;
    expect((await getAccessToken({ services: t.app.services, provider, integrationId: row.id })).refreshed).toBe(true);
    expect((await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("CONNECTED");
  });

  it("rotates the encryption key while the app runs, and every connection keeps working", async () => {
    const row = await t.app.db.prisma.integration.findFirstOrThrow({ where: { workspaceId: user.workspaceId, providerId: "acme" } });
    const plain = openTokens(t.app.vault, row)!;
    const newKey = `rot2:${randomBytes(32).toString("base64")}`;
    const keys = `${newKey},${secrets.ENCRYPTION_KEYS}`;
    const run = spawnSync(join(root, "api/node_modules/.bin/tsx"), [join(root, "api/src/cli/admin.ts"), "rotate-encryption-key"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, DATABASE_URL: t.db!.url, ENCRYPTION_KEYS: keys, AUTH_SECRET: secrets.AUTH_SECRET, LOG_LEVEL: "warn" },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ activeKeyId: "rot2", integrations: expect.any(Number) });
    const after = await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: row.id } });
    expect(after.tokenKeyId).toBe("rot2");
    expect(after.accessTokenEnc).not.toBe(row.accessTokenEnc);
    // The new key alone opens every secret: the old one can go.
    const { createVault } = await import("@switchboard/api/domain/vault");
    const onlyNew = createVault([{ id: "rot2", key: Buffer.from(newKey.split(":")[1]!, "base64") }]);
    expect(openTokens(onlyNew, after)).toEqual(plain);
    // The running app, which has only the old key, fails loudly rather than guessing.
    expect(() => openTokens(t.app.vault, after)).toThrow(/key id "rot2", which is not in ENCRYPTION_KEYS/);
    // An app started with the new ring keeps the connection healthy.
    const rotated = await startTestApp({ database: "postgres", databaseUrl: t.db!.url, env: { PROVIDERS_FILE: t.app.env.PROVIDERS_FILE!, ENCRYPTION_KEYS: keys, AUTH_SECRET: secrets.AUTH_SECRET, PUBLIC_URL: t.origin } });
    try {
      const test = await rotated.gql(`mutation($id: ID!) { testIntegration(id: $id) { status } }`, { cookie: user.cookie, variables: { id: row.id } });
      expect(test.body.data.testIntegration.status).toBe("HEALTHY");
      // Put the rows back under the key the other app instances use, for the tests after this one.
      const [oldId, oldKey] = secrets.ENCRYPTION_KEYS.split(":") as [string, string];
      const back = createVault([
        { id: oldId, key: Buffer.from(oldKey, "base64") },
        { id: "rot2", key: Buffer.from(newKey.split(":")[1]!, "base64") },
      ]);
      const { rotateEncryptionKey } = await import("@switchboard/api/domain/vault/rotate");
      await rotateEncryptionKey({ prisma: t.app.db.prisma, vault: back });
      expect(openTokens(t.app.vault, await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: row.id } }))).toBeTruthy();
    } finally {
      await rotated.close();
    }
  });

  it("disconnect revokes at the server: the old refresh token is refused afterwards; history stays", async () => {
    const row = await t.app.db.prisma.integration.findFirstOrThrow({ where: { workspaceId: user.workspaceId, providerId: "acme" } });
    const tokens = openTokens(t.app.vault, row)!;
    const res = await t.gql(`mutation($id: ID!) { disconnectIntegration(id: $id) { disconnected revoked revocationError integration { status healthHistory { trigger } } } }`, {
      cookie: user.cookie,
      variables: { id: row.id },
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.disconnectIntegration).toMatchObject({ disconnected: true, revoked: true, revocationError: null, integration: { status: "DISCONNECTED" } });
    expect(res.body.data.disconnectIntegration.integration.healthHistory.length).toBeGreaterThan(0);
    const refused = await oidc.refresh(tokens.refreshToken!);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe("invalid_grant");
    const stored = await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: row.id } });
    expect(stored).toMatchObject({ accessTokenEnc: null, refreshTokenEnc: null, lastRevocation: "ok" });
    const audit = await t.app.db.prisma.auditEvent.findMany({ where: { workspaceId: user.workspaceId }, orderBy: { createdAt: "asc" } });
    expect(audit.map((a) => a.action)).toContain("integration.disconnected");
  });

  it("never lets a viewer connect, or anyone disconnect another workspace's integration", async () => {
    const other = await t.signUp({ name: "Other" });
    const row = await t.app.db.prisma.integration.findFirstOrThrow({ where: { workspaceId: user.workspaceId } });
    const res = await t.gql(`mutation($id: ID!) { disconnectIntegration(id: $id) { disconnected } }`, { cookie: other.cookie, variables: { id: row.id } });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    await t.app.db.prisma.member.updateMany({ where: { userId: other.userId }, data: { role: "viewer" } });
    const connect = await t.gql(CONNECT, { cookie: other.cookie, variables: { p: "acme" } });
    expect(connect.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("leaks no issued token into logs, the database or any GraphQL response", async () => {
    expect(oidc.issuedTokens.size).toBeGreaterThanOrEqual(6);
    const tables = await t.app.db.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    let dump = "";
    for (const { table_name } of tables) {
      const rows = await t.app.db.query<{ row: string }>(`SELECT row_to_json(x)::text AS row FROM "${table_name}" x`);
      dump += rows.map((r) => r.row).join("\n");
    }
    expect(dump.length).toBeGreaterThan(1000);
    const haystacks = { logs: t.logs() + replica.logs(), database: dump, graphql: [...t.responses, ...replica.responses].join("\n") };
    for (const [where, text] of Object.entries(haystacks)) {
      for (const token of oidc.issuedTokens) expect(text.includes(token), `a token appears in ${where}`).toBe(false);
    }
  });
});
