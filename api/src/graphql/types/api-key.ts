import { builder } from "../builder.ts";
import { clientError } from "../errors.ts";
import { ApiKeyError, createWorkspaceApiKey, type CreatedApiKey } from "../../auth/api-keys.ts";
import { API_KEY_PERMISSIONS, type ApiKeyPermission } from "../../auth/key-permissions.ts";

export const ApiKeyPermissionEnum = builder.enumType("ApiKeyPermission", {
  description:
    "What an API key may do. READ: the GraphQL API, as its role allows (every key before December 2026). PROXY: call a provider through /proxy/{integrationId}/{path} with a connection's token, which stays in Switchboard (members and up). CREDENTIALS: read a connection's fresh access token with POST /api/connections/{integrationId}/token (owners and admins). Never more than the key's role allows, checked again on every use",
  values: Object.fromEntries(API_KEY_PERMISSIONS.map((p) => [p.toUpperCase(), { value: p }])) as Record<"READ" | "PROXY" | "CREDENTIALS", { value: (typeof API_KEY_PERMISSIONS)[number] }>,
});

const CreatedApiKeyRef = builder.objectRef<CreatedApiKey>("CreatedApiKey").implement({
  description: "A new API key. `key` is shown this once; only its hash is stored.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    start: t.exposeString("start", { nullable: true, description: "The first characters, to recognise the key later" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    key: t.exposeString("key"),
    permissions: t.field({ type: [ApiKeyPermissionEnum], resolve: (k) => k.permissions }),
  }),
});

function failBeyondKey(p: string): never {
  throw new ApiKeyError("FORBIDDEN", `This API key cannot make a key with the ${p} permission: it does not have it.`);
}

builder.mutationField("createApiKey", (t) =>
  t.field({
    type: CreatedApiKeyRef,
    description: "Create a workspace API key (owners and admins). `permissions` defaults to [READ] and is never more than the caller's role allows (FORBIDDEN otherwise); a key creating a key passes on at most its own role and permissions",
    authScopes: { permission: { apiKey: ["create"] } },
    args: {
      name: t.arg.string({ required: true }),
      permissions: t.arg({ type: [ApiKeyPermissionEnum], required: false }),
    },
    resolve: async (_root, args, ctx) => {
      try {
        if (args.permissions && args.permissions.length === 0) throw new ApiKeyError("INVALID_NAME", "Give at least one permission: READ, PROXY or CREDENTIALS.");
        return await createWorkspaceApiKey({
          auth: ctx.auth,
          prisma: ctx.prisma,
          userId: ctx.viewer.userId,
          workspaceId: ctx.viewer.workspaceId,
          name: args.name,
          // A key that makes a key passes on at most its own permissions and role.
          ...(ctx.viewer.via === "apiKey" ? { role: ctx.viewer.role, actorApiKeyId: ctx.viewer.apiKeyId } : {}),
          permissions: [...new Set((args.permissions ?? ["read"]) as ApiKeyPermission[])].filter((p) => ctx.viewer.via !== "apiKey" || ctx.viewer.keyPermissions?.includes(p) || failBeyondKey(p)),
        });
      } catch (error) {
        if (error instanceof ApiKeyError) throw clientError(error.code === "INVALID_NAME" ? "BAD_USER_INPUT" : "FORBIDDEN", error.message);
        throw error;
      }
    },
  }),
);
