import type { ApiKeyPermission } from "$lib/graphql/types";

// Words for the schema's ApiKeyPermission values, after the enum's description in
// schema.graphql (what each lets a key do). The `satisfies` makes a value added to the schema
// fail the typecheck until it has words here. Who may give which is the API's to say: it
// answers createApiKey with its reason when the caller's role does not allow one.

export const PERMISSION_LABELS = {
  READ: { label: "Read", detail: "The GraphQL API at /graphql, as the key's role allows." },
  PROXY: { label: "Proxy", detail: "Call a provider through /proxy/{connection id}/… with a connection's token, which stays in Switchboard (members and up)." },
  CREDENTIALS: { label: "Credentials", detail: "Read a connection's fresh access token with POST /api/connections/{connection id}/token (owners and admins)." },
} as const satisfies Record<ApiKeyPermission, { label: string; detail: string }>;

/** The schema's values in the order the page shows them. */
export const PERMISSIONS_IN_ORDER: ApiKeyPermission[] = ["READ", "PROXY", "CREDENTIALS"];

/** A new key's permissions unless the person chooses others: the API's default. */
export const DEFAULT_PERMISSIONS: ApiKeyPermission[] = ["READ"];

/** "Read, Proxy": a key's permissions in the page's order. */
export function permissionsText(permissions: readonly ApiKeyPermission[]): string {
  return PERMISSIONS_IN_ORDER.filter((p) => permissions.includes(p))
    .map((p) => PERMISSION_LABELS[p].label)
    .join(", ");
}

/**
 * One request to try a new key from a terminal, for something the key may do: a GraphQL query
 * that works as written when it may read (a key without READ is answered 403 there), else a call
 * through the proxy, else a token read. `<connection id>` is for the person to fill in.
 */
export function exampleRequest({ key, permissions, origin }: { key: string; permissions: readonly ApiKeyPermission[]; origin: string }): string {
  if (permissions.includes("READ")) {
    return `curl -s ${origin}/graphql -H 'authorization: Bearer ${key}' -H 'content-type: application/json' -d '{"query":"{ viewer { role workspace { name } } integrations { nodes { id label status healthStatus } } }"}'`;
  }
  if (permissions.includes("PROXY")) return `curl -s -H 'authorization: Bearer ${key}' ${origin}/proxy/<connection id>/...`;
  return `curl -s -X POST -H 'authorization: Bearer ${key}' ${origin}/api/connections/<connection id>/token`;
}
