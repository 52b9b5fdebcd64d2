import type { Prisma } from "../../generated/prisma/client.ts";

type Tx = { auditEvent: { create(args: { data: Prisma.AuditEventUncheckedCreateInput }): Promise<unknown> } };

/** One row per security-relevant change; metadata never holds a secret. */
export async function recordAudit(
  tx: Tx,
  event: { workspaceId: string; actorUserId?: string | null; actorApiKeyId?: string | null; action: string; targetType?: string; targetId?: string; metadata?: Record<string, unknown> },
): Promise<void> {
  await tx.auditEvent.create({
    data: {
      workspaceId: event.workspaceId,
      actorUserId: event.actorUserId ?? null,
      actorApiKeyId: event.actorApiKeyId ?? null,
      action: event.action,
      targetType: event.targetType,
      targetId: event.targetId,
      metadata: (event.metadata ?? undefined) as Prisma.InputJsonValue | undefined,
    },
  });
}
