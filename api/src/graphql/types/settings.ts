import { ApiKeyPermissionEnum } from "./api-key.ts";
import { API_KEY_PERMISSIONS } from "../../auth/key-permissions.ts";
import { builder } from "../builder.ts";
import { RoleEnum } from "./enums.ts";
import { actorOf, memberAction } from "./member-errors.ts";
import { isRoleName } from "../../auth/roles.ts";
import { ApiKeyError, revokeWorkspaceApiKey } from "../../auth/api-keys.ts";
import { changeMemberRole, removeMember, renameWorkspace } from "../../domain/members/index.ts";
import { clientError } from "../errors.ts";
import { AuditFilterError, auditEventsWhere, listAuditActions } from "../../domain/audit/list-audit-events.ts";

// Workspace settings: API keys, members and roles, the workspace's name, the audit log. Reads
// filter on the caller's workspace; every change goes through the domain, which checks the
// actor's role and writes the audit row in the same transaction.

builder.prismaObject("Apikey", {
  name: "ApiKey",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.string({ resolve: (k) => k.name ?? "" }),
    start: t.exposeString("start", { nullable: true, description: "The first characters, to recognise the key" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    lastUsedAt: t.expose("lastRequest", { type: "DateTime", nullable: true }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    role: t.field({
      type: RoleEnum,
      description: "The most this key may do (its creator's role when it was made); never more than its creator's current role",
      // Written by the server when the key was made (a key without it never authenticates).
      resolve: (k) => (isRoleName(k.role) ? k.role : "viewer"),
    }),
    createdBy: t.relation("createdBy", { nullable: true, description: "The member the key acts for" }),
    permissions: t.field({
      type: [ApiKeyPermissionEnum],
      description: "What the key was made to do; a permission its role no longer allows is refused on use",
      resolve: (k) => API_KEY_PERMISSIONS.filter((p) => k.access.includes(p)),
    }),
  }),
});

builder.queryField("apiKeys", (t) =>
  t.prismaField({
    type: ["Apikey"],
    description: "The workspace's API keys (owners and admins)",
    authScopes: { permission: { apiKey: ["read"] } },
    resolve: (query, _root, _args, ctx) => ctx.prisma.apikey.findMany({ ...query, where: { referenceId: ctx.viewer.workspaceId }, orderBy: { createdAt: "desc" } }),
  }),
);

builder.mutationField("revokeApiKey", (t) =>
  t.boolean({
    description: "Delete an API key of the workspace (owners and admins); its open connections close",
    authScopes: { permission: { apiKey: ["delete"] } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      try {
        await revokeWorkspaceApiKey({ prisma: ctx.prisma, realtime: ctx.realtime, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), id: String(args.id) });
        return true;
      } catch (error) {
        if (error instanceof ApiKeyError) throw clientError("NOT_FOUND", error.message);
        throw error;
      }
    },
  }),
);

builder.prismaObject("Member", {
  name: "Membership",
  fields: (t) => ({
    id: t.exposeID("id"),
    user: t.relation("user"),
    role: t.field({ type: RoleEnum, resolve: (m) => (isRoleName(m.role) ? m.role : "viewer") }),
    joinedAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryField("members", (t) =>
  t.prismaField({
    type: ["Member"],
    description: "Everyone in the workspace and their role",
    authScopes: { permission: { integration: ["read"] } },
    resolve: (query, _root, _args, ctx) => ctx.prisma.member.findMany({ ...query, where: { organizationId: ctx.viewer.workspaceId }, orderBy: { createdAt: "asc" } }),
  }),
);

builder.mutationField("updateMemberRole", (t) =>
  t.prismaField({
    type: "Member",
    description: "Change a member's role (owners and admins; never above your own; only owners change owners; a workspace keeps at least one owner)",
    authScopes: { permission: { member: ["update"] } },
    args: { id: t.arg.id({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { id } = await memberAction(() => changeMemberRole({ prisma: ctx.prisma, realtime: ctx.realtime, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), memberId: String(args.id), role: args.role }));
      return ctx.prisma.member.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("removeMember", (t) =>
  t.boolean({
    description: "Remove someone from the workspace, with the API keys they made for it (owners and admins; only owners remove owners; never the last owner)",
    authScopes: { permission: { member: ["delete"] } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await memberAction(() => removeMember({ prisma: ctx.prisma, realtime: ctx.realtime, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), memberId: String(args.id) }));
      return true;
    },
  }),
);

builder.mutationField("renameWorkspace", (t) =>
  t.prismaField({
    type: "Organization",
    description: "Rename the workspace (owners and admins)",
    authScopes: { permission: { organization: ["update"] } },
    args: { name: t.arg.string({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      await memberAction(() => renameWorkspace({ prisma: ctx.prisma, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), name: args.name }));
      return ctx.prisma.organization.findUniqueOrThrow({ ...query, where: { id: ctx.viewer.workspaceId } });
    },
  }),
);

builder.prismaObject("AuditEvent", {
  fields: (t) => ({
    id: t.exposeID("id"),
    action: t.exposeString("action", {
      description:
        "integration.connected, integration.disconnected, integration.renamed, integration.tested, api_key.created, api_key.revoked, member.invited, member.invitation_revoked, member.joined, member.role_changed, member.removed, workspace.renamed, webhook.*",
    }),
    actorUserId: t.exposeString("actorUserId", { nullable: true }),
    actorApiKeyId: t.exposeString("actorApiKeyId", { nullable: true }),
    targetType: t.exposeString("targetType", { nullable: true }),
    targetId: t.exposeString("targetId", { nullable: true }),
    details: t.string({ nullable: true, description: "JSON of the event's details (never a secret)", resolve: (e) => (e.metadata ? JSON.stringify(e.metadata) : null) }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryField("auditEvents", (t) =>
  t.prismaField({
    type: ["AuditEvent"],
    description: "The workspace's audit log, latest first (owners and admins); page with `before`",
    authScopes: { permission: { audit: ["read"] } },
    args: {
      first: t.arg.int({ defaultValue: 50 }),
      before: t.arg({ type: "DateTime", required: false }),
      action: t.arg.string({ required: false, description: 'One action ("member.invited"), or every action starting with a prefix when it ends with "*" or "." ("webhook.*")' }),
      actorUserId: t.arg.id({ required: false, description: "Events by this user (Membership.user.id; `members` lists them)" }),
      actorApiKeyId: t.arg.id({ required: false, description: "Events by this API key" }),
      from: t.arg({ type: "DateTime", required: false, description: "Events at or after this time" }),
      to: t.arg({ type: "DateTime", required: false, description: "Events before this time" }),
    },
    resolve: (query, _root, args, ctx) => {
      let where;
      try {
        where = auditEventsWhere({
          workspaceId: ctx.viewer.workspaceId,
          action: args.action,
          actorUserId: args.actorUserId ? String(args.actorUserId) : null,
          actorApiKeyId: args.actorApiKeyId ? String(args.actorApiKeyId) : null,
          from: args.from,
          to: args.to,
          before: args.before,
        });
      } catch (error) {
        if (error instanceof AuditFilterError) throw clientError("BAD_USER_INPUT", error.message);
        throw error;
      }
      return ctx.prisma.auditEvent.findMany({ ...query, where, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: Math.min(Math.max(args.first ?? 50, 1), 200) });
    },
  }),
);

builder.queryField("auditActions", (t) =>
  t.stringList({
    description: "The distinct actions in the workspace's audit log, sorted, for the log's action filter (owners and admins); `members` gives the actors",
    authScopes: { permission: { audit: ["read"] } },
    resolve: (_root, _args, ctx) => listAuditActions({ prisma: ctx.prisma, workspaceId: ctx.viewer.workspaceId }),
  }),
);
