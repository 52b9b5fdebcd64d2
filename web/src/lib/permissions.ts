import type { Role } from "./graphql/types";

// Mirrors the role rules in design.md (api/src/auth/roles.ts) only to hide or explain controls
// up front; the API enforces them on every request regardless of what the UI shows.

export const ROLES: Role[] = ["OWNER", "ADMIN", "MEMBER", "VIEWER"];

export const ROLE_LABELS: Record<Role, string> = { OWNER: "Owner", ADMIN: "Admin", MEMBER: "Member", VIEWER: "Viewer" };

const RANK: Record<Role, number> = { VIEWER: 0, MEMBER: 1, ADMIN: 2, OWNER: 3 };

export function canTest(role: Role): boolean {
  return role !== "VIEWER";
}

/** Connect, disconnect, API keys, webhooks, members and the audit log. */
export function canManage(role: Role): boolean {
  return role === "OWNER" || role === "ADMIN";
}

/** Roles `actor` may give (inviteMember, updateMemberRole): never above their own, so owner only by owners. */
export function assignableRoles(actor: Role): Role[] {
  return ROLES.filter((role) => RANK[role] <= RANK[actor]);
}

/** Whether `actor` may change or remove someone who has `target`: only owners touch owners. */
export function canChangeMember(actor: Role, target: Role): boolean {
  return canManage(actor) && (target !== "OWNER" || actor === "OWNER");
}
