import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { MOUNTED_AUTH_ROUTES } from "@switchboard/api/auth/routes";
import { changeMemberRole, MemberError } from "@switchboard/api/domain/members";
import { parseEnv } from "@switchboard/api/env";
import type { AccessChange } from "@switchboard/api/realtime";

// Issue 12, items 1, 5 and 10 (roles): the auth library's routes are an allowlist, API keys get
// their creator and role from the server only, workspace administration is GraphQL and audited,
// registration follows SIGNUP with a password policy and says nothing of registered addresses.
// Each finding is reproduced as it was reported, then refused.

const enabled = await requirePostgres();

type User = Awaited<ReturnType<TestApp["signUp"]>>;

const json = (t: TestApp, extra: Record<string, string> = {}) => ({ "content-type": "application/json", origin: t.origin, ...extra });

describe.skipIf(!enabled)("the auth library's surface and API keys", () => {
  let t: TestApp;
  let owner: User;
  let admin: User;
  let adminMemberId: string;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    owner = await t.signUp({ name: "Olive Owner" });
    admin = await t.signUp({ name: "Adam Admin" });
    adminMemberId = await t.addMember(owner, admin, "ADMIN");
  });
  afterAll(() => t?.close());
  const prisma = () => t.app.db.prisma;

  it("finding: an ADMIN minted an OWNER key through POST /api/auth/api-key/create with forged metadata; the route is gone", async () => {
    expect((await t.gql("{ viewer { role workspace { id } } }", { cookie: admin.cookie })).body.data.viewer).toEqual({ role: "ADMIN", workspace: { id: owner.workspaceId } });
    const res = await fetch(`${t.url}/api/auth/api-key/create`, {
      method: "POST",
      headers: json(t, { cookie: admin.cookie }),
      body: JSON.stringify({ name: "mine", organizationId: owner.workspaceId, metadata: { createdBy: owner.userId, role: "owner" } }),
    });
    expect(res.status).toBe(404);
    expect(await prisma().apikey.count({ where: { referenceId: owner.workspaceId } })).toBe(0);
  });

  it("a key whose metadata was forged in the database still acts only as its real creator, and dies with their membership", async () => {
    const created = await t.gql(`mutation { createApiKey(name: "ops") { id key } }`, { cookie: admin.cookie });
    const { id, key } = created.body.data.createApiKey;
    expect(await prisma().apikey.findUniqueOrThrow({ where: { id }, select: { createdById: true, role: true } })).toEqual({ createdById: admin.userId, role: "admin" });
    await prisma().apikey.update({ where: { id }, data: { metadata: JSON.stringify({ createdBy: owner.userId, role: "owner" }) } });

    const viewer = await t.gql(`{ viewer { role authenticatedWith user { id } } }`, { apiKey: key });
    expect(viewer.body.data.viewer).toEqual({ role: "ADMIN", authenticatedWith: "apiKey", user: { id: admin.userId } });
    // It can neither promote its holder nor evict the owner.
    const ownerMemberId = (await prisma().member.findFirstOrThrow({ where: { organizationId: owner.workspaceId, userId: owner.userId } })).id;
    const promote = await t.gql(`mutation($id: ID!) { updateMemberRole(id: $id, role: OWNER) { role } }`, { apiKey: key, variables: { id: adminMemberId } });
    expect(promote.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const evict = await t.gql(`mutation($id: ID!) { removeMember(id: $id) }`, { apiKey: key, variables: { id: ownerMemberId } });
    expect(evict.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const inviteOwner = await t.gql(`mutation { inviteMember(email: "accomplice@example.test", role: OWNER) { id } }`, { apiKey: key });
    expect(inviteOwner.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    // The audit log names the admin (and the key), never the owner.
    const audit = await prisma().auditEvent.findFirstOrThrow({ where: { action: "api_key.created", targetId: id } });
    expect(audit).toMatchObject({ actorUserId: admin.userId, metadata: { name: "ops", role: "admin" } });

    // Demoted: the key follows the creator's current role.
    await t.gql(`mutation($id: ID!) { updateMemberRole(id: $id, role: VIEWER) { role } }`, { cookie: owner.cookie, variables: { id: adminMemberId } });
    expect((await t.gql(`{ viewer { role } }`, { apiKey: key })).body.data.viewer.role).toBe("VIEWER");
    await t.gql(`mutation($id: ID!) { updateMemberRole(id: $id, role: ADMIN) { role } }`, { cookie: owner.cookie, variables: { id: adminMemberId } });

    // Removed: the key stops, and it is deleted, so inviting them back does not revive it.
    const removed = await t.gql(`mutation($id: ID!) { removeMember(id: $id) }`, { cookie: owner.cookie, variables: { id: adminMemberId } });
    expect(removed.body.data.removeMember).toBe(true);
    expect((await t.gql(`{ viewer { role } }`, { apiKey: key })).status).toBe(401);
    expect(await prisma().apikey.count({ where: { id } })).toBe(0);
    // (The admin's session acted in the workspace they left, so it is refused until they sign in again.)
    admin = { ...admin, cookie: (await t.signIn(admin.email)).cookie };
    adminMemberId = await t.addMember(owner, admin, "ADMIN");
    expect((await t.gql(`{ viewer { role } }`, { apiKey: key })).status).toBe(401);
    const revokedAudit = await prisma().auditEvent.findFirstOrThrow({ where: { action: "api_key.revoked", targetId: id } });
    expect(revokedAudit).toMatchObject({ actorUserId: owner.userId, metadata: { reason: "creator removed" } });
  });

  it("a key row the library wrote without the server's creator and role does not authenticate", async () => {
    const created = await t.app.auth.api.createApiKey({ body: { name: "raw", organizationId: owner.workspaceId, userId: owner.userId } });
    expect((await t.gql(`{ viewer { role } }`, { apiKey: created.key })).status).toBe(401);
  });

  it("mounts only the product's routes: every other endpoint of the library answers 404", async () => {
    expect(MOUNTED_AUTH_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      ["GET /api/auth/get-session", "GET /api/auth/organization/list", "POST /api/auth/organization/set-active", "POST /api/auth/sign-in/email", "POST /api/auth/sign-out", "POST /api/auth/sign-up/email"].sort(),
    );
    const allowed = new Set(MOUNTED_AUTH_ROUTES.map((r) => `${r.method} ${r.path}`));
    const endpoints = Object.values(t.app.auth.api as Record<string, { path?: string; options?: { method?: string | string[] } }>);
    const probed: string[] = [];
    for (const endpoint of endpoints) {
      if (!endpoint.path) continue;
      const path = `/api/auth${endpoint.path.replace(/:([A-Za-z]+)/g, "x")}`;
      const methods = [endpoint.options?.method ?? "GET"].flat().map((m) => (m === "*" ? "POST" : m));
      for (const method of methods) {
        if (allowed.has(`${method} ${path}`)) continue;
        const res = await fetch(`${t.url}${path}`, { method, headers: json(t, { cookie: owner.cookie }), body: method === "GET" || method === "HEAD" ? undefined : "{}" });
        expect(res.status, `${method} ${path}`).toBe(404);
        probed.push(`${method} ${path}`);
      }
    }
    // The findings' routes are among them.
    for (const route of [
      "POST /api/auth/api-key/create",
      "GET /api/auth/organization/get-full-organization",
      "POST /api/auth/organization/invite-member",
      "POST /api/auth/organization/accept-invitation",
      "POST /api/auth/organization/update-member-role",
      "POST /api/auth/organization/remove-member",
      "GET /api/auth/organization/list-invitations",
    ]) {
      expect(probed, route).toContain(route);
    }
    // No way around the list by spelling.
    for (const path of ["/api/auth/sign-in/email/", "/api/auth//sign-in/email", "/api/auth/SIGN-IN/email", "/api/auth/sign-in%2Femail", "/api/auth/sign-in/email%00", "/api/auth/sign-in/email;x"]) {
      const res = await fetch(`${t.url}${path}`, { method: "POST", headers: json(t), body: "{}" });
      expect(res.status, path).toBe(404);
    }
    expect((await fetch(`${t.url}/api/auth/get-session`, { method: "POST", headers: json(t, { cookie: owner.cookie }), body: "{}" })).status).toBe(404);
    // The allowed ones answer.
    const session = await fetch(`${t.url}/api/auth/get-session`, { headers: { cookie: owner.cookie } });
    expect(session.status).toBe(200);
    expect(((await session.json()) as { user: { id: string } }).user.id).toBe(owner.userId);
    const list = await fetch(`${t.url}/api/auth/organization/list`, { headers: { cookie: admin.cookie } });
    expect(((await list.json()) as { id: string }[]).map((w) => w.id).sort()).toEqual([owner.workspaceId, admin.workspaceId].sort());
  });

  it("a role is one value everywhere: `member,admin` is refused by GraphQL, the domain and the database", async () => {
    const viaGraphQL = await t.gql(`mutation($id: ID!, $r: Role!) { updateMemberRole(id: $id, role: $r) { role } }`, { cookie: owner.cookie, variables: { id: adminMemberId, r: "member,admin" } });
    expect(viaGraphQL.body.data ?? null).toBeNull();
    expect(viaGraphQL.body.errors?.[0]?.message).toMatch(/"member,admin".*Role/);
    const invite = await t.gql(`mutation($r: Role!) { inviteMember(email: "x@example.test", role: $r) { id } }`, { cookie: owner.cookie, variables: { r: "member,admin" } });
    expect(invite.body.data ?? null).toBeNull();
    expect(invite.body.errors?.[0]?.message).toMatch(/"member,admin".*Role/);
    await expect(changeMemberRole({ prisma: prisma(), workspaceId: owner.workspaceId, actor: { userId: owner.userId, role: "owner" }, memberId: adminMemberId, role: "member,admin" })).rejects.toBeInstanceOf(MemberError);
    await expect(prisma().member.update({ where: { id: adminMemberId }, data: { role: "member,admin" } })).rejects.toThrow(/membership_role_check|check constraint/i);
    await expect(
      prisma().invitation.create({ data: { id: crypto.randomUUID(), organizationId: owner.workspaceId, email: "y@example.test", role: "member,admin", expiresAt: new Date(Date.now() + 1000), inviterId: owner.userId } }),
    ).rejects.toThrow(/invitation_role_check|check constraint/i);
    const key = await prisma().apikey.findFirst({ where: { referenceId: owner.workspaceId } });
    if (key) await expect(prisma().apikey.update({ where: { id: key.id }, data: { role: "admin,owner" } })).rejects.toThrow(/api_key_role_check|check constraint/i);
    expect((await prisma().member.findUniqueOrThrow({ where: { id: adminMemberId } })).role).toBe("admin");
  });

  it("audits every administration change and tells open sockets of every change of authority", async () => {
    const events: AccessChange[] = [];
    const iterator = t.app.realtime.subscribe("access:changed")[Symbol.asyncIterator]();
    let listening = true;
    const pump = (async () => {
      while (listening) {
        const next = await iterator.next();
        if (next.done) break;
        events.push(next.value);
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    const since = new Date();
    const gql = (query: string, variables?: Record<string, unknown>, cookie = owner.cookie) => t.gql(query, { cookie, variables });

    const invited = await gql(`mutation { inviteMember(email: "later@example.test", role: MEMBER) { id } }`);
    await gql(`mutation($id: ID!) { revokeInvitation(id: $id) }`, { id: invited.body.data.inviteMember.id });
    const mia = await t.signUp({ name: "Mia" });
    const miaMemberId = await t.addMember(owner, mia, "MEMBER");
    await gql(`mutation($id: ID!) { updateMemberRole(id: $id, role: VIEWER) { role } }`, { id: miaMemberId });
    await gql(`mutation { renameWorkspace(name: "Olive's team") { name } }`);
    const key = (await gql(`mutation { createApiKey(name: "ci") { id } }`)).body.data.createApiKey.id;
    await gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: key });
    await gql(`mutation($id: ID!) { removeMember(id: $id) }`, { id: miaMemberId });
    const session = await prisma().session.findFirstOrThrow({ where: { userId: mia.userId }, orderBy: { createdAt: "desc" } });
    const out = await fetch(`${t.url}/api/auth/sign-out`, { method: "POST", headers: json(t, { cookie: mia.cookie }), body: "{}" });
    expect(out.status).toBe(200);

    const rows = await prisma().auditEvent.findMany({ where: { workspaceId: owner.workspaceId, createdAt: { gte: since } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    expect(rows.map((r) => [r.action, r.actorUserId])).toEqual([
      ["member.invited", owner.userId],
      ["member.invitation_revoked", owner.userId],
      ["member.invited", owner.userId],
      ["member.joined", mia.userId],
      ["member.role_changed", owner.userId],
      ["workspace.renamed", owner.userId],
      ["api_key.created", owner.userId],
      ["api_key.revoked", owner.userId],
      ["member.removed", owner.userId],
    ]);
    expect(rows.find((r) => r.action === "member.role_changed")?.metadata).toMatchObject({ from: "member", to: "viewer", userId: mia.userId });
    expect(rows.find((r) => r.action === "workspace.renamed")?.metadata).toMatchObject({ to: "Olive's team" });

    await new Promise((r) => setTimeout(r, 100));
    listening = false;
    await iterator.return?.();
    await pump.catch(() => {});
    const seen = events.map(({ at: _at, ...rest }) => rest);
    expect(seen).toContainEqual({ kind: "membership", userId: mia.userId, workspaceId: owner.workspaceId });
    expect(seen.filter((e) => e.kind === "membership" && e.userId === mia.userId)).toHaveLength(2); // role change, removal
    expect(seen).toContainEqual({ kind: "apiKey", apiKeyId: key, workspaceId: owner.workspaceId });
    expect(seen).toContainEqual({ kind: "session", sessionId: session.id, userId: mia.userId });
  });
});

describe.skipIf(!enabled)("registration", () => {
  it("defaults: open when embedded, invite for a deployment", () => {
    expect(parseEnv({}).signup).toBe("open");
    expect(parseEnv({ DATABASE_URL: "postgresql://db.example/sb" }).signup).toBe("invite");
    expect(parseEnv({ DATABASE_URL: "postgresql://db.example/sb", SIGNUP: "open" }).signup).toBe("open");
  });

  describe("passwords and registered addresses (SIGNUP=open)", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ database: "postgres", env: { SIGNUP: "open" } });
    });
    afterAll(() => t?.close());
    const signUp = (body: Record<string, unknown>) => fetch(`${t.url}/api/auth/sign-up/email`, { method: "POST", headers: json(t), body: JSON.stringify(body) });

    it("finding: `aaaaaaaa` was an accepted password; weak and short passwords are refused with a clear message", async () => {
      for (const password of ["aaaaaaaa", "aaaaaaaaaaaa", "password1234", "qwertyuiopas", "Password123!"]) {
        const res = await signUp({ email: `weak-${Math.random().toString(36).slice(2)}@example.test`, password, name: "Weak" });
        expect(res.status, password).toBe(400);
        const body = (await res.json()) as { code: string; message: string };
        expect(body.code, password).toMatch(/^PASSWORD_TOO_(WEAK|SHORT)$/);
        expect(body.message, password).toMatch(/too easy to guess|at least 12 characters/);
      }
      const short = (await (await signUp({ email: "short@example.test", password: "Zx9!qLm2", name: "S" })).json()) as { code: string; message: string };
      expect(short).toMatchObject({ code: "PASSWORD_TOO_SHORT", message: "Use a password of at least 12 characters." });
      // The person's own name or address does not make a password strong.
      const named = await signUp({ email: "margaretthatcher@example.test", password: "margaretthatcher", name: "Margaret Thatcher" });
      expect(named.status).toBe(400);
      expect(await t.app.db.prisma.user.count({ where: { name: { in: ["Weak", "S", "Margaret Thatcher"] } } })).toBe(0);
      expect((await signUp({ email: "strong@example.test", password: "correct horse battery", name: "Strong" })).status).toBe(200);
    });

    it("finding: sign-up revealed registered emails; it now answers the same, starts no session, and changes nothing", async () => {
      const existing = await t.signUp({ name: "Rita", email: "rita@example.test" });
      const fresh = await signUp({ email: "newcomer@example.test", password: "plum lantern orbit", name: "Nina" });
      const taken = await signUp({ email: "rita@example.test", password: "plum lantern orbit", name: "Nina" });
      const takenUpper = await signUp({ email: "RITA@example.test", password: "plum lantern orbit", name: "Nina" });
      for (const res of [fresh, taken, takenUpper]) {
        expect(res.status).toBe(200);
        expect(res.headers.getSetCookie()).toEqual([]);
      }
      const shape = (body: { token: unknown; user: Record<string, unknown> }) => ({ token: body.token, userKeys: Object.keys(body.user).sort(), email: body.user.email, name: body.user.name });
      const [a, b, c] = (await Promise.all([fresh.json(), taken.json(), takenUpper.json()])) as { token: unknown; user: Record<string, unknown> }[];
      expect(shape(b!)).toEqual({ ...shape(a!), email: "rita@example.test" });
      expect(shape(c!)).toEqual(shape(b!));
      expect(b!.user.id).not.toBe(existing.userId);
      expect(JSON.stringify(b)).not.toMatch(/exist/i);
      // Rita's account is untouched: her password works, the newcomer's does not.
      expect((await t.signIn("rita@example.test")).userId).toBe(existing.userId);
      const wrong = await fetch(`${t.url}/api/auth/sign-in/email`, { method: "POST", headers: json(t), body: JSON.stringify({ email: "rita@example.test", password: "plum lantern orbit" }) });
      expect(wrong.status).toBe(401);
      expect(await t.app.db.prisma.user.count({ where: { email: "rita@example.test" } })).toBe(1);
      // The new address really has an account: sign in with it.
      expect((await t.signIn("newcomer@example.test", "plum lantern orbit")).userId).toBeTruthy();
    });
  });

  describe("SIGNUP=invite", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ database: "postgres", env: { SIGNUP: "invite" } });
    });
    afterAll(() => t?.close());
    const signUp = (body: Record<string, unknown>) => fetch(`${t.url}/api/auth/sign-up/email`, { method: "POST", headers: json(t), body: JSON.stringify(body) });

    it("lets the first account of an empty instance in, then only people holding an invitation for their address", async () => {
      const first = await t.signUp({ name: "First", email: "first@example.test" });
      const refused = await signUp({ email: "walkin@example.test", password: "correct horse battery", name: "Walk In" });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ code: "SIGNUP_BY_INVITATION", message: expect.stringMatching(/by invitation only/) });

      const invited = await t.gql(`mutation { inviteMember(email: "guest@example.test", role: MEMBER) { acceptUrl } }`, { cookie: first.cookie });
      const token = invited.body.data.inviteMember.acceptUrl.split("/invite/")[1];
      const otherAddress = await signUp({ email: "walkin@example.test", password: "correct horse battery", name: "Walk In", invitationToken: token });
      expect(otherAddress.status).toBe(403);
      expect(await otherAddress.json()).toMatchObject({ code: "INVITATION_FOR_ANOTHER_EMAIL" });
      const forged = await signUp({ email: "guest@example.test", password: "correct horse battery", name: "Guest", invitationToken: "A".repeat(43) });
      expect(forged.status).toBe(403);

      const ok = await signUp({ email: "guest@example.test", password: "correct horse battery", name: "Guest", invitationToken: token });
      expect(ok.status).toBe(200);
      const guest = await t.signIn("guest@example.test");
      const accepted = await t.gql(`mutation($t: String!) { acceptInvitation(token: $t) { role workspace { id } } }`, { cookie: guest.cookie, variables: { t: token } });
      expect(accepted.body.data.acceptInvitation).toEqual({ role: "MEMBER", workspace: { id: first.workspaceId } });
      expect(await t.app.db.prisma.user.count({ where: { email: "walkin@example.test" } })).toBe(0);
    });
  });

  describe("SIGNUP=off", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ database: "postgres", env: { SIGNUP: "off" } });
    });
    afterAll(() => t?.close());

    it("refuses every sign-up, even the first; the operator's CLI path still creates accounts", async () => {
      const res = await fetch(`${t.url}/api/auth/sign-up/email`, { method: "POST", headers: json(t), body: JSON.stringify({ email: "a@example.test", password: "correct horse battery", name: "A" }) });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: "SIGNUP_DISABLED" });
      expect(await t.app.db.prisma.user.count()).toBe(0);
      // `pnpm admin create-user` calls the library in-process (no HTTP request): not gated, but the password policy holds.
      await expect(t.app.auth.api.signUpEmail({ body: { email: "ops@example.test", password: "aaaaaaaaaaaa", name: "Ops" } })).rejects.toThrow(/too easy to guess/);
      await t.app.auth.api.signUpEmail({ body: { email: "ops@example.test", password: "correct horse battery", name: "Ops" } });
      expect((await t.signIn("ops@example.test")).userId).toBeTruthy();
    });
  });
});
