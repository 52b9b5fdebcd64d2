import { createHash } from "node:crypto";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SMTPServer } from "smtp-server";
import { simpleParser, type ParsedMail } from "mailparser";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

// Invitations replace addMember (issue 12, item 2): a token of 256 random bits in an accept URL
// given once (and e-mailed with SMTP_URL), stored hashed, single use, 7 days, revocable, for an
// account with the invited address. The takeover that was reported is reproduced and refused.

const enabled = await requirePostgres();

type User = Awaited<ReturnType<TestApp["signUp"]>>;

const tokenOf = (acceptUrl: string) => acceptUrl.split("/invite/")[1]!;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const INVITE = `mutation($e: String!, $r: Role!) { inviteMember(email: $e, role: $r) { id acceptUrl email role status expiresAt invitedBy { id } } }`;
const ACCEPT = `mutation($t: String!) { acceptInvitation(token: $t) { role workspace { id } } }`;

describe.skipIf(!enabled)("invitations", () => {
  let t: TestApp;
  let owner: User;
  let admin: User;
  let viewer: User;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    owner = await t.signUp({ name: "Owen" });
    admin = await t.signUp({ name: "Ada" });
    viewer = await t.signUp({ name: "Vera" });
    await t.addMember(owner, admin, "ADMIN");
    await t.addMember(owner, viewer, "VIEWER");
  });
  afterAll(() => t?.close());
  const prisma = () => t.app.db.prisma;
  const invite = (by: User, email: string, role: string) => t.gql(INVITE, { cookie: by.cookie, variables: { e: email, r: role } });

  it("addMember is gone from the schema and the API", async () => {
    const res = await t.gql(`mutation { addMember(email: "someone@example.test", role: VIEWER) { id } }`, { cookie: owner.cookie });
    expect(res.body.errors?.[0]?.message).toMatch(/Cannot query field "addMember"/);
    expect(readFileSync(join(import.meta.dirname, "../../schema.graphql"), "utf8")).not.toMatch(/addMember/);
  });

  it("returns the accept URL once; only the token's SHA-256 is stored, and no list, log or audit row shows it", async () => {
    const res = await invite(owner, "Dana@Example.test", "MEMBER");
    const invitation = res.body.data.inviteMember;
    expect(invitation).toMatchObject({ email: "dana@example.test", role: "MEMBER", status: "pending", invitedBy: { id: owner.userId } });
    expect(invitation.acceptUrl).toMatch(new RegExp(`^${t.origin}/invite/[A-Za-z0-9_-]{43}$`));
    const token = tokenOf(invitation.acceptUrl);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    const expires = new Date(invitation.expiresAt).getTime() - Date.now();
    expect(expires).toBeGreaterThan(7 * 24 * 3600_000 - 60_000);
    expect(expires).toBeLessThanOrEqual(7 * 24 * 3600_000);

    const row = await prisma().invitation.findUniqueOrThrow({ where: { id: invitation.id } });
    expect(row.tokenHash).toBe(sha256(token));
    const everything = JSON.stringify([row, await prisma().auditEvent.findMany({ where: { workspaceId: owner.workspaceId } })]);
    expect(everything).not.toContain(token);
    const listed = await t.gql(`{ invitations { id email acceptUrl } }`, { cookie: owner.cookie });
    expect(listed.body.data.invitations).toContainEqual({ id: invitation.id, email: "dana@example.test", acceptUrl: null });
    expect(t.logs()).not.toContain(token);
  });

  it("finding: a viewer read pending invitations and their ids; now only owners and admins see them, never a token", async () => {
    await invite(owner, "erin@example.test", "ADMIN");
    for (const who of [viewer]) {
      const res = await t.gql(`{ invitations { id email } }`, { cookie: who.cookie });
      expect(res.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(res.body.data ?? null).toBeNull();
    }
    // The library's own route that gave them away is not mounted.
    const full = await fetch(`${t.url}/api/auth/organization/get-full-organization?organizationId=${owner.workspaceId}`, { headers: { cookie: viewer.cookie } });
    expect(full.status).toBe(404);
    const listInvitations = await fetch(`${t.url}/api/auth/organization/list-invitations?organizationId=${owner.workspaceId}`, { headers: { cookie: viewer.cookie } });
    expect(listInvitations.status).toBe(404);
    const asAdmin = await t.gql(`{ invitations { email role acceptUrl } }`, { cookie: admin.cookie });
    expect(asAdmin.body.data.invitations).toContainEqual({ email: "erin@example.test", role: "ADMIN", acceptUrl: null });
  });

  it("finding: a viewer signed up as the invited address and accepted as ADMIN; without the token that makes nobody a member", async () => {
    const res = await invite(owner, "frank@example.test", "ADMIN");
    const token = tokenOf(res.body.data.inviteMember.acceptUrl);
    // The viewer registers the invited address (no proof of the address is asked for) …
    const impostor = await t.signUp({ email: "frank@example.test", name: "Not Frank" });
    expect(await prisma().member.count({ where: { organizationId: owner.workspaceId, userId: impostor.userId } })).toBe(0);
    // … but cannot accept without the token, which no list, route or audit row gives out.
    for (const guess of ["A".repeat(43), res.body.data.inviteMember.id, sha256(token), token.slice(0, 42)]) {
      const accepted = await t.gql(ACCEPT, { cookie: impostor.cookie, variables: { t: guess } });
      expect(accepted.body.errors?.[0]?.extensions?.code, guess).toBe("NOT_FOUND");
    }
    // The viewer's own account cannot use a token for someone else's address.
    const asViewer = await t.gql(ACCEPT, { cookie: viewer.cookie, variables: { t: token } });
    expect(asViewer.body.errors?.[0]).toMatchObject({ extensions: { code: "FORBIDDEN" }, message: expect.stringMatching(/another email address/) });
    expect(await prisma().member.findFirstOrThrow({ where: { organizationId: owner.workspaceId, userId: viewer.userId } })).toMatchObject({ role: "viewer" });
    expect((await prisma().invitation.findUniqueOrThrow({ where: { id: res.body.data.inviteMember.id } })).status).toBe("pending");
  });

  it("accepting needs the token and the invited address; the token then works never again", async () => {
    const grace = await t.signUp({ name: "Grace" });
    const res = await invite(admin, grace.email, "MEMBER");
    const { id, acceptUrl } = res.body.data.inviteMember;
    const token = tokenOf(acceptUrl);
    // What the invite page shows before signing in.
    const lookup = await fetch(`${t.url}/api/auth/invitation?token=${token}`);
    expect(lookup.status).toBe(200);
    expect(await lookup.json()).toMatchObject({ email: grace.email, role: "MEMBER", workspaceName: expect.any(String) });
    expect((await fetch(`${t.url}/api/auth/invitation?token=${"B".repeat(43)}`)).status).toBe(404);

    const accepted = await t.gql(ACCEPT, { cookie: grace.cookie, variables: { t: token } });
    expect(accepted.body.data.acceptInvitation).toEqual({ role: "MEMBER", workspace: { id: owner.workspaceId } });
    // The session that accepted now acts in the workspace.
    expect((await t.gql(`{ viewer { role workspace { id } } }`, { cookie: grace.cookie })).body.data.viewer).toEqual({ role: "MEMBER", workspace: { id: owner.workspaceId } });
    expect(await prisma().invitation.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "accepted", acceptedAt: expect.any(Date) });
    const joined = await prisma().auditEvent.findFirstOrThrow({ where: { workspaceId: owner.workspaceId, action: "member.joined", actorUserId: grace.userId } });
    expect(joined.metadata).toMatchObject({ invitationId: id, role: "member", invitedBy: admin.userId });

    // Used: refused, and the lookup no longer answers.
    const again = await t.gql(ACCEPT, { cookie: grace.cookie, variables: { t: token } });
    expect(again.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await fetch(`${t.url}/api/auth/invitation?token=${token}`)).status).toBe(404);
  });

  it("refuses expired and revoked tokens, and a replaced one", async () => {
    const henry = await t.signUp({ name: "Henry" });
    const expired = tokenOf((await invite(owner, henry.email, "VIEWER")).body.data.inviteMember.acceptUrl);
    await prisma().invitation.updateMany({ where: { tokenHash: sha256(expired) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await t.gql(ACCEPT, { cookie: henry.cookie, variables: { t: expired } })).body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");

    const revokedRes = (await invite(owner, henry.email, "VIEWER")).body.data.inviteMember;
    const revoke = await t.gql(`mutation($id: ID!) { revokeInvitation(id: $id) }`, { cookie: owner.cookie, variables: { id: revokedRes.id } });
    expect(revoke.body.data.revokeInvitation).toBe(true);
    expect((await t.gql(ACCEPT, { cookie: henry.cookie, variables: { t: tokenOf(revokedRes.acceptUrl) } })).body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await fetch(`${t.url}/api/auth/invitation?token=${tokenOf(revokedRes.acceptUrl)}`)).status).toBe(404);
    // Revoking twice, or another workspace's invitation: NOT_FOUND.
    expect((await t.gql(`mutation($id: ID!) { revokeInvitation(id: $id) }`, { cookie: owner.cookie, variables: { id: revokedRes.id } })).body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");

    // Inviting again replaces the pending invitation: the first link dies, the second works.
    const first = tokenOf((await invite(owner, henry.email, "VIEWER")).body.data.inviteMember.acceptUrl);
    const second = tokenOf((await invite(owner, henry.email, "MEMBER")).body.data.inviteMember.acceptUrl);
    expect((await t.gql(ACCEPT, { cookie: henry.cookie, variables: { t: first } })).body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await t.gql(ACCEPT, { cookie: henry.cookie, variables: { t: second } })).body.data.acceptInvitation.role).toBe("MEMBER");
    const actions = (await prisma().auditEvent.findMany({ where: { workspaceId: owner.workspaceId, action: "member.invitation_revoked" } })).map((e) => e.metadata);
    expect(actions).toContainEqual(expect.objectContaining({ email: henry.email, reason: "replaced" }));
  });

  it("nobody gives a role above their own: admins invite up to admin, only owners invite owners, members and viewers invite nobody", async () => {
    const byAdmin = await invite(admin, "owner-to-be@example.test", "OWNER");
    expect(byAdmin.body.errors?.[0]).toMatchObject({ extensions: { code: "FORBIDDEN" }, message: "You cannot give a role above your own." });
    expect((await invite(admin, "admin-to-be@example.test", "ADMIN")).body.errors).toBeUndefined();
    const byOwner = await invite(owner, "owner-to-be@example.test", "OWNER");
    expect(byOwner.body.errors).toBeUndefined();
    // An admin cannot revoke an invitation to become owner either.
    const revoke = await t.gql(`mutation($id: ID!) { revokeInvitation(id: $id) }`, { cookie: admin.cookie, variables: { id: byOwner.body.data.inviteMember.id } });
    expect(revoke.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await invite(viewer, "x@example.test", "VIEWER")).body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await invite(owner, "not an address", "VIEWER")).body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect((await invite(owner, owner.email, "VIEWER")).body.errors?.[0]?.message).toMatch(/already a member/);
  });

  it("an API key cannot accept an invitation", async () => {
    const ivan = await t.signUp({ name: "Ivan" });
    const key = (await t.gql(`mutation { createApiKey(name: "ivan") { key } }`, { cookie: ivan.cookie })).body.data.createApiKey.key;
    const token = tokenOf((await invite(owner, ivan.email, "VIEWER")).body.data.inviteMember.acceptUrl);
    const res = await t.gql(ACCEPT, { apiKey: key, variables: { t: token } });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect((await t.gql(ACCEPT, { cookie: ivan.cookie, variables: { t: token } })).body.data.acceptInvitation.role).toBe("VIEWER");
  });
});

describe.skipIf(!enabled)("invitations by e-mail (SMTP_URL, a real SMTP server on loopback)", () => {
  let t: TestApp;
  let smtp: SMTPServer;
  const received: { envelopeTo: string[]; mail: ParsedMail }[] = [];
  const waitForMail = async (to: string) => {
    for (let i = 0; i < 100; i++) {
      const found = received.find((m) => m.envelopeTo.includes(to));
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no mail to ${to}`);
  };

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            received.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const { port } = smtp.server.address() as AddressInfo;
    t = await startTestApp({ database: "postgres", env: { SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_FROM: "Switchboard <invites@example.test>" } });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  it("e-mails the accept link to the invited address, from SMTP_FROM", async () => {
    const owner = await t.signUp({ name: "Mailer" });
    const res = await t.gql(INVITE, { cookie: owner.cookie, variables: { e: "Kim@Example.test", r: "MEMBER" } });
    const { acceptUrl } = res.body.data.inviteMember;
    const { mail } = await waitForMail("kim@example.test");
    expect(mail.from?.text).toBe('"Switchboard" <invites@example.test>');
    expect(mail.subject).toMatch(/invited to .*workspace/);
    expect(mail.text).toContain(acceptUrl);
    expect(mail.text).toMatch(/expires/);
  });

  it("tells the holder of a registered address that someone tried to sign up with it (the sign-up answer stays the same)", async () => {
    const lena = await t.signUp({ name: "Lena", email: "lena@example.test" });
    const res = await fetch(`${t.url}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: t.origin },
      body: JSON.stringify({ email: lena.email, password: "plum lantern orbit", name: "Not Lena" }),
    });
    expect(res.status).toBe(200);
    const { mail } = await waitForMail(lena.email);
    expect(mail.subject).toMatch(/tried to create a Switchboard account/);
  });
});
