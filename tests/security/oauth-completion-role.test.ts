import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { requirePostgres } from "../support/postgres.ts";
import { consent } from "../support/sandbox-consent.ts";

// Issue 12, item 10: completing an OAuth connection re-checks the starter's role as it is now.
// A connect takes up to the state's 10 minutes: an admin who pressed Connect and was then
// demoted to viewer (or removed) could still finish it and store a connection in the workspace.

const hasPostgres = await requirePostgres();

describe.runIf(hasPostgres)("an OAuth callback is completed with the starter's current role", () => {
  let t: TestApp;
  let owner: { cookie: string; userId: string; workspaceId: string };

  beforeAll(async () => {
    t = await startTestApp({ database: "postgres", env: { SIGNUP: "open" } });
    owner = await t.signUp({ name: "Owen Owner" });
  });
  afterAll(() => t?.close());

  /** Someone with their own workspace who is also an admin of the owner's, acting there. */
  async function adminOfOwnersWorkspace() {
    const person = await t.signUp({ name: "Ada Admin" });
    await t.app.db.prisma.member.create({ data: { id: randomUUID(), organizationId: owner.workspaceId, userId: person.userId, role: "admin", createdAt: new Date() } });
    await t.app.db.prisma.session.updateMany({ where: { userId: person.userId }, data: { activeOrganizationId: owner.workspaceId } });
    const viewer = await t.gql<{ viewer: { role: string } }>("{ viewer { role } }", { cookie: person.cookie });
    expect(viewer.body.data?.viewer.role).toBe("ADMIN");
    return person;
  }

  /** Connect pressed and Allow clicked at the provider; the callback is not sent yet. */
  async function startConnect(person: { cookie: string }, provider: string) {
    const started = await t.gql<{ connectIntegration: { authorizationUrl: string } }>(`mutation($p: ID!) { connectIntegration(provider: $p) { authorizationUrl } }`, { cookie: person.cookie, variables: { p: provider } });
    expect(started.body.errors).toBeUndefined();
    const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
    const back = await consent(started.body.data!.connectIntegration.authorizationUrl, { origin: t.origin });
    return {
      complete: async (cookie: string) => {
        const done = await t.gql<{ completeIntegrationConnection: { errorCode: string | null; integrationId: string | null; redirectTo: string } }>(
          `mutation($p: ID!, $q: String!) { completeIntegrationConnection(provider: $p, callbackQuery: $q) { errorCode integrationId redirectTo } }`,
          { cookie: `${cookie}; ${binding}`, variables: { p: provider, q: back.search } },
        );
        expect(done.body.errors).toBeUndefined();
        return done.body.data!.completeIntegrationConnection;
      },
    };
  }

  const stored = (provider: string) => t.app.db.prisma.integration.count({ where: { workspaceId: owner.workspaceId, providerId: provider } });
  const codeExchanges = (provider: "slack" | "hubspot" | "google") => t.app.sandbox!.stats(provider).tokenRequests.authorization_code;

  it("an admin demoted to viewer after pressing Connect: the callback is refused with forbidden, nothing stored, the code never exchanged", async () => {
    const admin = await adminOfOwnersWorkspace();
    const flow = await startConnect(admin, "hubspot");
    await t.app.db.prisma.member.updateMany({ where: { userId: admin.userId, organizationId: owner.workspaceId }, data: { role: "viewer" } });
    const exchanges = codeExchanges("hubspot");

    const outcome = await flow.complete(admin.cookie);
    expect(outcome).toMatchObject({ errorCode: "FORBIDDEN", integrationId: null });
    expect(outcome.redirectTo).toContain("error=forbidden");
    expect(await stored("hubspot")).toBe(0);
    expect(codeExchanges("hubspot")).toBe(exchanges);
    expect(await t.app.db.prisma.auditEvent.count({ where: { workspaceId: owner.workspaceId, action: "integration.connected" } })).toBe(0);
  });

  it("a member (may test, not connect) is refused the same way", async () => {
    const admin = await adminOfOwnersWorkspace();
    const flow = await startConnect(admin, "google");
    await t.app.db.prisma.member.updateMany({ where: { userId: admin.userId, organizationId: owner.workspaceId }, data: { role: "member" } });
    expect(await flow.complete(admin.cookie)).toMatchObject({ errorCode: "FORBIDDEN", integrationId: null });
    expect(await stored("google")).toBe(0);
  });

  it("removed from the workspace after pressing Connect (still signed in elsewhere): refused, nothing stored", async () => {
    const admin = await adminOfOwnersWorkspace();
    const flow = await startConnect(admin, "slack");
    await t.app.db.prisma.member.deleteMany({ where: { userId: admin.userId, organizationId: owner.workspaceId } });
    // Their session now acts in their own workspace, where they are the owner.
    await t.app.db.prisma.session.updateMany({ where: { userId: admin.userId }, data: { activeOrganizationId: null } });
    const exchanges = codeExchanges("slack");
    expect(await flow.complete(admin.cookie)).toMatchObject({ errorCode: "FORBIDDEN", integrationId: null });
    expect(await stored("slack")).toBe(0);
    expect(codeExchanges("slack")).toBe(exchanges);
  });

  it("an admin who still is one completes the connection", async () => {
    const admin = await adminOfOwnersWorkspace();
    const flow = await startConnect(admin, "hubspot");
    const outcome = await flow.complete(admin.cookie);
    expect(outcome.errorCode).toBeNull();
    expect(outcome.integrationId).toBeTruthy();
    expect(await stored("hubspot")).toBe(1);
  });
});
