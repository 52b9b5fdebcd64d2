import { builder } from "../builder.ts";
import { clientError } from "../errors.ts";
import { RoleEnum } from "./enums.ts";
import { isRoleName, type RoleName } from "../../auth/roles.ts";
import { recordAudit } from "../../domain/integrations/audit.ts";

// Workspace settings: API keys, members and roles, the audit log. Thin resolvers over Prisma;
// every query filters on the caller's workspace.

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
      description: "The most this key may do; never more than its creator's current role",
      resolve: (k) => {
        const role = (JSON.parse(k.metadata ?? "{}") as { role?: string }).role;
        return isRoleName(role) ? role : "member";
      },
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
    description: "Delete an API key of the workspace (owners and admins)",
    authScopes: { permission: { apiKey: ["delete"] } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = String(args.id);
      const key = await ctx.prisma.apikey.findFirst({ where: { id, referenceId: ctx.viewer.workspaceId }, select: { id: true, name: true } });
      if (!key) throw clientError("NOT_FOUND", "No such API key in this workspace.");
      await ctx.prisma.$transaction(async (tx) => {
        await tx.apikey.delete({ where: { id } });
        await recordAudit(tx, { workspaceId: ctx.viewer.workspaceId, actorUserId: ctx.viewer.userId, actorApiKeyId: ctx.viewer.apiKeyId, action: "api_key.revoked", targetType: "api_key", targetId: id, metadata: { name: key.name } });
      });
      return true;
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

const RANK: Record<RoleName, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

builder.mutationField("addMember", (t) =>
  t.prismaField({
    type: "Member",
    description: "Add an existing user (by email) to the workspace with a role (owners and admins; only owners add owners)",
    authScopes: { permission: { member: ["create"] } },
    args: { email: t.arg.string({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const role = args.role as RoleName;
      if (RANK[role] > RANK[ctx.viewer.role]) throw clientError("FORBIDDEN", "You cannot give a role above your own.");
      const email = args.email.trim().toLowerCase();
      const user = await ctx.prisma.user.findUnique({ where: { email }, select: { id: true } });
      if (!user) throw clientError("BAD_USER_INPUT", "No account with that email; ask them to sign up first.");
      const existing = await ctx.prisma.member.findFirst({ where: { organizationId: ctx.viewer.workspaceId, userId: user.id } });
      if (existing) throw clientError("BAD_USER_INPUT", "That person is already a member.");
      const id = crypto.randomUUID();
      await ctx.prisma.$transaction(async (tx) => {
        await tx.member.create({ data: { id, organizationId: ctx.viewer.workspaceId, userId: user.id, role, createdAt: new Date() } });
        await recordAudit(tx, { workspaceId: ctx.viewer.workspaceId, actorUserId: ctx.viewer.userId, action: "member.added", targetType: "member", targetId: id, metadata: { role } });
      });
      return ctx.prisma.member.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("updateMemberRole", (t) =>
  t.prismaField({
    type: "Member",
    description: "Change a member's role (owners and admins; only owners change owners; a workspace keeps at least one owner)",
    authScopes: { permission: { member: ["update"] } },
    args: { id: t.arg.id({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = String(args.id);
      const role = args.role as RoleName;
      const member = await ctx.prisma.member.findFirst({ where: { id, organizationId: ctx.viewer.workspaceId } });
      if (!member) throw clientError("NOT_FOUND", "No such member in this workspace.");
      const current = isRoleName(member.role) ? member.role : "viewer";
      if (ctx.viewer.role !== "owner" && (current === "owner" || role === "owner")) throw clientError("FORBIDDEN", "Only owners can change an owner's role or make someone owner.");
      if (current === "owner" && role !== "owner") {
        const owners = await ctx.prisma.member.count({ where: { organizationId: ctx.viewer.workspaceId, role: "owner" } });
        if (owners <= 1) throw clientError("BAD_USER_INPUT", "A workspace needs at least one owner.");
      }
      await ctx.prisma.$transaction(async (tx) => {
        await tx.member.update({ where: { id }, data: { role } });
        await recordAudit(tx, { workspaceId: ctx.viewer.workspaceId, actorUserId: ctx.viewer.userId, action: "member.role_changed", targetType: "member", targetId: id, metadata: { from: current, to: role } });
      });
      return ctx.prisma.member.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
);

builder.mutationField("removeMember", (t) =>
  t.boolean({
    description: "Remove someone from the workspace (owners and admins; only owners remove owners; never the last owner)",
    authScopes: { permission: { member: ["delete"] } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = String(args.id);
      const member = await ctx.prisma.member.findFirst({ where: { id, organizationId: ctx.viewer.workspaceId } });
      if (!member) throw clientError("NOT_FOUND", "No such member in this workspace.");
      if (member.role === "owner") {
        if (ctx.viewer.role !== "owner") throw clientError("FORBIDDEN", "Only owners can remove an owner.");
        const owners = await ctx.prisma.member.count({ where: { organizationId: ctx.viewer.workspaceId, role: "owner" } });
        if (owners <= 1) throw clientError("BAD_USER_INPUT", "A workspace needs at least one owner.");
      }
      await ctx.prisma.$transaction(async (tx) => {
        await tx.member.delete({ where: { id } });
        await recordAudit(tx, { workspaceId: ctx.viewer.workspaceId, actorUserId: ctx.viewer.userId, action: "member.removed", targetType: "member", targetId: id, metadata: { userId: member.userId } });
      });
      return true;
    },
  }),
);

builder.prismaObject("AuditEvent", {
  fields: (t) => ({
    id: t.exposeID("id"),
    action: t.exposeString("action", { description: "integration.connected, integration.disconnected, integration.tested, api_key.created, api_key.revoked, member.*, webhook.*" }),
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
    args: { first: t.arg.int({ defaultValue: 50 }), before: t.arg({ type: "DateTime", required: false }) },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.auditEvent.findMany({
        ...query,
        where: { workspaceId: ctx.viewer.workspaceId, ...(args.before ? { createdAt: { lt: args.before } } : {}) },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: Math.min(Math.max(args.first ?? 50, 1), 200),
      }),
  }),
);
