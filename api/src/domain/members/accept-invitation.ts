import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { RoleName } from "../../auth/roles.ts";
import { recordAudit } from "../integrations/audit.ts";
import { hashInvitationToken, isInvitationTokenShaped, lockWorkspace, MemberError, parseRole } from "./input.ts";

const INVALID = "This invitation link is not valid any more: it was used, revoked, or it expired. Ask for a new one.";

/**
 * Joins the invited workspace: needs the token and a signed-in account whose email is the
 * invited one. The token works once (a conditional update marks it accepted in the same
 * transaction that adds the membership). With `sessionId`, that session moves to the workspace.
 */
export async function acceptInvitation({
  prisma,
  token,
  userId,
  sessionId,
}: {
  prisma: PrismaClient;
  token: string;
  userId: string;
  sessionId?: string;
}): Promise<{ workspaceId: string; role: RoleName; memberId: string }> {
  if (!isInvitationTokenShaped(token)) throw new MemberError("NOT_FOUND", INVALID);
  const invitation = await prisma.invitation.findUnique({ where: { tokenHash: hashInvitationToken(token) } });
  if (!invitation || invitation.status !== "pending" || invitation.expiresAt.getTime() <= Date.now()) throw new MemberError("NOT_FOUND", INVALID);
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { email: true } });
  if (user.email.toLowerCase() !== invitation.email.toLowerCase()) {
    throw new MemberError("FORBIDDEN", "This invitation was sent to another email address. Sign in with that address to accept it.");
  }
  const role = parseRole(invitation.role);
  return prisma.$transaction(async (tx) => {
    await lockWorkspace(tx, invitation.organizationId);
    const existing = await tx.member.findFirst({ where: { organizationId: invitation.organizationId, userId }, select: { id: true } });
    if (existing) throw new MemberError("BAD_USER_INPUT", "You are already a member of this workspace.");
    const { count } = await tx.invitation.updateMany({
      where: { id: invitation.id, status: "pending", expiresAt: { gt: new Date() } },
      data: { status: "accepted", acceptedAt: new Date() },
    });
    if (count !== 1) throw new MemberError("NOT_FOUND", INVALID);
    const memberId = crypto.randomUUID();
    await tx.member.create({ data: { id: memberId, organizationId: invitation.organizationId, userId, role, createdAt: new Date() } });
    await recordAudit(tx, {
      workspaceId: invitation.organizationId,
      actorUserId: userId,
      action: "member.joined",
      targetType: "member",
      targetId: memberId,
      metadata: { invitationId: invitation.id, role, invitedBy: invitation.inviterId },
    });
    if (sessionId) await tx.session.updateMany({ where: { id: sessionId, userId }, data: { activeOrganizationId: invitation.organizationId } });
    return { workspaceId: invitation.organizationId, role, memberId };
  });
}
