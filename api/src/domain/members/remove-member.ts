import type { PrismaClient } from "../../generated/prisma/client.ts";
import { can } from "../../auth/roles.ts";
import { publishAccessChange, type Realtime } from "../../realtime/pubsub.ts";
import { recordAudit } from "../integrations/audit.ts";
import { lockWorkspace, MemberError, type Actor } from "./input.ts";

/**
 * Removes someone from the workspace (owners and admins; only owners remove owners; never the
 * last owner). The API keys they created for this workspace are deleted with the membership,
 * so inviting them back does not revive a key. Open sockets of the member and of those keys
 * hear of it. Throws MemberError.
 */
export async function removeMember({
  prisma,
  realtime,
  workspaceId,
  actor,
  memberId,
}: {
  prisma: PrismaClient;
  realtime?: Realtime;
  workspaceId: string;
  actor: Actor;
  memberId: string;
}): Promise<{ userId: string; revokedApiKeyIds: string[] }> {
  if (!can(actor.role, { member: ["delete"] })) throw new MemberError("FORBIDDEN", "Only workspace owners and admins can remove members.");
  const result = await prisma.$transaction(async (tx) => {
    await lockWorkspace(tx, workspaceId);
    const member = await tx.member.findFirst({ where: { id: memberId, organizationId: workspaceId }, select: { id: true, userId: true, role: true } });
    if (!member) throw new MemberError("NOT_FOUND", "No such member in this workspace.");
    if (member.role === "owner") {
      if (actor.role !== "owner") throw new MemberError("FORBIDDEN", "Only owners can remove an owner.");
      const owners = await tx.member.count({ where: { organizationId: workspaceId, role: "owner" } });
      if (owners <= 1) throw new MemberError("BAD_USER_INPUT", "A workspace needs at least one owner.");
    }
    await tx.member.delete({ where: { id: member.id } });
    const keys = await tx.apikey.findMany({ where: { referenceId: workspaceId, createdById: member.userId }, select: { id: true, name: true } });
    if (keys.length > 0) await tx.apikey.deleteMany({ where: { id: { in: keys.map((k) => k.id) } } });
    await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "member.removed", targetType: "member", targetId: member.id, metadata: { userId: member.userId, role: member.role, apiKeysRevoked: keys.length } });
    for (const key of keys) {
      await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "api_key.revoked", targetType: "api_key", targetId: key.id, metadata: { name: key.name, reason: "creator removed" } });
    }
    return { userId: member.userId, revokedApiKeyIds: keys.map((k) => k.id) };
  });
  if (realtime) {
    publishAccessChange(realtime, { kind: "membership", userId: result.userId, workspaceId });
    for (const apiKeyId of result.revokedApiKeyIds) publishAccessChange(realtime, { kind: "apiKey", apiKeyId, workspaceId });
  }
  return result;
}
