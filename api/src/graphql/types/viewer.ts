import { builder } from "../builder.ts";
import { RoleEnum } from "./enums.ts";

builder.prismaObject("User", {
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    email: t.exposeString("email"),
  }),
});

builder.prismaObject("Organization", {
  name: "Workspace",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    slug: t.exposeString("slug"),
  }),
});

const ViewerRef = builder.objectRef<{ userId: string; workspaceId: string; role: "owner" | "admin" | "member" | "viewer"; via: "session" | "apiKey" }>("Viewer");

ViewerRef.implement({
  description: "The caller: a signed-in user, or an API key acting for the member who created it",
  fields: (t) => ({
    user: t.prismaField({
      type: "User",
      resolve: (query, viewer, _args, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: viewer.userId } }),
    }),
    workspace: t.prismaField({
      type: "Organization",
      resolve: (query, viewer, _args, ctx) => ctx.prisma.organization.findUniqueOrThrow({ ...query, where: { id: viewer.workspaceId } }),
    }),
    role: t.field({ type: RoleEnum, resolve: (viewer) => viewer.role }),
    authenticatedWith: t.string({
      description: "session or apiKey",
      resolve: (viewer) => viewer.via,
    }),
  }),
});

builder.queryField("viewer", (t) => t.field({ type: ViewerRef, resolve: (_root, _args, ctx) => ctx.viewer }));
