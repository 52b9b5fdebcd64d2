import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { RoleName } from "../../auth/roles.ts";
import { hashInvitationToken, isInvitationTokenShaped, parseRole } from "./input.ts";

export type InvitationPreview = { email: string; workspaceName: string; role: RoleName; expiresAt: Date };

/**
 * What the holder of a token may see before signing in (the invite page): the invited address,
 * the workspace's name and the role. Null unless the invitation is pending and unexpired.
 */
export async function findInvitationByToken({ prisma, token }: { prisma: PrismaClient; token: string }): Promise<InvitationPreview | null> {
  if (!isInvitationTokenShaped(token)) return null;
  const invitation = await prisma.invitation.findUnique({
    where: { tokenHash: hashInvitationToken(token) },
    select: { email: true, role: true, status: true, expiresAt: true, organization: { select: { name: true } } },
  });
  if (!invitation || invitation.status !== "pending" || invitation.expiresAt.getTime() <= Date.now()) return null;
  return { email: invitation.email, workspaceName: invitation.organization.name, role: parseRole(invitation.role), expiresAt: invitation.expiresAt };
}
