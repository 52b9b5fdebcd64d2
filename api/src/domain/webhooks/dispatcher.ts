import { createPollLoop } from "../../jobs/poll-loop.ts";
import { claimLeaseMs, deliverOne, type ClaimedDelivery, type DeliveryServices } from "./deliver-one.ts";
import type { LookupAll } from "./url-policy.ts";

export type WebhookDispatcher = {
  /** Polls for due deliveries until stop(); the timer never keeps the process alive. */
  start(): void;
  /** Stops polling and waits for the batch in flight. */
  stop(): Promise<void>;
  /** Claims and sends one batch of due deliveries; returns how many were attempted. */
  runOnce(): Promise<number>;
};

export const POLL_INTERVAL_MS = 2000;
const BATCH_SIZE = 32;
// Outbound requests at once per replica: a slow receiver must not hold every slot, and each
// finished attempt takes a database connection for its update.
const CONCURRENCY = 8;

type ClaimedRow = ClaimedDelivery & { payload: unknown };

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function createWebhookDispatcher({
  prisma,
  vault,
  logger,
  env,
  now = () => new Date(),
  lookup,
}: DeliveryServices & { now?: () => Date; lookup?: LookupAll }): WebhookDispatcher {
  /**
   * One statement claims a batch: FOR UPDATE SKIP LOCKED makes concurrent replicas take
   * disjoint rows, and the same UPDATE counts the attempt and pushes nextAttemptAt to the end
   * of a lease, so once it commits no other replica sees the rows as due while they are being
   * sent (no transaction stays open across HTTP calls, which PGlite's single session needs).
   * Timestamps are passed as UTC text: Prisma keeps DateTime in `timestamp(3)` as UTC.
   */
  async function claim(at: Date): Promise<ClaimedRow[]> {
    const nowText = at.toISOString();
    const leaseText = new Date(at.getTime() + claimLeaseMs(env)).toISOString();
    return prisma.$queryRaw<ClaimedRow[]>`
      WITH due AS (
        SELECT id FROM webhook_delivery
        WHERE status = 'pending' AND ("nextAttemptAt" IS NULL OR "nextAttemptAt" <= ${nowText}::timestamp(3))
        ORDER BY "nextAttemptAt" ASC NULLS FIRST, id
        LIMIT ${BATCH_SIZE}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE webhook_delivery AS d
      SET attempts = d.attempts + 1, "nextAttemptAt" = ${leaseText}::timestamp(3), "updatedAt" = ${nowText}::timestamp(3)
      FROM due WHERE d.id = due.id
      RETURNING d.id, d."endpointId", d."messageId", d."eventType", d.payload, d.attempts`;
  }

  async function runOnce(): Promise<number> {
    const at = now();
    const claimed = await claim(at);
    if (claimed.length === 0) return 0;
    const endpointIds = [...new Set(claimed.map((d) => d.endpointId))];
    const endpoints = await prisma.webhookEndpoint.findMany({ where: { id: { in: endpointIds } }, select: { id: true, url: true, secretEnc: true, enabled: true } });
    const byId = new Map(endpoints.map((e) => [e.id, e]));
    await forEachLimit(claimed, CONCURRENCY, async (delivery) => {
      try {
        await deliverOne({ prisma, vault, logger, env, delivery: { ...delivery, attempts: Number(delivery.attempts) }, endpoint: byId.get(delivery.endpointId) ?? null, now: at, lookup });
      } catch (error) {
        // The attempt's outcome could not be saved; the lease runs out and it is tried again.
        logger.error({ err: error, deliveryId: delivery.id }, "could not record a webhook delivery outcome");
      }
    });
    return claimed.length;
  }

  const loop = createPollLoop({ runOnce: () => runOnce(), batchSize: BATCH_SIZE, intervalMs: POLL_INTERVAL_MS, logger, name: "webhook dispatcher" });
  return {
    ...loop,
    runOnce,
  };
}
