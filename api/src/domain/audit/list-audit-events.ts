import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";

// The audit log's filters (Settings → Audit log, Query.auditEvents): by action, by actor and by
// date, always inside one workspace, latest first, paged with `before`.

export type AuditFilter = {
  workspaceId: string;
  /** Exact ("member.invited"), or a prefix when it ends with "*" or "." ("webhook.*", "member.") */
  action?: string | null;
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
  /** Inclusive */
  from?: Date | null;
  /** Exclusive */
  to?: Date | null;
  /** Paging: events strictly before this time (the createdAt of the last one seen) */
  before?: Date | null;
};

export class AuditFilterError extends Error {}

export function auditEventsWhere(filter: AuditFilter): Prisma.AuditEventWhereInput {
  const { action, actorUserId, actorApiKeyId, from, to, before } = filter;
  if (action && action.length > 100) throw new AuditFilterError("action is too long");
  for (const id of [actorUserId, actorApiKeyId]) if (id && id.length > 64) throw new AuditFilterError("actor id is too long");
  const prefix = action && /[*.]$/.test(action) ? action.replace(/\*$/, "") : null;
  const upper = [to, before].filter((d): d is Date => d instanceof Date).sort((a, b) => a.getTime() - b.getTime())[0];
  return {
    workspaceId: filter.workspaceId,
    ...(action ? { action: prefix !== null ? { startsWith: prefix } : action } : {}),
    ...(actorUserId ? { actorUserId } : {}),
    ...(actorApiKeyId ? { actorApiKeyId } : {}),
    ...(from || upper ? { createdAt: { ...(from ? { gte: from } : {}), ...(upper ? { lt: upper } : {}) } } : {}),
  };
}

/** The distinct actions recorded in a workspace, for a filter's choices. */
export async function listAuditActions({ prisma, workspaceId }: { prisma: PrismaClient; workspaceId: string }): Promise<string[]> {
  const rows = await prisma.auditEvent.findMany({ where: { workspaceId }, distinct: ["action"], select: { action: true }, orderBy: { action: "asc" } });
  return rows.map((r) => r.action);
}
