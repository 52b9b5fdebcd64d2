import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { wsClient, wsQuery } from "../support/ws.ts";

// Authentication and workspace isolation, over HTTP and over graphql-ws, on real Postgres.

const enabled = await requirePostgres();

describe.skipIf(!enabled)("GraphQL authentication and workspace isolation", () => {
  let t: TestApp;
  let alice: Awaited<ReturnType<TestApp["signUp"]>>;
  let bob: Awaited<ReturnType<TestApp["signUp"]>>;
  let aliceKey: string;
  let bobIntegrationId: string;

  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    alice = await t.signUp({ name: "Alice" });
    bob = await t.signUp({ name: "Bob" });
    // A connection row of Bob's workspace, written directly: nothing of it may reach Alice.
    const row = await t.app.db.prisma.integration.create({
      data: { workspaceId: bob.workspaceId, providerId: "slack", status: "CONNECTED", healthStatus: "HEALTHY", account: { id: "T123", name: "Bob's Slack" } },
    });
    bobIntegrationId = row.id;
    await t.app.db.prisma.integration.create({ data: { workspaceId: alice.workspaceId, providerId: "google", status: "CONNECTED" } });
    const created = await t.gql(`mutation { createApiKey(name: "ci") { key start } }`, { cookie: alice.cookie });
    aliceKey = created.body.data.createApiKey.key;
  });
  afterAll(() => t?.close());

  it("answers 401 without credentials, with a wrong API key, and with a forged cookie", async () => {
    for (const opts of [{}, { apiKey: "sb_not-a-real-key" }, { cookie: "switchboard.session_token=forged.value" }]) {
      const res = await t.gql("{ providers { id } }", opts);
      expect(res.status).toBe(401);
      expect(res.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(res.body.data).toBeUndefined();
    }
  });

  it("serves providers to an API key: the four built-ins with their configuration state", async () => {
    const res = await t.gql("{ viewer { authenticatedWith role workspace { id } } providers { id name configured sandbox redirectUri } }", { apiKey: aliceKey });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.viewer).toEqual({ authenticatedWith: "apiKey", role: "OWNER", workspace: { id: alice.workspaceId } });
    expect(res.body.data.providers.map((p: { name: string }) => p.name)).toEqual(["Slack", "HubSpot", "Google", "Salesforce"]);
    for (const p of res.body.data.providers) {
      expect(p.configured).toBe(false);
      expect(p.sandbox).toBe(true);
      expect(p.redirectUri).toBe(`${t.origin}/api/integrations/oauth/callback/${p.id}`);
    }
  });

  it("stores API keys hashed and shows only their prefix", async () => {
    const rows = await t.app.db.prisma.apikey.findMany({ where: { referenceId: alice.workspaceId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key).not.toBe(aliceKey);
    expect(rows[0]!.key).not.toContain(aliceKey.slice(10));
    expect(aliceKey.startsWith(rows[0]!.start!)).toBe(true);
  });

  it("lists only the caller's workspace integrations over HTTP", async () => {
    for (const auth of [{ cookie: alice.cookie }, { apiKey: aliceKey }]) {
      const res = await t.gql("{ integrations { nodes { id providerId } } theirs: integration(id: $id) { id } }".replace("$id", JSON.stringify(bobIntegrationId)), auth);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.integrations.nodes.map((i: { providerId: string }) => i.providerId)).toEqual(["google"]);
      expect(res.body.data.theirs).toBeNull();
    }
    const own = await t.gql("{ integrations { nodes { id providerId account { name } } } }", { cookie: bob.cookie });
    expect(own.body.data.integrations.nodes).toEqual([{ id: bobIntegrationId, providerId: "slack", account: { name: "Bob's Slack" } }]);
  });

  it("lists only the caller's workspace integrations over graphql-ws (cookie and API key)", async () => {
    const byCookie = wsClient(t.url, { headers: { cookie: alice.cookie, origin: t.origin } });
    const byKey = wsClient(t.url, { authorization: `Bearer ${aliceKey}` });
    try {
      for (const client of [byCookie, byKey]) {
        const res = await wsQuery(client, "query($id: ID!) { integrations { nodes { providerId } } integration(id: $id) { id } }", { id: bobIntegrationId });
        expect(res.errors).toBeUndefined();
        expect(res.data).toEqual({ integrations: { nodes: [{ providerId: "google" }] }, integration: null });
      }
    } finally {
      await byCookie.dispose();
      await byKey.dispose();
    }
  });

  it("closes a graphql-ws connection that brings no valid credentials", async () => {
    const anon = wsClient(t.url, { authorization: "Bearer sb_wrong" });
    await expect(wsQuery(anon, "{ providers { id } }")).rejects.toMatchObject({ code: 4403 });
    await anon.dispose();
  });

  it("enforces roles: a viewer reads but cannot create API keys; an API key never outranks its creator", async () => {
    await t.app.db.prisma.member.create({ data: { id: crypto.randomUUID(), organizationId: alice.workspaceId, userId: bob.userId, role: "viewer", createdAt: new Date(Date.now() + 1000) } });
    // Bob's session still acts in his own workspace; a key made for him in Alice's workspace acts as viewer there.
    const denied = await t.gql(`mutation { createApiKey(name: "nope") { key } }`, { cookie: bob.cookie });
    expect(denied.body.errors).toBeUndefined(); // owner of his own workspace
    const { createWorkspaceApiKey } = await import("@switchboard/api/auth/api-keys");
    await expect(
      createWorkspaceApiKey({ auth: t.app.auth, prisma: t.app.db.prisma, userId: bob.userId, workspaceId: alice.workspaceId, name: "x" }),
    ).rejects.toThrow(/Only workspace owners and admins/);
    // An owner-made key with role viewer reads, but its mutations are refused.
    const viewerKey = await createWorkspaceApiKey({ auth: t.app.auth, prisma: t.app.db.prisma, userId: alice.userId, workspaceId: alice.workspaceId, name: "ro", role: "viewer" });
    const read = await t.gql("{ viewer { role } integrations { nodes { providerId } } }", { apiKey: viewerKey.key });
    expect(read.body.data).toEqual({ viewer: { role: "VIEWER" }, integrations: { nodes: [{ providerId: "google" }] } });
    const write = await t.gql(`mutation { createApiKey(name: "escalate") { key } }`, { apiKey: viewerKey.key });
    expect(write.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(write.body.data).toBeNull();
  });

  it("stops accepting an API key once its creator leaves the workspace", async () => {
    const { createWorkspaceApiKey } = await import("@switchboard/api/auth/api-keys");
    await t.app.db.prisma.member.updateMany({ where: { organizationId: alice.workspaceId, userId: bob.userId }, data: { role: "admin" } });
    const bobsKey = await createWorkspaceApiKey({ auth: t.app.auth, prisma: t.app.db.prisma, userId: bob.userId, workspaceId: alice.workspaceId, name: "bob" });
    expect((await t.gql("{ viewer { role } }", { apiKey: bobsKey.key })).body.data.viewer.role).toBe("ADMIN");
    await t.app.db.prisma.member.deleteMany({ where: { organizationId: alice.workspaceId, userId: bob.userId } });
    expect((await t.gql("{ viewer { role } }", { apiKey: bobsKey.key })).status).toBe(401);
  });
});
