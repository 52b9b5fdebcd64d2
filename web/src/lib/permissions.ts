import type { Role } from "./graphql/types";

// Only the words for roles. What a role may do is the API's answer (Viewer.permissions, computed
// from api/src/auth/roles.ts); the API also enforces it on every request, whatever the UI shows.

export const ROLE_LABELS: Record<Role, string> = { OWNER: "Owner", ADMIN: "Admin", MEMBER: "Member", VIEWER: "Viewer" };
