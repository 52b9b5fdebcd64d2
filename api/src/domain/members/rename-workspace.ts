import type { Organization, PrismaClient } from "../../generated/prisma/client.ts";
import { can } from "../../auth/roles.ts";
import { recordAudit } from "../integrations/audit.ts";
import { MemberError, type Actor } from "./input.ts";

export const MAX_WORKSPACE_NAME_LENGTH = 64;

/** Renames the workspace (owners and admins). Throws MemberError. */
export async function renameWorkspace({ prisma, workspaceId, actor, name }: { prisma: PrismaClient; workspaceId: string; actor: Actor; name: string }): Promise<Organization> {
  if (!can(actor.role, { organization: ["update"] })) throw new MemberError("FORBIDDEN", "Only workspace owners and admins can rename the workspace.");
  const trimmed = name.trim().replace(/\s+/g, " ");
  // eslint-disable-next-line no-control-regex
  if (trimmed.length < 1 || trimmed.length > MAX_WORKSPACE_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new MemberError("BAD_USER_INPUT", `A workspace name is 1 to ${MAX_WORKSPACE_NAME_LENGTH} characters.`);
  }
  return prisma.$transaction(async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: workspaceId }, select: { name: true } });
    const updated = await tx.organization.update({ where: { id: workspaceId }, data: { name: trimmed } });
    if (before.name !== trimmed) {
      await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "workspace.renamed", targetType: "workspace", targetId: workspaceId, metadata: { from: before.name, to: trimmed } });
    }
    return updated;
  });
}
