import type { Invitation, PrismaClient } from "../../generated/prisma/client.ts";
import type { Env } from "../../env.ts";
import type { Logger } from "../../logger.ts";
import { can } from "../../auth/roles.ts";
import { mailerFor } from "../../auth/mailer.ts";
import { recordAudit } from "../integrations/audit.ts";
import { acceptUrlFor, assertMayGive, hashInvitationToken, INVITATION_TTL_MS, lockWorkspace, MemberError, newInvitationToken, parseEmail, parseRole, type Actor } from "./input.ts";

export type CreatedInvitation = { invitation: Invitation; acceptUrl: string };

/**
 * Invites an email address into the workspace with a role. The accept URL (with its token) is
 * returned this once and e-mailed when SMTP_URL is set; only the token's SHA-256 is stored.
 * A pending invitation for the same address is replaced (revoked), so a lost link is re-sent
 * by inviting again. Throws MemberError.
 */
export async function inviteMember({
  prisma,
  env,
  logger,
  workspaceId,
  actor,
  email: rawEmail,
  role: rawRole,
}: {
  prisma: PrismaClient;
  env: Pick<Env, "PUBLIC_URL" | "SMTP_URL" | "SMTP_FROM">;
  logger: Logger;
  workspaceId: string;
  actor: Actor;
  email: string;
  role: string;
}): Promise<CreatedInvitation> {
  const role = parseRole(rawRole);
  if (!can(actor.role, { invitation: ["create"] })) throw new MemberError("FORBIDDEN", "Only workspace owners and admins can invite people.");
  assertMayGive(actor, role);
  const email = parseEmail(rawEmail);
  const token = newInvitationToken();
  const { invitation, workspaceName } = await prisma.$transaction(async (tx) => {
    await lockWorkspace(tx, workspaceId);
    const member = await tx.member.findFirst({ where: { organizationId: workspaceId, user: { email } }, select: { id: true } });
    if (member) throw new MemberError("BAD_USER_INPUT", "That person is already a member of this workspace.");
    const replaced = await tx.invitation.findMany({ where: { organizationId: workspaceId, email, status: "pending" }, select: { id: true } });
    if (replaced.length > 0) {
      await tx.invitation.updateMany({ where: { id: { in: replaced.map((r) => r.id) } }, data: { status: "revoked" } });
      for (const { id } of replaced) {
        await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "member.invitation_revoked", targetType: "invitation", targetId: id, metadata: { email, reason: "replaced" } });
      }
    }
    const created = await tx.invitation.create({
      data: { id: crypto.randomUUID(), organizationId: workspaceId, email, role, status: "pending", tokenHash: hashInvitationToken(token), expiresAt: new Date(Date.now() + INVITATION_TTL_MS), inviterId: actor.userId },
    });
    await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "member.invited", targetType: "invitation", targetId: created.id, metadata: { email, role } });
    const workspace = await tx.organization.findUniqueOrThrow({ where: { id: workspaceId }, select: { name: true } });
    return { invitation: created, workspaceName: workspace.name };
  });
  const acceptUrl = acceptUrlFor(env.PUBLIC_URL, token);
  const mailer = mailerFor(env, logger);
  if (mailer) {
    // Not awaited: a slow mail server must not hold the request; the inviter has the link.
    void mailer.send({
      to: email,
      subject: `You are invited to ${workspaceName} on Switchboard`,
      text: [
        `You have been invited to join the workspace "${workspaceName}" on Switchboard as ${role}.`,
        "",
        `Accept the invitation (sign in or create an account with this email address):`,
        acceptUrl,
        "",
        `The link works once and expires on ${invitation.expiresAt.toUTCString()}.`,
        "If you did not expect this, ignore this message.",
      ].join("\n"),
    });
  }
  return { invitation, acceptUrl };
}
