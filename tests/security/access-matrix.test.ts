import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { createWorkspaceApiKey } from "@switchboard/api/auth/api-keys";
import { wsClient, wsSubscribe } from "../support/ws.ts";

// Every operation that takes an id, called with another workspace's ids, and every role trying
// every action: each refused with a clear error, nothing changed.

const enabled = await requirePostgres();

describe.skipIf(!enabled)("access matrix", () => {
  let t: TestApp;
  let victim: Awaited<ReturnType<TestApp["signUp"]>>;
  let attacker: Awaited<ReturnType<TestApp["signUp"]>>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    // The victim's webhook points at a local address (never delivered to here).
    t = await startTestApp({ database: "postgres", env: { WEBHOOK_ALLOW_PRIVATE_URLS: "on" } });
    victim = await t.signUp({ name: "Victim" });
    attacker = await t.signUp({ name: "Attacker" });
    ids.integration = await connectSandbox(t, victim, "slack");
    ids.apiKey = (await t.gql(`mutation { createApiKey(name: "v") { id } }`, { cookie: victim.cookie })).body.data.createApiKey.id;
    ids.member = (await t.app.db.prisma.member.findFirstOrThrow({ where: { organizationId: victim.workspaceId } })).id;
    ids.invitation = (await t.gql(`mutation { inviteMember(email: "guest@example.test", role: MEMBER) { id } }`, { cookie: victim.cookie })).body.data.inviteMember.id;
    const hook = await t.gql(`mutation { createWebhookEndpoint(url: "http://127.0.0.1:9/x") { endpoint { id } } }`, { cookie: victim.cookie });
    ids.webhook = hook.body.data.createWebhookEndpoint.endpoint.id;
  });
  afterAll(() => t?.close());

  const foreign: [string, string][] = [
    ["integration", `query($id: ID!) { integration(id: $id) { id } }`],
    ["testIntegration", `mutation($id: ID!) { testIntegration(id: $id) { status } }`],
    ["disconnectIntegration", `mutation($id: ID!) { disconnectIntegration(id: $id, forget: true) { disconnected } }`],
    ["renameIntegration", `mutation($id: ID!) { renameIntegration(id: $id, label: "Mine now") { id } }`],
    ["revokeApiKey", `mutation($id: ID!) { revokeApiKey(id: $id) }`],
    ["updateMemberRole", `mutation($id: ID!) { updateMemberRole(id: $id, role: VIEWER) { id } }`],
    ["removeMember", `mutation($id: ID!) { removeMember(id: $id) }`],
    ["revokeInvitation", `mutation($id: ID!) { revokeInvitation(id: $id) }`],
    ["updateWebhookEndpoint", `mutation($id: ID!) { updateWebhookEndpoint(id: $id, enabled: false) { id } }`],
    ["deleteWebhookEndpoint", `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`],
    ["sendTestWebhook", `mutation($id: ID!) { sendTestWebhook(id: $id) { id } }`],
  ];
  const idFor: Record<string, string> = {
    integration: "integration",
    testIntegration: "integration",
    disconnectIntegration: "integration",
    renameIntegration: "integration",
    revokeApiKey: "apiKey",
    updateMemberRole: "member",
    removeMember: "member",
    revokeInvitation: "invitation",
    updateWebhookEndpoint: "webhook",
    deleteWebhookEndpoint: "webhook",
    sendTestWebhook: "webhook",
  };

  it("refuses every id of another workspace, and changes nothing", async () => {
    const before = await t.app.db.prisma.auditEvent.count({ where: { workspaceId: victim.workspaceId } });
    for (const [name, query] of foreign) {
      const res = await t.gql(query, { cookie: attacker.cookie, variables: { id: ids[idFor[name]!] } });
      if (name === "integration") {
        expect(res.body.data.integration, name).toBeNull();
        continue;
      }
      expect(res.body.errors?.[0]?.extensions?.code, name).toBe("NOT_FOUND");
    }
    expect(await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: ids.integration } })).toMatchObject({ status: "CONNECTED", label: "Acme Sandbox", labelSetByUser: false });
    expect(await t.app.db.prisma.apikey.count({ where: { id: ids.apiKey } })).toBe(1);
    expect(await t.app.db.prisma.member.findUniqueOrThrow({ where: { id: ids.member } })).toMatchObject({ role: "owner" });
    expect(await t.app.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: ids.webhook } })).toMatchObject({ enabled: true });
    expect(await t.app.db.prisma.invitation.findUniqueOrThrow({ where: { id: ids.invitation } })).toMatchObject({ status: "pending" });
    expect(await t.app.db.prisma.auditEvent.count({ where: { workspaceId: victim.workspaceId } })).toBe(before);
    // Lists show nothing of the victim's.
    const lists = await t.gql(`{ integrations { nodes { id } totalCount } integrationCounts { providerId total } apiKeys { id } members { id } webhookEndpoints { id } auditEvents { id } invitations { id } }`, { cookie: attacker.cookie });
    const flat = JSON.stringify(lists.body.data);
    for (const id of Object.values(ids)) expect(flat).not.toContain(id);
    // Nor do the counts: the victim's Slack connection is not the attacker's.
    expect(lists.body.data.integrations).toEqual({ nodes: [], totalCount: 0 });
    expect(lists.body.data.integrationCounts).toEqual([]);
  });

  it("a subscription to another workspace's integration id receives nothing", async () => {
    const client = wsClient(t.url, { headers: { cookie: attacker.cookie, origin: t.origin } });
    try {
      const sub = wsSubscribe(client, `subscription($id: ID) { healthStatus(integrationId: $id) { integrationId } }`, { id: ids.integration });
      await new Promise((r) => setTimeout(r, 200));
      await t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status } }`, { cookie: victim.cookie, variables: { id: ids.integration } });
      await new Promise((r) => setTimeout(r, 500));
      expect(sub.events).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it("lets each role do exactly what it may", async () => {
    // API keys acting with each role in the victim's workspace (capped by the creator, an owner).
    const keys: Record<string, string> = {};
    for (const role of ["owner", "admin", "member", "viewer"] as const) {
      keys[role] = (await createWorkspaceApiKey({ auth: t.app.auth, prisma: t.app.db.prisma, userId: victim.userId, workspaceId: victim.workspaceId, name: role, role })).key;
    }
    const actions: [string, string, Record<string, unknown>, ("owner" | "admin" | "member" | "viewer")[]][] = [
      ["read integrations", `{ integrations { nodes { id } } }`, {}, ["owner", "admin", "member", "viewer"]],
      ["read counts", `{ integrationCounts { providerId total } }`, {}, ["owner", "admin", "member", "viewer"]],
      ["rename", `mutation($id: ID!) { renameIntegration(id: $id, label: "Renamed") { id } }`, { id: ids.integration }, ["owner", "admin", "member"]],
      ["test", `mutation($id: ID!) { testIntegration(id: $id) { status } }`, { id: ids.integration }, ["owner", "admin", "member"]],
      ["test all", `mutation { testAllIntegrations { status } }`, {}, ["owner", "admin", "member"]],
      ["connect", `mutation { connectIntegration(provider: "google") { authorizationUrl } }`, {}, ["owner", "admin"]],
      ["create key", `mutation { createApiKey(name: "x") { id } }`, {}, ["owner", "admin"]],
      ["list keys", `{ apiKeys { id } }`, {}, ["owner", "admin"]],
      ["list webhooks", `{ webhookEndpoints { id } }`, {}, ["owner", "admin"]],
      ["audit log", `{ auditEvents { id } }`, {}, ["owner", "admin"]],
      ["list invitations", `{ invitations { id } }`, {}, ["owner", "admin"]],
      ["invite", `mutation { inviteMember(email: "newcomer@example.test", role: VIEWER) { id } }`, {}, ["owner", "admin"]],
    ];
    for (const [what, query, variables, allowed] of actions) {
      for (const role of ["owner", "admin", "member", "viewer"] as const) {
        const res = await t.gql(query, { apiKey: keys[role], variables });
        const code = res.body.errors?.[0]?.extensions?.code;
        if (allowed.includes(role)) expect(code, `${role} ${what}`).toBeUndefined();
        else expect(code, `${role} ${what}`).toBe("FORBIDDEN");
      }
    }
    // Renamed by the owner, the admin and the member, never by the viewer.
    expect(await t.app.db.prisma.auditEvent.count({ where: { workspaceId: victim.workspaceId, action: "integration.renamed" } })).toBe(3);
    // Disconnect last: only owners and admins; a member's attempt leaves the connection alone.
    const denied = await t.gql(`mutation($id: ID!) { disconnectIntegration(id: $id) { disconnected } }`, { apiKey: keys.member, variables: { id: ids.integration } });
    expect(denied.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: ids.integration } })).status).toBe("CONNECTED");
  });
});
