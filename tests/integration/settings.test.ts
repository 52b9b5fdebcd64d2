import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

// API keys, members and roles, and the audit log, over GraphQL.

const enabled = await requirePostgres();

describe.skipIf(!enabled)("workspace settings", () => {
  let t: TestApp;
  let owner: Awaited<ReturnType<TestApp["signUp"]>>;
  let other: Awaited<ReturnType<TestApp["signUp"]>>;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    owner = await t.signUp({ name: "Olga", email: `olga-${Date.now()}@example.test` });
    other = await t.signUp({ name: "Pete", email: `pete-${Date.now()}@example.test` });
  });
  afterAll(() => t?.close());

  it("lists API keys without their secret, revokes one, and the revoked key stops working", async () => {
    const created = await t.gql(`mutation { createApiKey(name: "deploy") { id key } }`, { cookie: owner.cookie });
    const { id, key } = created.body.data.createApiKey;
    const list = await t.gql(`{ apiKeys { id name start role lastUsedAt } }`, { cookie: owner.cookie });
    expect(list.body.data.apiKeys).toEqual([{ id, name: "deploy", start: key.slice(0, 10), role: "OWNER", lastUsedAt: null }]);
    expect(JSON.stringify(list.body)).not.toContain(key.slice(10));
    expect((await t.gql("{ viewer { role } }", { apiKey: key })).status).toBe(200);
    expect((await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { cookie: other.cookie, variables: { id } })).body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await t.gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { cookie: owner.cookie, variables: { id } })).body.data.revokeApiKey).toBe(true);
    expect((await t.gql("{ viewer { role } }", { apiKey: key })).status).toBe(401);
  });

  it("invites members, changes roles within the rules, keeps an owner, and removes members", async () => {
    const memberId = await t.addMember(owner, other, "VIEWER");
    const again = await t.gql(`mutation($e: String!) { inviteMember(email: $e, role: VIEWER) { id } }`, { cookie: owner.cookie, variables: { e: other.email } });
    expect(again.body.errors?.[0]?.message).toMatch(/already a member/);
    // An address without an account can be invited (it signs up through the link).
    const nobody = await t.gql(`mutation { inviteMember(email: "nobody@example.test", role: MEMBER) { id acceptUrl } }`, { cookie: owner.cookie });
    expect(nobody.body.data.inviteMember.acceptUrl).toMatch(new RegExp(`^${t.origin}/invite/[A-Za-z0-9_-]{43}$`));

    const members = await t.gql(`{ members { role user { email } } }`, { cookie: owner.cookie });
    expect(members.body.data.members.map((m: { role: string }) => m.role)).toEqual(["OWNER", "VIEWER"]);

    const ownerMember = (await t.app.db.prisma.member.findFirstOrThrow({ where: { organizationId: owner.workspaceId, userId: owner.userId } })).id;
    const lastOwner = await t.gql(`mutation($id: ID!) { updateMemberRole(id: $id, role: ADMIN) { id } }`, { cookie: owner.cookie, variables: { id: ownerMember } });
    expect(lastOwner.body.errors?.[0]?.message).toMatch(/at least one owner/);
    const promoted = await t.gql(`mutation($id: ID!) { updateMemberRole(id: $id, role: ADMIN) { role } }`, { cookie: owner.cookie, variables: { id: memberId } });
    expect(promoted.body.data.updateMemberRole.role).toBe("ADMIN");
    const removed = await t.gql(`mutation($id: ID!) { removeMember(id: $id) }`, { cookie: owner.cookie, variables: { id: memberId } });
    expect(removed.body.data.removeMember).toBe(true);
  });

  it("refuses settings to a viewer", async () => {
    const viewer = await t.signUp({ name: "Vic" });
    await t.app.db.prisma.member.updateMany({ where: { userId: viewer.userId }, data: { role: "viewer" } });
    for (const q of [`{ apiKeys { id } }`, `{ auditEvents { id } }`, `{ invitations { id } }`, `mutation { inviteMember(email: "x@example.test", role: VIEWER) { id } }`]) {
      expect((await t.gql(q, { cookie: viewer.cookie })).body.errors?.[0]?.extensions?.code, q).toBe("FORBIDDEN");
    }
    expect((await t.gql(`{ members { role } }`, { cookie: viewer.cookie })).body.data.members).toEqual([{ role: "VIEWER" }]);
  });

  it("keeps an audit log of key and member changes, latest first, for this workspace only", async () => {
    const log = await t.gql(`{ auditEvents(first: 10) { action targetType details } }`, { cookie: owner.cookie });
    expect(log.body.data.auditEvents.map((e: { action: string }) => e.action)).toEqual(["member.removed", "member.role_changed", "member.invited", "member.joined", "member.invited", "api_key.revoked", "api_key.created"]);
    expect(JSON.stringify(log.body)).not.toMatch(/sb_[A-Za-z0-9]{20}/);
    expect(JSON.stringify(log.body)).not.toMatch(/\/invite\//);
    const stranger = await t.signUp({ name: "Stan" });
    const theirs = await t.gql(`{ auditEvents { action } }`, { cookie: stranger.cookie });
    expect(theirs.body.data.auditEvents).toEqual([]);
  });
});
