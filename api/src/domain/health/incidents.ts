import type { Prisma } from "../../generated/prisma/client.ts";
import type { Outcome } from "./thresholds.ts";

// Incidents: a connection's stretch of failure, from its first failed check to the first check
// that finds it answering again (or its disconnect). One per stretch, never one per check: the
// alerts that come later send one message when an incident opens and one when it closes.
//
// Where they are kept: scheduled and manual checks in the same statement that writes the checks
// (record.ts, so a batch costs no extra round trip); the callback's first check and a disconnect
// here, inside their own transactions. At most one incident is open per connection (a partial
// unique index), so a race between writers cannot open two.

/**
 * Whether a check's outcome belongs to an incident: it did not answer (failure) or the grant is
 * gone (auth_failure). Slow, rate limited or short of scopes is degraded but answering: no incident.
 */
export function isIncidentOutcome(outcome: Outcome): boolean {
  return outcome === "failure" || outcome === "auth_failure";
}

type Tx = Pick<Prisma.TransactionClient, "incident">;

/**
 * The incident side of a check written outside record.ts (the OAuth callback's first check): a
 * failed check opens an incident or counts toward the open one; an answering one closes it.
 */
export async function noteIncidentCheck(
  tx: Tx,
  check: { integrationId: string; workspaceId: string; providerId: string; checkId: string; failed: boolean; at: Date; errorCode: string | null; message: string | null },
): Promise<void> {
  if (!check.failed) {
    await closeIncident(tx, { integrationId: check.integrationId, at: check.at });
    return;
  }
  const bumped = await tx.incident.updateMany({ where: { integrationId: check.integrationId, endedAt: null }, data: { checksFailed: { increment: 1 } } });
  if (bumped.count > 0) return;
  await tx.incident.create({
    data: {
      workspaceId: check.workspaceId,
      integrationId: check.integrationId,
      providerId: check.providerId,
      startedAt: check.at,
      errorCode: check.errorCode,
      message: check.message,
      firstCheckId: check.checkId,
    },
  });
}

/** Ends the connection's open incident, if it has one (recovery or disconnect). */
export async function closeIncident(tx: Tx, { integrationId, at }: { integrationId: string; at: Date }): Promise<void> {
  await tx.incident.updateMany({ where: { integrationId, endedAt: null }, data: { endedAt: at } });
}

/** The filter of a workspace's incident list: newest first, paged by `before` (a startedAt). */
export function incidentsWhere({ workspaceId, before, open }: { workspaceId: string; before: Date | null; open: boolean | null }): Prisma.IncidentWhereInput {
  return {
    workspaceId,
    ...(before ? { startedAt: { lt: before } } : {}),
    ...(open === null ? {} : { endedAt: open ? null : { not: null } }),
  };
}

export const INCIDENT_ORDER = [{ startedAt: "desc" }, { id: "desc" }] satisfies Prisma.IncidentOrderByWithRelationInput[];

/** An incident's length in whole seconds; an open one runs until `now`. */
export function incidentDurationSeconds({ startedAt, endedAt }: { startedAt: Date; endedAt: Date | null }, now = new Date()): number {
  return Math.max(0, Math.round(((endedAt ?? now).getTime() - startedAt.getTime()) / 1000));
}
