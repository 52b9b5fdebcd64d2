import { can, ROLE_NAMES, type RoleName } from "./roles.ts";
import { ROLE_RANK } from "../domain/members/index.ts";

export type ViewerPermissions = {
  testIntegrations: boolean;
  connectIntegrations: boolean;
  manageApiKeys: boolean;
  manageWebhooks: boolean;
  manageAlerts: boolean;
  manageMembers: boolean;
  readAuditLog: boolean;
  changeOwners: boolean;
  assignableRoles: RoleName[];
};

/**
 * What a role may do, answered from roles.ts so the web shows or hides controls without a copy
 * of the rules. The API still checks every request itself.
 */
export function viewerPermissions(role: RoleName): ViewerPermissions {
  const manageMembers = can(role, { member: ["update", "delete"], invitation: ["create", "cancel"] });
  return {
    testIntegrations: can(role, { integration: ["test"] }),
    connectIntegrations: can(role, { integration: ["connect", "disconnect"] }),
    manageApiKeys: can(role, { apiKey: ["create", "read", "update", "delete"] }),
    manageWebhooks: can(role, { webhook: ["create", "read", "update", "delete"] }),
    manageAlerts: can(role, { alert: ["create"] }),
    manageMembers,
    readAuditLog: can(role, { audit: ["read"] }),
    // change-member-role.ts, remove-member.ts and revoke-invitation.ts: only owners touch owners.
    changeOwners: manageMembers && role === "owner",
    // input.ts assertMayGive: nobody gives a role above their own.
    assignableRoles: manageMembers ? ROLE_NAMES.filter((name) => ROLE_RANK[name] <= ROLE_RANK[role]) : [],
  };
}
