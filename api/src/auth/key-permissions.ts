import { can, type RoleName } from "./roles.ts";

// What an API key may do, chosen when it is made (issue 15). `read` is the GraphQL API as the
// key's role allows; `proxy` calls providers through /proxy/{integrationId}/… with a
// connection's token, which never leaves Switchboard; `credentials` hands out a connection's
// fresh access token (POST /api/connections/{id}/token), the strongest. A key's permissions
// never exceed what its role may do, checked when it is made and again on every use against
// the role it acts with then (its creator may have been demoted since).

export const API_KEY_PERMISSIONS = ["read", "proxy", "credentials"] as const;
export type ApiKeyPermission = (typeof API_KEY_PERMISSIONS)[number];

export function isApiKeyPermission(value: unknown): value is ApiKeyPermission {
  return typeof value === "string" && (API_KEY_PERMISSIONS as readonly string[]).includes(value);
}

/**
 * The permissions a role may give a key: viewers read only; members may also proxy (they may
 * already test connections); owners and admins, who connect and disconnect, may also read
 * credentials.
 */
export function permissionsAllowedFor(role: RoleName): ApiKeyPermission[] {
  const allowed: ApiKeyPermission[] = ["read"];
  if (can(role, { integration: ["test"] })) allowed.push("proxy");
  if (can(role, { integration: ["connect"] })) allowed.push("credentials");
  return allowed;
}

/** A key's stored permissions as they hold now: known values the role still allows, in a fixed order. */
export function effectivePermissions(stored: readonly string[] | null | undefined, role: RoleName): ApiKeyPermission[] {
  const allowed = permissionsAllowedFor(role);
  return API_KEY_PERMISSIONS.filter((p) => (stored ?? ["read"]).includes(p) && allowed.includes(p));
}

export class KeyPermissionInputError extends Error {}

/** Parses "read,proxy" or a list; default ["read"]; unknown names and an empty set are refused. */
export function parsePermissions(input: string | readonly string[] | null | undefined): ApiKeyPermission[] {
  if (input === null || input === undefined) return ["read"];
  const list = (typeof input === "string" ? input.split(",") : [...input]).map((p) => p.trim().toLowerCase()).filter(Boolean);
  if (list.length === 0) throw new KeyPermissionInputError("Give at least one permission: read, proxy or credentials.");
  const unknown = list.filter((p) => !isApiKeyPermission(p));
  if (unknown.length) throw new KeyPermissionInputError(`Unknown permission ${JSON.stringify(unknown[0]!.slice(0, 40))}: use read, proxy or credentials.`);
  return API_KEY_PERMISSIONS.filter((p) => list.includes(p));
}
