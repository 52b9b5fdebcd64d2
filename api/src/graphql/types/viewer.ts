import { builder } from "../builder.ts";
import { RoleEnum } from "./enums.ts";
import { viewerPermissions, type ViewerPermissions } from "../../auth/viewer-permissions.ts";

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

const ViewerPermissionsRef = builder.objectRef<ViewerPermissions>("ViewerPermissions").implement({
  description: "What the caller's role may do (api/src/auth/roles.ts), so clients show only the controls that will work",
  fields: (t) => ({
    testIntegrations: t.exposeBoolean("testIntegrations", { description: "testIntegration, testAllIntegrations" }),
    connectIntegrations: t.exposeBoolean("connectIntegrations", { description: "Connect and disconnect integrations" }),
    manageApiKeys: t.exposeBoolean("manageApiKeys"),
    manageWebhooks: t.exposeBoolean("manageWebhooks"),
    manageAlerts: t.exposeBoolean("manageAlerts", { description: "Notification channels and alert rules" }),
    manageMembers: t.exposeBoolean("manageMembers", { description: "Invite, change roles, remove members, revoke invitations" }),
    readAuditLog: t.exposeBoolean("readAuditLog"),
    changeOwners: t.exposeBoolean("changeOwners", { description: "Change or remove an owner, or revoke an invitation to become owner" }),
    assignableRoles: t.field({
      type: [RoleEnum],
      description: "Roles the caller may give in inviteMember and updateMemberRole (never above their own); empty when they manage no members",
      resolve: (permissions) => permissions.assignableRoles,
    }),
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
    permissions: t.field({ type: ViewerPermissionsRef, resolve: (viewer) => viewerPermissions(viewer.role) }),
    authenticatedWith: t.string({
      description: "session or apiKey",
      resolve: (viewer) => viewer.via,
    }),
  }),
});

builder.queryField("viewer", (t) => t.field({ type: ViewerRef, resolve: (_root, _args, ctx) => ctx.viewer }));
