import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { requirePostgres } from "../support/postgres.ts";

// Issue 15 item 1 and 5: what an API key may do (read | proxy | credentials), chosen when it is
// made and never more than its role, and POST /api/connections/{id}/token for credentials keys.

describe.skipIf(!(await requirePostgres()))("API key permissions and fresh-credential reads", () => {
  let t: TestApp;
  let owner: Awaited<ReturnType<TestApp["signUp"]>>;
  let ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({ env: { CREDENTIALS_READS_PER_MINUTE: "5" } });
    owner = await t.signUp({ name: "Olive" });
    ids = { slack: await connectSandbox(t, owner, "slack"), salesforce: await connectSandbox(t, owner, "salesforce"), hubspot: await connectSandbox(t, owner, "hubspot") };
  });
  afterAll(async () => t?.close());

  async function createKey(cookieOrKey: { cookie?: string; apiKey?: string }, name: string, permissions?: string[]) {
    const res = await t.gql(`mutation($n: String!, $p: [ApiKeyPermission!]) { createApiKey(name: $n, permissions: $p) { id key permissions } }`, { ...cookieOrKey, variables: { n: name, p: permissions } });
    return res.body as { data: { createApiKey: { id: string; key: string; permissions: string[] } } | null; errors?: { message: string; extensions?: { code?: string } }[] };
  }
  const readToken = (id: string, headers: Record<string, string>, method = "POST") => fetch(`${t.url}/api/connections/${id}/token`, { method, headers });

  it("defaults to read; the chosen permissions are shown in Settings' list and audited", async () => {
    const plain = await createKey({ cookie: owner.cookie }, "default");
    expect(plain.data!.createApiKey.permissions).toEqual(["READ"]);
    const all = await createKey({ cookie: owner.cookie }, "all", ["PROXY", "READ", "CREDENTIALS"]);
    expect(all.data!.createApiKey.permissions).toEqual(["READ", "PROXY", "CREDENTIALS"]);
    const list = await t.gql(`{ apiKeys { id permissions } }`, { cookie: owner.cookie });
    expect(list.body.data.apiKeys.find((k: { id: string }) => k.id === all.data!.createApiKey.id).permissions).toEqual(["READ", "PROXY", "CREDENTIALS"]);
    const audit = await t.app.db.prisma.auditEvent.findFirstOrThrow({ where: { workspaceId: owner.workspaceId, action: "api_key.created", targetId: all.data!.createApiKey.id } });
    expect(audit.metadata).toMatchObject({ permissions: ["read", "proxy", "credentials"] });
    const empty = await createKey({ cookie: owner.cookie }, "none", []);
    expect(empty.errors?.[0]?.message).toContain("at least one permission");
  });

  it("a key without read cannot use GraphQL; a read key cannot read credentials", async () => {
    const proxyOnly = (await createKey({ cookie: owner.cookie }, "proxy only", ["PROXY"])).data!.createApiKey;
    const res = await t.gql(`{ viewer { role } }`, { apiKey: proxyOnly.key });
    expect(res.status).toBe(403);
    expect(res.body.errors[0].message).toContain("needs the read permission");
    const readKey = (await createKey({ cookie: owner.cookie }, "reader")).data!.createApiKey;
    const refused = await readToken(ids.slack!, { authorization: `Bearer ${readKey.key}` });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "forbidden", message: expect.stringContaining("credentials permission") });
  });

  it("never more than the role: viewers' keys read only, members' may proxy, a key cannot mint a stronger key", async () => {
    const viewer = await t.signUp({ name: "Vic" });
    await t.addMember(owner, viewer, "VIEWER");
    const member = await t.signUp({ name: "Mo" });
    await t.addMember(owner, member, "MEMBER");
    const { createWorkspaceApiKey } = await import("@switchboard/api/auth/api-keys");
    const make = (userId: string, permissions: ("read" | "proxy" | "credentials")[], role?: "viewer" | "member" | "admin") =>
      createWorkspaceApiKey({ auth: t.app.auth, prisma: t.app.db.prisma, userId, workspaceId: owner.workspaceId, name: "k", permissions, ...(role ? { role } : {}) });
    await expect(make(owner.userId, ["read", "proxy"], "viewer")).rejects.toThrow(/acting as viewer cannot have the proxy permission/);
    await expect(make(owner.userId, ["credentials"], "member")).rejects.toThrow(/acting as member cannot have the credentials permission/);
    expect((await make(owner.userId, ["read", "proxy"], "member")).permissions).toEqual(["read", "proxy"]);

    // A read+proxy key of the owner cannot make a credentials key, nor a key of a higher role.
    const admin = await t.signUp({ name: "Ada" });
    await t.addMember(owner, admin, "ADMIN");
    const adminKey = await createWorkspaceApiKey({ auth: t.app.auth, prisma: t.app.db.prisma, userId: owner.userId, workspaceId: owner.workspaceId, name: "admin-ish", role: "admin", permissions: ["read", "proxy"] });
    const escalate = await createKey({ apiKey: adminKey.key }, "stronger", ["READ", "CREDENTIALS"]);
    expect(escalate.errors?.[0]?.message).toContain("does not have it");
    const same = await createKey({ apiKey: adminKey.key }, "same", ["READ"]);
    const minted = await t.app.db.prisma.apikey.findUniqueOrThrow({ where: { id: same.data!.createApiKey.id } });
    expect(minted.role).toBe("admin");

    // A demoted creator's key loses what the new role does not allow, at once.
    const adaKey = await createWorkspaceApiKey({ auth: t.app.auth, prisma: t.app.db.prisma, userId: admin.userId, workspaceId: owner.workspaceId, name: "ada", permissions: ["read", "credentials"] });
    expect((await readToken(ids.slack!, { authorization: `Bearer ${adaKey.key}` })).status).toBe(200);
    await t.app.db.prisma.member.updateMany({ where: { organizationId: owner.workspaceId, userId: admin.userId }, data: { role: "member" } });
    const after = await readToken(ids.slack!, { authorization: `Bearer ${adaKey.key}` });
    expect(after.status).toBe(403);
  });

  it("POST /api/connections/{id}/token: a fresh token (refreshed inside the margin), audited, never over a session or GET", async () => {
    const key = (await createKey({ cookie: owner.cookie }, "creds", ["CREDENTIALS"])).data!.createApiKey;
    const auth = { authorization: `Bearer ${key.key}` };
    // Sessions are not accepted, even with a valid cookie.
    const session = await readToken(ids.hubspot!, { cookie: owner.cookie });
    expect(session.status).toBe(401);
    expect(await session.text()).not.toMatch(/access_token"/);
    expect((await readToken(ids.hubspot!, auth, "GET")).status).toBe(405);

    // HubSpot's token lasts 30 minutes: put it inside the refresh margin, and the read refreshes first.
    const before = t.app.sandbox!.stats("hubspot").tokenRequests.refresh_token ?? 0;
    await t.app.db.prisma.integration.update({ where: { id: ids.hubspot! }, data: { tokenIssuedAt: new Date(Date.now() - 1_770_000), tokenExpiresAt: new Date(Date.now() + 30_000) } });
    const res = await readToken(ids.hubspot!, auth);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json();
    expect(body).toMatchObject({ access_token: expect.any(String), token_type: "Bearer" });
    expect(new Date(body.expires_at).getTime()).toBeGreaterThan(Date.now() + 10 * 60_000);
    expect((t.app.sandbox!.stats("hubspot").tokenRequests.refresh_token ?? 0) - before).toBe(1);
    // The token works at the provider.
    const { getAccessToken } = await import("@switchboard/api/domain/integrations/refresh");
    const stored = await getAccessToken({ services: t.app.services, provider: t.app.services.catalog.find((p) => p.id === "hubspot")!, integrationId: ids.hubspot! });
    expect(body.access_token).toBe(stored.accessToken);

    // Salesforce adds its instance URL.
    const sf = await (await readToken(ids.salesforce!, auth)).json();
    expect(sf.instance_url).toMatch(/^http/);

    const audit = await t.app.db.prisma.auditEvent.findMany({ where: { workspaceId: owner.workspaceId, action: "integration.credentials_read" } });
    expect(audit.map((a) => [a.targetId, a.actorApiKeyId])).toEqual(expect.arrayContaining([[ids.hubspot, key.id], [ids.salesforce, key.id]]));
    expect(JSON.stringify(audit)).not.toContain(body.access_token);
    expect(t.logs()).not.toContain(body.access_token);
  });

  it("another workspace's connection is 404; reads are limited per key", async () => {
    const other = await t.signUp({ name: "Otto" });
    const otherKey = (await createKey({ cookie: other.cookie }, "theirs", ["CREDENTIALS"])).data!.createApiKey;
    const foreign = await readToken(ids.slack!, { authorization: `Bearer ${otherKey.key}` });
    expect(foreign.status).toBe(404);
    expect((await readToken("no-such-connection", { authorization: `Bearer ${otherKey.key}` })).status).toBe(404);
    expect((await readToken(ids.slack!, { authorization: "Bearer sb_not_a_key" })).status).toBe(401);

    const key = (await createKey({ cookie: owner.cookie }, "limited", ["CREDENTIALS"])).data!.createApiKey;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await readToken(ids.slack!, { authorization: `Bearer ${key.key}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await readToken(ids.slack!, { authorization: `Bearer ${key.key}` });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
