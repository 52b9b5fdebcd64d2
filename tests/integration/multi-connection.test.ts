import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { consent } from "../support/sandbox-consent.ts";
import { connectSandbox } from "../support/connect.ts";
import { openTokens } from "@switchboard/api/domain/integrations/tokens";

// Several connections per provider in one workspace (issue 14), through the real OAuth flow over
// HTTP against the sandbox emulators: connectIntegration → the emulator's consent page →
// completeIntegrationConnection with the query the emulator redirected with (what the web's
// callback route does). The provider account decides the row: another account adds a
// connection, the same account renews its own, a reconnect must come back with its own.
// Emulator facts: Salesforce's login.salesforce.com and test.salesforce.com are two orgs
// (api/src/sandbox/salesforce.ts, salesforce.md §1); Slack's consent page offers two
// workspaces, Acme Sandbox (T0SANDBOX, the default) and Globex Sandbox (T0GLOBEX).

const enabled = await requirePostgres();

const PRODUCTION_ORG = { id: "00D0S00000SANDBXAA", name: "Acme Sandbox Org" };
const UAT_ORG = { id: "00D7Q00000UATSBUA5", name: "Acme UAT Sandbox" };

describe.skipIf(!enabled)("several connections per provider, through the OAuth flow", () => {
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;
  // Filled in as the cases below connect them, in order.
  const ids = {} as { production: string; sandbox: string; acme: string; globex: string };

  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    user = await t.signUp({ name: "Multi" });
  });
  afterAll(() => t?.close());

  type Outcome = { redirectTo: string; errorCode: string | null; integrationId: string | null };

  /** Connect, consent (as `account` on the picker, or the default), come back; the completion's answer. */
  async function connect(providerId: string, options: { org?: string; integrationId?: string; account?: string } = {}): Promise<Outcome> {
    const started = await t.gql(`mutation($p: ID!, $o: String, $i: ID) { connectIntegration(provider: $p, org: $o, integrationId: $i) { authorizationUrl } }`, {
      cookie: user.cookie,
      variables: { p: providerId, o: options.org ?? null, i: options.integrationId ?? null },
    });
    expect(started.body.errors).toBeUndefined();
    const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
    const back = await consent(started.body.data.connectIntegration.authorizationUrl, { origin: t.origin, ...(options.account !== undefined ? { account: options.account } : {}) });
    expect(back.pathname).toBe(`/api/integrations/oauth/callback/${providerId}`);
    const done = await t.gql(`mutation($p: ID!, $q: String!) { completeIntegrationConnection(provider: $p, callbackQuery: $q) { redirectTo errorCode integrationId } }`, {
      cookie: `${user.cookie}; ${binding}`,
      variables: { p: providerId, q: back.search },
    });
    expect(done.body.errors).toBeUndefined();
    return done.body.data.completeIntegrationConnection as Outcome;
  }

  const rowsOf = (providerId: string) => t.app.db.prisma.integration.findMany({ where: { workspaceId: user.workspaceId, providerId }, orderBy: { createdAt: "asc" } });
  const row = (id: string) => t.app.db.prisma.integration.findUniqueOrThrow({ where: { id } });
  const tokensOf = async (id: string) => openTokens(t.app.vault, await row(id));
  /** Everything a callback or a check could change about a connection. */
  const snapshot = async (id: string) => ({
    row: await row(id),
    checks: await t.app.db.prisma.integrationHealthLog.count({ where: { integrationId: id } }),
    audits: await t.app.db.prisma.auditEvent.count({ where: { targetId: id } }),
  });
  const CARD = `query($id: ID!) { integration(id: $id) { id label labelSetByUser org status healthStatus state account { id name } } }`;
  const card = async (id: string) => (await t.gql(CARD, { cookie: user.cookie, variables: { id } })).body.data.integration;
  const test = (id: string) => t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status errorCode } }`, { cookie: user.cookie, variables: { id } });

  it("two Salesforce orgs in one workspace: production and sandbox are two connections", async () => {
    const production = await connect("salesforce", { org: "production" });
    const sandbox = await connect("salesforce", { org: "sandbox" });
    // The redirect is as before: the provider, no connection id.
    for (const done of [production, sandbox]) expect(done).toMatchObject({ errorCode: null, redirectTo: "/dashboard/integrations?connected=salesforce" });
    expect(production.integrationId).not.toBe(sandbox.integrationId);
    ids.production = production.integrationId!;
    ids.sandbox = sandbox.integrationId!;

    expect(await card(ids.production)).toMatchObject({ label: PRODUCTION_ORG.name, labelSetByUser: false, org: "production", status: "CONNECTED", healthStatus: "HEALTHY", state: "HEALTHY", account: PRODUCTION_ORG });
    expect(await card(ids.sandbox)).toMatchObject({ label: UAT_ORG.name, labelSetByUser: false, org: "sandbox", status: "CONNECTED", healthStatus: "HEALTHY", state: "HEALTHY", account: UAT_ORG });
    const rows = await rowsOf("salesforce");
    expect(rows.map((r) => [r.id, r.accountId, r.label])).toEqual([
      [ids.production, PRODUCTION_ORG.id, PRODUCTION_ORG.name],
      [ids.sandbox, UAT_ORG.id, UAT_ORG.name],
    ]);
    // Each holds its own org's tokens (a Salesforce access token starts with the org's 15-character id).
    expect((await tokensOf(ids.production))!.accessToken.startsWith(PRODUCTION_ORG.id.slice(0, 15))).toBe(true);
    expect((await tokensOf(ids.sandbox))!.accessToken.startsWith(UAT_ORG.id.slice(0, 15))).toBe(true);

    const listed = await t.gql(`{ integrations(filter: { providers: ["salesforce"] }) { nodes { id label } totalCount } integrationCounts { providerId total connected } }`, { cookie: user.cookie });
    expect(listed.body.data.integrations).toEqual({
      nodes: [
        { id: ids.production, label: PRODUCTION_ORG.name },
        { id: ids.sandbox, label: UAT_ORG.name },
      ],
      totalCount: 2,
    });
    expect(listed.body.data.integrationCounts).toEqual([{ providerId: "salesforce", total: 2, connected: 2 }]);
  });

  it("testing one org leaves the other untouched", async () => {
    const before = await snapshot(ids.sandbox);
    const res = await test(ids.production);
    expect(res.body.data.testIntegration).toEqual({ status: "HEALTHY", errorCode: null });
    const after = await snapshot(ids.sandbox);
    expect(after).toEqual(before);
    expect((await t.app.db.prisma.integrationHealthLog.findMany({ where: { integrationId: ids.production, trigger: "MANUAL" } })).length).toBe(1);
  });

  it("disconnecting one org revokes only its tokens: the other stays connected, with its tokens, and healthy", async () => {
    const before = await snapshot(ids.production);
    const revocations = t.app.sandbox!.stats("salesforce").revocations;
    const res = await t.gql(`mutation($id: ID!) { disconnectIntegration(id: $id) { disconnected revoked revocationError integration { id status state } } }`, { cookie: user.cookie, variables: { id: ids.sandbox } });
    expect(res.body.data.disconnectIntegration).toEqual({ disconnected: true, revoked: true, revocationError: null, integration: { id: ids.sandbox, status: "DISCONNECTED", state: "NOT_CONNECTED" } });
    expect(t.app.sandbox!.stats("salesforce").revocations - revocations).toBe(1);
    expect(await row(ids.sandbox)).toMatchObject({ status: "DISCONNECTED", accessTokenEnc: null, refreshTokenEnc: null });
    // The production org: not a field changed, its tokens still there and still accepted.
    expect(await snapshot(ids.production)).toEqual(before);
    expect(before.row).toMatchObject({ status: "CONNECTED", healthStatus: "HEALTHY" });
    expect(before.row.accessTokenEnc).not.toBeNull();
    expect((await test(ids.production)).body.data.testIntegration).toEqual({ status: "HEALTHY", errorCode: null });
    // The disconnected one cannot be tested; the counts say one of two is connected.
    expect((await test(ids.sandbox)).body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const counts = await t.gql(`{ integrationCounts { providerId total connected } }`, { cookie: user.cookie });
    expect(counts.body.data.integrationCounts).toEqual([{ providerId: "salesforce", total: 2, connected: 1 }]);
  });

  it("connecting an account already connected renews its connection: same id, one row, new tokens", async () => {
    // Slack's default workspace, twice.
    const first = await connect("slack");
    ids.acme = first.integrationId!;
    const before = await row(ids.acme);
    const tokensBefore = await tokensOf(ids.acme);
    const again = await connect("slack");
    expect(again).toMatchObject({ errorCode: null, integrationId: ids.acme });
    const rows = await rowsOf("slack");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: ids.acme, accountId: "T0SANDBOX", label: "Acme Sandbox", status: "CONNECTED" });
    expect(rows[0]!.tokenGeneration).toBeGreaterThan(before.tokenGeneration);
    expect((await tokensOf(ids.acme))!.accessToken).not.toBe(tokensBefore!.accessToken);
    expect(await t.app.db.prisma.auditEvent.count({ where: { targetId: ids.acme, action: "integration.connected" } })).toBe(2);

    // The disconnected Salesforce sandbox org, connected again without saying which connection: the same row comes back.
    const generation = (await row(ids.sandbox)).tokenGeneration;
    const sandbox = await connect("salesforce", { org: "sandbox" });
    expect(sandbox).toMatchObject({ errorCode: null, integrationId: ids.sandbox });
    expect(await rowsOf("salesforce")).toHaveLength(2);
    const renewed = await row(ids.sandbox);
    expect(renewed).toMatchObject({ status: "CONNECTED", healthStatus: "HEALTHY", accountId: UAT_ORG.id, disconnectedAt: null });
    expect(renewed.accessTokenEnc).not.toBeNull();
    expect(renewed.tokenGeneration).toBeGreaterThan(generation);
  });

  it("reconnect with integrationId renews that connection, in its own org, keeping a person's label", async () => {
    await t.gql(`mutation($id: ID!) { renameIntegration(id: $id, label: "Prod org") { id } }`, { cookie: user.cookie, variables: { id: ids.production } });
    const before = await row(ids.production);
    const other = await snapshot(ids.sandbox);
    // No org given: the connection's own (production) is used.
    const done = await connect("salesforce", { integrationId: ids.production });
    expect(done).toMatchObject({ errorCode: null, integrationId: ids.production, redirectTo: "/dashboard/integrations?connected=salesforce" });
    const after = await row(ids.production);
    expect(after).toMatchObject({ accountId: PRODUCTION_ORG.id, label: "Prod org", labelSetByUser: true, status: "CONNECTED" });
    expect(after.tokenGeneration).toBeGreaterThan(before.tokenGeneration);
    expect(after.accessTokenEnc).not.toBe(before.accessTokenEnc);
    expect(await card(ids.production)).toMatchObject({ org: "production", label: "Prod org" });
    expect(await rowsOf("salesforce")).toHaveLength(2);
    expect(await snapshot(ids.sandbox)).toEqual(other);
  });

  it("a reconnect that signs in to another account is refused with account_mismatch; neither connection changes", async () => {
    const production = await snapshot(ids.production);
    const sandbox = await snapshot(ids.sandbox);
    const count = await t.app.db.prisma.integration.count({ where: { workspaceId: user.workspaceId } });
    const exchanges = t.app.sandbox!.stats("salesforce").tokenRequests.authorization_code;
    // Reconnect the production connection, but sign in at test.salesforce.com: the UAT org.
    const done = await connect("salesforce", { integrationId: ids.production, org: "sandbox" });
    expect(done).toEqual({ errorCode: "ACCOUNT_MISMATCH", redirectTo: "/dashboard/integrations?error=account_mismatch&provider=salesforce", integrationId: null });
    // The code was exchanged (only then is the account known), and the tokens dropped.
    expect(t.app.sandbox!.stats("salesforce").tokenRequests.authorization_code - exchanges).toBe(1);
    expect(await snapshot(ids.production)).toEqual(production);
    expect(await snapshot(ids.sandbox)).toEqual(sandbox);
    expect(await t.app.db.prisma.integration.count({ where: { workspaceId: user.workspaceId } })).toBe(count);
  });

  it("connectIntegration with an unknown integrationId answers NOT_FOUND and starts nothing", async () => {
    const stranger = await t.signUp({ name: "Stranger" });
    const theirs = await connectSandbox(t, stranger, "salesforce");
    const states = await t.app.db.prisma.oAuthState.count();
    for (const [provider, integrationId] of [
      ["salesforce", crypto.randomUUID()],
      // Another workspace's connection.
      ["salesforce", theirs],
      // A connection of this workspace, but of another provider.
      ["salesforce", ids.acme],
      ["slack", ids.production],
      ["salesforce", "x".repeat(65)],
    ] as const) {
      const res = await t.gql(`mutation($p: ID!, $i: ID) { connectIntegration(provider: $p, integrationId: $i) { authorizationUrl } }`, { cookie: user.cookie, variables: { p: provider, i: integrationId } });
      expect(res.body.errors?.[0]?.extensions, `${provider} ${integrationId}`).toMatchObject({ code: "NOT_FOUND", reason: "unknown_connection" });
      expect(res.body.data).toBeNull();
      expect(res.setCookies.some((c) => c.startsWith("switchboard_oauth="))).toBe(false);
    }
    expect(await t.app.db.prisma.oAuthState.count()).toBe(states);
    expect(await row(theirs)).toMatchObject({ workspaceId: stranger.workspaceId, status: "CONNECTED" });
  });

  it("a connection removed while its reconnect is at the provider: the callback says unknown_connection and changes nothing", async () => {
    // A connection of the UAT org whose account id is unknown to the emulator: the callback
    // comes back with the UAT org, which ids.sandbox holds, but must not renew that one either.
    const doomed = await t.app.db.prisma.integration.create({
      data: { workspaceId: user.workspaceId, providerId: "salesforce", status: "REAUTH_REQUIRED", accountId: "00DGONE0000000000A", label: "Gone", account: { id: "00DGONE0000000000A", name: "Gone" }, providerConfig: { org: "sandbox" } },
    });
    const started = await t.gql(`mutation($i: ID) { connectIntegration(provider: "salesforce", integrationId: $i) { authorizationUrl } }`, { cookie: user.cookie, variables: { i: doomed.id } });
    expect(started.body.errors).toBeUndefined();
    // The reconnect signs in to the connection's own org (test.salesforce.com) without being told.
    expect(new URL(started.body.data.connectIntegration.authorizationUrl).pathname).toMatch(/^\/sandbox\/salesforce\/test\//);
    const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
    const back = await consent(started.body.data.connectIntegration.authorizationUrl, { origin: t.origin });
    await t.app.db.prisma.integration.delete({ where: { id: doomed.id } });
    const production = await snapshot(ids.production);
    const sandbox = await snapshot(ids.sandbox);
    const done = await t.gql(`mutation($q: String!) { completeIntegrationConnection(provider: "salesforce", callbackQuery: $q) { redirectTo errorCode integrationId } }`, {
      cookie: `${user.cookie}; ${binding}`,
      variables: { q: back.search },
    });
    expect(done.body.data.completeIntegrationConnection).toEqual({ errorCode: "UNKNOWN_CONNECTION", redirectTo: "/dashboard/integrations?error=unknown_connection&provider=salesforce", integrationId: null });
    expect((await rowsOf("salesforce")).map((r) => r.id)).toEqual([ids.production, ids.sandbox]);
    expect(await snapshot(ids.production)).toEqual(production);
    expect(await snapshot(ids.sandbox)).toEqual(sandbox);
  });

  it("two Slack workspaces: Acme and Globex are two connections, each tested on its own, and a reconnect keeps to its workspace", async () => {
    const globex = await connect("slack", { account: "Globex Sandbox" });
    expect(globex).toMatchObject({ errorCode: null, redirectTo: "/dashboard/integrations?connected=slack" });
    expect(globex.integrationId).not.toBe(ids.acme);
    ids.globex = globex.integrationId!;
    expect((await rowsOf("slack")).map((r) => [r.id, r.accountId, r.label])).toEqual([
      [ids.acme, "T0SANDBOX", "Acme Sandbox"],
      [ids.globex, "T0GLOBEX", "Globex Sandbox"],
    ]);
    expect(await card(ids.globex)).toMatchObject({ label: "Globex Sandbox", org: null, status: "CONNECTED", healthStatus: "HEALTHY", account: { id: "T0GLOBEX", name: "Globex Sandbox" } });
    expect((await tokensOf(ids.globex))!.accessToken).not.toBe((await tokensOf(ids.acme))!.accessToken);

    // Each is tested with its own token and the other is untouched.
    const acme = await snapshot(ids.acme);
    expect((await test(ids.globex)).body.data.testIntegration).toEqual({ status: "HEALTHY", errorCode: null });
    expect(await snapshot(ids.acme)).toEqual(acme);

    // Globex again (its own reconnect, or a plain connect choosing it): the same row.
    const generation = (await row(ids.globex)).tokenGeneration;
    expect(await connect("slack", { integrationId: ids.globex, account: "Globex Sandbox" })).toMatchObject({ errorCode: null, integrationId: ids.globex });
    expect(await connect("slack", { account: "Globex Sandbox" })).toMatchObject({ errorCode: null, integrationId: ids.globex });
    expect((await row(ids.globex)).tokenGeneration).toBe(generation + 2);

    // Reconnecting Acme while choosing Globex on the consent page: refused, both unchanged.
    const before = { acme: await snapshot(ids.acme), globex: await snapshot(ids.globex) };
    const mismatch = await connect("slack", { integrationId: ids.acme, account: "Globex Sandbox" });
    expect(mismatch).toEqual({ errorCode: "ACCOUNT_MISMATCH", redirectTo: "/dashboard/integrations?error=account_mismatch&provider=slack", integrationId: null });
    expect({ acme: await snapshot(ids.acme), globex: await snapshot(ids.globex) }).toEqual(before);

    // Disconnecting Globex leaves Acme connected and working.
    const res = await t.gql(`mutation($id: ID!) { disconnectIntegration(id: $id) { disconnected revoked } }`, { cookie: user.cookie, variables: { id: ids.globex } });
    expect(res.body.data.disconnectIntegration).toEqual({ disconnected: true, revoked: true });
    expect(await row(ids.acme)).toMatchObject({ status: "CONNECTED" });
    expect((await test(ids.acme)).body.data.testIntegration).toEqual({ status: "HEALTHY", errorCode: null });
    const counts = await t.gql(`{ integrationCounts { providerId total connected } }`, { cookie: user.cookie });
    expect(counts.body.data.integrationCounts).toEqual([
      { providerId: "salesforce", total: 2, connected: 2 },
      { providerId: "slack", total: 2, connected: 1 },
    ]);
  });
});
