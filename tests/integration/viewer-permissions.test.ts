import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

// Viewer.permissions: what each role may do, as the web reads it instead of keeping its own
// copy of the rules, and whether the answer agrees with what the API then allows.

const enabled = await requirePostgres();

const PERMISSIONS = `{ viewer { role permissions {
  testIntegrations connectIntegrations manageApiKeys manageWebhooks manageAlerts manageMembers readAuditLog changeOwners assignableRoles
} } }`;

const EXPECTED = {
  OWNER: { testIntegrations: true, connectIntegrations: true, manageApiKeys: true, manageWebhooks: true, manageAlerts: true, manageMembers: true, readAuditLog: true, changeOwners: true, assignableRoles: ["OWNER", "ADMIN", "MEMBER", "VIEWER"] },
  ADMIN: { testIntegrations: true, connectIntegrations: true, manageApiKeys: true, manageWebhooks: true, manageAlerts: true, manageMembers: true, readAuditLog: true, changeOwners: false, assignableRoles: ["ADMIN", "MEMBER", "VIEWER"] },
  MEMBER: { testIntegrations: true, connectIntegrations: false, manageApiKeys: false, manageWebhooks: false, manageAlerts: false, manageMembers: false, readAuditLog: false, changeOwners: false, assignableRoles: [] },
  VIEWER: { testIntegrations: false, connectIntegrations: false, manageApiKeys: false, manageWebhooks: false, manageAlerts: false, manageMembers: false, readAuditLog: false, changeOwners: false, assignableRoles: [] },
} as const;
type RoleName = keyof typeof EXPECTED;

// One operation each permission stands for; the API answers FORBIDDEN exactly when it is false.
const GUARDED: [keyof (typeof EXPECTED)["OWNER"], string][] = [
  ["testIntegrations", `mutation { testAllIntegrations { status } }`],
  ["manageApiKeys", `{ apiKeys { id } }`],
  ["manageWebhooks", `{ webhookEndpoints { id } }`],
  ["manageMembers", `{ invitations { id } }`],
  ["readAuditLog", `{ auditEvents { id } }`],
];

describe.skipIf(!enabled)("Viewer.permissions", () => {
  let t: TestApp;
  const users = {} as Record<RoleName, { cookie: string; email: string; userId: string }>;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    const stamp = Date.now();
    users.OWNER = await t.signUp({ name: "Olga", email: `olga-${stamp}@example.test` });
    for (const role of ["ADMIN", "MEMBER", "VIEWER"] as const) {
      const user = await t.signUp({ name: role, email: `${role.toLowerCase()}-${stamp}@example.test` });
      await t.addMember(users.OWNER, user, role);
      users[role] = user;
    }
  });
  afterAll(() => t?.close());

  for (const role of Object.keys(EXPECTED) as RoleName[]) {
    it(`answers ${role}'s permissions, and the API allows exactly those`, async () => {
      const answer = await t.gql(PERMISSIONS, { cookie: users[role].cookie });
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data.viewer.role).toBe(role);
      expect(answer.body.data.viewer.permissions).toEqual(EXPECTED[role]);
      for (const [permission, operation] of GUARDED) {
        const result = await t.gql(operation, { cookie: users[role].cookie });
        const forbidden = result.body.errors?.[0]?.extensions?.code === "FORBIDDEN";
        expect(forbidden, `${role} ${operation}`).toBe(!EXPECTED[role][permission]);
      }
    });
  }

  it("answers an API key's permissions with the key's role", async () => {
    const created = await t.gql(`mutation { createApiKey(name: "ci") { key } }`, { cookie: users.ADMIN.cookie });
    const answer = await t.gql(PERMISSIONS, { apiKey: created.body.data.createApiKey.key });
    expect(answer.body.data.viewer.permissions).toEqual(EXPECTED.ADMIN);
  });

  it("gives an admin no owner roles: making someone owner is refused, as changeOwners says", async () => {
    const viewerMember = (await t.app.db.prisma.member.findFirstOrThrow({ where: { userId: users.VIEWER.userId, role: "viewer" } })).id;
    const refused = await t.gql(`mutation($id: ID!) { updateMemberRole(id: $id, role: OWNER) { role } }`, { cookie: users.ADMIN.cookie, variables: { id: viewerMember } });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});
