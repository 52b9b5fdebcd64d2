import { createPollLoop } from "../../jobs/poll-loop.ts";
import { claimLeaseMs, outcomeOf, type DeliveryOutcome } from "../webhooks/deliver-one.ts";
import type { LookupAll } from "../webhooks/url-policy.ts";
import { ALERT_GROUP_WINDOW_MS, planAlerts } from "./plan.ts";
import { sendAlert, type AlertChannelRow, type AlertServices } from "./send.ts";

// The alert dispatcher: each tick plans (plan.ts) and then sends what is due, like the webhook
// dispatcher: a batch claimed with FOR UPDATE SKIP LOCKED whose UPDATE counts the attempt and
// sets a lease, one attempt per delivery, the outcome written fenced on the attempt number,
// failures retried with the webhook backoff up to WEBHOOK_MAX_ATTEMPTS, except those Slack
// documents as permanent (send.ts), which fail at once.

export type AlertDispatcher = {
  start(): void;
  stop(): Promise<void>;
  /** Plans and sends one batch as of `now`; returns how many deliveries were attempted. */
  runOnce(now?: Date): Promise<number>;
};

export const ALERT_POLL_INTERVAL_MS = 2000;
const BATCH_SIZE = 16;
const CONCURRENCY = 4;

export type ClaimedAlert = { id: string; channelId: string; event: string; incidentIds: string[]; subject: string; text: string; attempts: number };

/** Sends one claimed delivery and records the outcome; counts the alert on its incidents when delivered. */
export async function deliverAlert(
  services: AlertServices,
  delivery: ClaimedAlert,
  channel: AlertChannelRow | null,
  options: { now?: Date; allowDisabled?: boolean; lookup?: LookupAll } = {},
): Promise<DeliveryOutcome | null> {
  const { prisma, logger, env } = services;
  const now = options.now ?? new Date();
  if (!channel) return null; // deleted, with its deliveries
  const tried = channel.enabled || options.allowDisabled ? await sendAlert(services, channel, delivery, { lookup: options.lookup, now }) : null;
  // A failure Slack documents as final (`permanent`) fails at once in outcomeOf: retrying on the
  // backoff would only repeat the refusal; the reason says what to change.
  const outcome: DeliveryOutcome = tried
    ? outcomeOf(tried, delivery.attempts, env, now)
    : { status: "failed", responseStatus: null, lastError: "the channel is disabled", nextAttemptAt: null };
  const { count } = await prisma.alertDelivery.updateMany({
    where: { id: delivery.id, status: "pending", attempts: delivery.attempts },
    data: { ...outcome, durationMs: tried?.durationMs ?? null, deliveredAt: outcome.status === "delivered" ? new Date() : null },
  });
  const fields = { deliveryId: delivery.id, channelId: channel.id, kind: channel.kind, event: delivery.event, attempt: delivery.attempts, durationMs: tried?.durationMs };
  if (count === 0) {
    logger.warn(fields, "alert delivery was taken over by another replica; outcome not recorded");
    return outcome;
  }
  if (outcome.status === "delivered") {
    if (delivery.incidentIds.length) await prisma.incident.updateMany({ where: { id: { in: delivery.incidentIds } }, data: { alertsSent: { increment: 1 } } });
    logger.info(fields, "alert delivered");
  } else logger.warn({ ...fields, status: outcome.status, responseStatus: outcome.responseStatus, error: outcome.lastError, nextAttemptAt: outcome.nextAttemptAt }, "alert delivery failed");
  return outcome;
}

export const CHANNEL_SELECT = { id: true, workspaceId: true, kind: true, name: true, emails: true, slackChannel: true, slackIntegrationId: true, webhookUrlEnc: true, enabled: true } as const;

export function createAlertDispatcher(services: AlertServices & { groupWindowMs?: number; lookup?: LookupAll }): AlertDispatcher {
  const { prisma, logger, env } = services;

  async function claim(at: Date): Promise<ClaimedAlert[]> {
    const nowText = at.toISOString();
    const leaseText = new Date(at.getTime() + claimLeaseMs(env)).toISOString();
    const rows = await prisma.$queryRaw<ClaimedAlert[]>`
      WITH due AS (
        SELECT id FROM alert_delivery
        WHERE status = 'pending' AND ("nextAttemptAt" IS NULL OR "nextAttemptAt" <= ${nowText}::timestamp(3))
        ORDER BY "nextAttemptAt" ASC NULLS FIRST, id
        LIMIT ${BATCH_SIZE}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE alert_delivery AS d
      SET attempts = d.attempts + 1, "nextAttemptAt" = ${leaseText}::timestamp(3), "updatedAt" = ${nowText}::timestamp(3)
      FROM due WHERE d.id = due.id
      RETURNING d.id, d."channelId", d.event, d."incidentIds", d.subject, d.text, d.attempts, d."nextAttemptAt"`;
    return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
  }

  async function runOnce(at = new Date()): Promise<number> {
    try {
      await planAlerts({ prisma, catalog: services.catalog, publicUrl: env.PUBLIC_URL, now: at, groupWindowMs: services.groupWindowMs ?? ALERT_GROUP_WINDOW_MS });
    } catch (error) {
      logger.error({ err: error }, "could not plan alerts");
    }
    const claimed = await claim(at);
    if (claimed.length === 0) return 0;
    const channels = await prisma.alertChannel.findMany({ where: { id: { in: [...new Set(claimed.map((d) => d.channelId))] } }, select: CHANNEL_SELECT });
    const byId = new Map(channels.map((c) => [c.id, c]));
    // A channel's alerts go out in order (DOWN before RECOVERED): one worker per channel.
    const perChannel = new Map<string, ClaimedAlert[]>();
    for (const d of claimed) perChannel.set(d.channelId, [...(perChannel.get(d.channelId) ?? []), d]);
    const queues = [...perChannel.values()];
    let next = 0;
    const worker = async () => {
      while (next < queues.length) {
        for (const delivery of queues[next++]!) {
          try {
            await deliverAlert(services, delivery, byId.get(delivery.channelId) ?? null, { now: at, lookup: services.lookup });
          } catch (error) {
            logger.error({ err: error, deliveryId: delivery.id }, "could not record an alert delivery outcome");
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queues.length) }, worker));
    return claimed.length;
  }

  const loop = createPollLoop({ runOnce: () => runOnce(), batchSize: BATCH_SIZE, intervalMs: ALERT_POLL_INTERVAL_MS, logger, name: "alert dispatcher" });
  return {
    ...loop,
    runOnce,
  };
}
