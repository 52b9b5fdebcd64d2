import { createAccessControl } from "better-auth/plugins/access";
import { defaultStatements, adminAc, ownerAc, memberAc } from "better-auth/plugins/organization/access";

// The one definition of what each workspace role may do. better-auth's organization and
// api-key plugins enforce it on their own endpoints; the GraphQL layer asks `can()`.
// viewer: read; member: also test; admin and owner: also connect, disconnect, keys, webhooks.

export const statements = {
  ...defaultStatements,
  integration: ["read", "test", "connect", "disconnect"],
  apiKey: ["create", "read", "update", "delete"],
  webhook: ["create", "read", "update", "delete"],
  alert: ["create", "read", "update", "delete"],
  audit: ["read"],
} as const;

export const ac = createAccessControl(statements);

const read = { integration: ["read"] } as const;
const test = { integration: ["read", "test"] } as const;
const manage = {
  integration: ["read", "test", "connect", "disconnect"],
  apiKey: ["create", "read", "update", "delete"],
  webhook: ["create", "read", "update", "delete"],
  alert: ["create", "read", "update", "delete"],
  audit: ["read"],
} as const;

export const roles = {
  owner: ac.newRole({ ...ownerAc.statements, ...manage }),
  admin: ac.newRole({ ...adminAc.statements, ...manage }),
  member: ac.newRole({ ...memberAc.statements, ...test }),
  viewer: ac.newRole({ ...read }),
};

export type RoleName = keyof typeof roles;
export const ROLE_NAMES = ["owner", "admin", "member", "viewer"] as const satisfies readonly RoleName[];

export function isRoleName(value: unknown): value is RoleName {
  return typeof value === "string" && (ROLE_NAMES as readonly string[]).includes(value);
}

type Statements = typeof statements;
export type Permission = { [K in keyof Statements]?: Statements[K][number][] };

export function can(role: RoleName, permission: Permission): boolean {
  return roles[role].authorize(permission as never).success;
}
