import type { PrismaClient } from "../../generated/prisma/client.ts";
import { can } from "../../auth/roles.ts";
import { recordAudit } from "../integrations/audit.ts";
import { MemberError, type Actor } from "./input.ts";

/** Revokes a pending invitation of the workspace; its link stops working at once. Throws MemberError. */
export async function revokeInvitation({ prisma, workspaceId, actor, id }: { prisma: PrismaClient; workspaceId: string; actor: Actor; id: string }): Promise<void> {
  if (!can(actor.role, { invitation: ["cancel"] })) throw new MemberError("FORBIDDEN", "Only workspace owners and admins can revoke invitations.");
  await prisma.$transaction(async (tx) => {
    const invitation = await tx.invitation.findFirst({ where: { id, organizationId: workspaceId, status: "pending" }, select: { id: true, email: true, role: true } });
    if (!invitation) throw new MemberError("NOT_FOUND", "No such pending invitation in this workspace.");
    if (invitation.role === "owner" && actor.role !== "owner") throw new MemberError("FORBIDDEN", "Only owners can revoke an invitation to become owner.");
    const { count } = await tx.invitation.updateMany({ where: { id, status: "pending" }, data: { status: "revoked" } });
    if (count !== 1) throw new MemberError("NOT_FOUND", "No such pending invitation in this workspace.");
    await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "member.invitation_revoked", targetType: "invitation", targetId: id, metadata: { email: invitation.email, role: invitation.role } });
  });
}
