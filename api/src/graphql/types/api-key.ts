import { builder } from "../builder.ts";
import { clientError } from "../errors.ts";
import { ApiKeyError, createWorkspaceApiKey, type CreatedApiKey } from "../../auth/api-keys.ts";

const CreatedApiKeyRef = builder.objectRef<CreatedApiKey>("CreatedApiKey").implement({
  description: "A new API key. `key` is shown this once; only its hash is stored.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    start: t.exposeString("start", { nullable: true, description: "The first characters, to recognise the key later" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    key: t.exposeString("key"),
  }),
});

builder.mutationField("createApiKey", (t) =>
  t.field({
    type: CreatedApiKeyRef,
    description: "Create a workspace API key (owners and admins)",
    authScopes: { permission: { apiKey: ["create"] } },
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      try {
        return await createWorkspaceApiKey({ auth: ctx.auth, prisma: ctx.prisma, userId: ctx.viewer.userId, workspaceId: ctx.viewer.workspaceId, name: args.name });
      } catch (error) {
        if (error instanceof ApiKeyError) throw clientError(error.code === "INVALID_NAME" ? "BAD_USER_INPUT" : "FORBIDDEN", error.message);
        throw error;
      }
    },
  }),
);
