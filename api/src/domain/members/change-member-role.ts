import type { PrismaClient } from "../../generated/prisma/client.ts";
import { can, isRoleName } from "../../auth/roles.ts";
import { publishAccessChange, type Realtime } from "../../realtime/pubsub.ts";
import { recordAudit } from "../integrations/audit.ts";
import { assertMayGive, lockWorkspace, MemberError, parseRole, type Actor } from "./input.ts";

/**
 * Changes a member's role: owners and admins, never above their own role, only owners touch
 * owners, and a workspace keeps at least one owner. Open sockets of that member hear of it
 * (their operations then run with the new role). Throws MemberError.
 */
export async function changeMemberRole({
  prisma,
  realtime,
  workspaceId,
  actor,
  memberId,
  role: rawRole,
}: {
  prisma: PrismaClient;
  realtime?: Realtime;
  workspaceId: string;
  actor: Actor;
  memberId: string;
  role: string;
}): Promise<{ id: string; userId: string; changed: boolean }> {
  const role = parseRole(rawRole);
  if (!can(actor.role, { member: ["update"] })) throw new MemberError("FORBIDDEN", "Only workspace owners and admins can change roles.");
  const result = await prisma.$transaction(async (tx) => {
    await lockWorkspace(tx, workspaceId);
    const member = await tx.member.findFirst({ where: { id: memberId, organizationId: workspaceId }, select: { id: true, userId: true, role: true } });
    if (!member) throw new MemberError("NOT_FOUND", "No such member in this workspace.");
    const current = isRoleName(member.role) ? member.role : "viewer";
    if (actor.role !== "owner" && (current === "owner" || role === "owner")) throw new MemberError("FORBIDDEN", "Only owners can change an owner's role or make someone owner.");
    assertMayGive(actor, role);
    if (current === role) return { id: member.id, userId: member.userId, changed: false };
    if (current === "owner") {
      const owners = await tx.member.count({ where: { organizationId: workspaceId, role: "owner" } });
      if (owners <= 1) throw new MemberError("BAD_USER_INPUT", "A workspace needs at least one owner.");
    }
    await tx.member.update({ where: { id: member.id }, data: { role } });
    await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "member.role_changed", targetType: "member", targetId: member.id, metadata: { userId: member.userId, from: current, to: role } });
    return { id: member.id, userId: member.userId, changed: true };
  });
  if (result.changed && realtime) publishAccessChange(realtime, { kind: "membership", userId: result.userId, workspaceId });
  return result;
}
