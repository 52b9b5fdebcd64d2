import { builder } from "../builder.ts";
import { clientError } from "../errors.ts";
import { RoleEnum } from "./enums.ts";
import { actorOf, memberAction } from "./member-errors.ts";
import { isRoleName } from "../../auth/roles.ts";
import { acceptInvitation, inviteMember, revokeInvitation } from "../../domain/members/index.ts";

// Invitations (issue 12: they replace addMember). The token is in `acceptUrl`, returned by
// inviteMember only; the database keeps its SHA-256. Only owners and admins see pending ones.

builder.prismaObject("Invitation", {
  authScopes: { permission: { invitation: ["create"] } },
  description: "An invitation to join the workspace with a role, by email address",
  fields: (t) => ({
    id: t.exposeID("id"),
    email: t.exposeString("email"),
    role: t.field({ type: RoleEnum, resolve: (i) => (isRoleName(i.role) ? i.role : "viewer") }),
    status: t.exposeString("status", { description: "pending | accepted | revoked" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    invitedBy: t.relation("user"),
    acceptUrl: t.string({
      nullable: true,
      description: "{PUBLIC_URL}/invite/{token}: only in inviteMember's answer, shown this once (the server keeps only a hash of the token)",
      resolve: (i) => (i as { acceptUrl?: string }).acceptUrl ?? null,
    }),
  }),
});

builder.queryField("invitations", (t) =>
  t.prismaField({
    type: ["Invitation"],
    description: "Pending, unexpired invitations of the workspace, newest first (owners and admins)",
    authScopes: { permission: { invitation: ["create"] } },
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.invitation.findMany({ ...query, where: { organizationId: ctx.viewer.workspaceId, status: "pending", expiresAt: { gt: new Date() } }, orderBy: { createdAt: "desc" } }),
  }),
);

builder.mutationField("inviteMember", (t) =>
  t.prismaField({
    type: "Invitation",
    description:
      "Invite an email address with a role (owners and admins; never above your own role, so only owners invite owners). The answer's acceptUrl is shown once; it works once, for 7 days, for an account with that address, and is e-mailed when the server has SMTP_URL. Inviting the same address again replaces the pending invitation.",
    authScopes: { permission: { invitation: ["create"] } },
    args: { email: t.arg.string({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const { invitation, acceptUrl } = await memberAction(() =>
        inviteMember({ prisma: ctx.prisma, env: ctx.env, logger: ctx.logger, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), email: args.email, role: args.role }),
      );
      const row = await ctx.prisma.invitation.findUniqueOrThrow({ ...query, where: { id: invitation.id } });
      return Object.assign(row, { acceptUrl });
    },
  }),
);

builder.mutationField("revokeInvitation", (t) =>
  t.boolean({
    description: "Revoke a pending invitation; its link stops working (owners and admins; only owners revoke an invitation to become owner)",
    authScopes: { permission: { invitation: ["cancel"] } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await memberAction(() => revokeInvitation({ prisma: ctx.prisma, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), id: String(args.id) }));
      return true;
    },
  }),
);

const AcceptedInvitationRef = builder.objectRef<{ workspaceId: string; role: "owner" | "admin" | "member" | "viewer" }>("AcceptedInvitation").implement({
  description: "The workspace joined; the session that accepted now acts in it",
  fields: (t) => ({
    workspace: t.prismaField({ type: "Organization", resolve: (query, r, _args, ctx) => ctx.prisma.organization.findUniqueOrThrow({ ...query, where: { id: r.workspaceId } }) }),
    role: t.field({ type: RoleEnum, resolve: (r) => r.role }),
  }),
});

builder.mutationField("acceptInvitation", (t) =>
  t.field({
    type: AcceptedInvitationRef,
    description: "Join a workspace with an invitation's token (from its acceptUrl), signed in as the invited email address. The token works once.",
    args: { token: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer.via !== "session") throw clientError("FORBIDDEN", "Sign in to accept an invitation; an API key cannot accept one.");
      return memberAction(() => acceptInvitation({ prisma: ctx.prisma, token: args.token, userId: ctx.viewer.userId, sessionId: ctx.viewer.sessionId }));
    },
  }),
);
