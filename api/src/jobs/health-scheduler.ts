import cron from "node-cron";
import type { CatalogProvider } from "../providers/catalog.ts";
import type { Logger } from "../logger.ts";
import type { Env } from "../env.ts";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";
import { HEALTH_ROW_COLUMNS, nextCheckTime, probeIntegration, type CheckResult, type HealthRow, type Probe } from "../domain/health/check-integration.ts";
import { createCheckRecorder } from "../domain/health/record.ts";
import type { RefreshServices } from "../domain/integrations/refresh.ts";
import type { Metrics } from "../http/metrics.ts";
import { createLoopGovernor } from "./loop-governor.ts";
import type { Worker } from "node:worker_threads";
import type { EncryptionKey } from "../secrets.ts";
import { checkWorkerMode, createCheckWorkerHost, type CheckWorkerMode } from "./check-worker-host.ts";

// Schedule + claim + limit only; the work is probeIntegration and record.ts in domain/health.
// A sweep claims due connections with `FOR UPDATE SKIP LOCKED` and a lease: replicas sweeping
// at the same moment each get different rows, and a replica that dies mid-check loses its
// claim when the lease runs out. The claim returns the columns a check needs, so a check reads
// nothing more. HEALTH_CHECK_CONCURRENCY workers take claimed rows from a local queue, which is
// refilled (one claim at a time) as it runs low, never more than a few batches ahead of the
// workers; finished checks go to a recorder that writes them in groups, one statement each.
// With DATABASE_URL (unless HEALTH_CHECK_WORKER=inline) the sweep itself (claim, checks, writes)
// runs in a worker thread (check-worker.ts, check-worker-host.ts) so it never shares the event
// loop that answers HTTP and WebSocket traffic; its events and metrics are posted back and
// published here. The embedded database keeps checks on the serving thread.

/** A claimed row: what a check needs, and when it came due (this process's clock, from Postgres's `now()` at the claim). */
export type Claimed = HealthRow & { dueAt?: number };
export type SchedulerServices = RefreshServices & { env: Env; prisma: PrismaClient; catalog: CatalogProvider[]; logger: Logger };
export type SweepSummary = {
  claimed: number;
  results: CheckResult[];
  errors: number;
  durationMs: number;
  /** The check worker died during the sweep: `results` is what it wrote before (its other rows come back when their leases expire). */
  interrupted?: boolean;
};

export type HealthScheduler = {
  /** Where checks run: a worker thread (the default with DATABASE_URL) or the serving thread. */
  readonly mode: CheckWorkerMode;
  /** The check worker's thread while one runs (tests crash it). */
  readonly workerThread: Worker | null;
  start(): void;
  stop(): Promise<void>;
  /** One sweep now (tests, and `pnpm admin check-now`). */
  sweep(): Promise<SweepSummary>;
};

export async function claimDue(prisma: PrismaClient, { limit, leaseSeconds }: { limit: number; leaseSeconds: number }): Promise<Claimed[]> {
  const rows = await prisma.$queryRaw<(HealthRow & { overdueMs: number })[]>`
    UPDATE "integration" SET "healthLeaseUntil" = now() + make_interval(secs => ${leaseSeconds}::int)
    WHERE id IN (
      SELECT id FROM "integration"
      WHERE status = 'CONNECTED'
        AND "nextHealthCheckAt" IS NOT NULL AND "nextHealthCheckAt" <= now()
        AND ("healthLeaseUntil" IS NULL OR "healthLeaseUntil" < now())
      ORDER BY "nextHealthCheckAt"
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING ${Prisma.raw(HEALTH_ROW_COLUMNS)}, (extract(epoch FROM now() - "nextHealthCheckAt") * 1000)::float8 AS "overdueMs"`;
  // How late each row is, by the database's clock, made a due time on this process's clock.
  const now = Date.now();
  return rows.map(({ overdueMs, ...row }) => ({ ...row, dueAt: now - overdueMs }));
}

/**
 * Whether the loop governor may hold a claimed row back. It may not when the check confirms a
 * failure (a retry after HEALTH_RETRY_INTERVAL_SECONDS: an outage must turn UNHEALTHY on time)
 * or when the row is already a whole interval late: a busy serving thread may spread a sweep
 * over up to one interval, never let a connection go unchecked for longer than two.
 */
export function mayHoldBack(row: Claimed, intervalSeconds: number, now = Date.now()): boolean {
  if (row.consecutiveFailures > 0) return false;
  return row.dueAt === undefined || now - row.dueAt < intervalSeconds * 1000;
}

/**
 * Pulls in connections whose next check is further away than the interval allows (+10% jitter):
 * after HEALTH_CHECK_INTERVAL_SECONDS was lowered between restarts they would keep their old
 * slot. They get a random slot within the new interval, so they do not all come due at once
 * (rows waiting out a rate limit's Retry-After keep it).
 * One statement, idempotent: replicas starting together do the same thing twice at worst.
 */
export async function rescheduleToInterval(prisma: PrismaClient, intervalSeconds: number): Promise<number> {
  return prisma.$executeRaw`
    UPDATE "integration" SET "nextHealthCheckAt" = now() + make_interval(secs => ${intervalSeconds}::float8 * random())
    WHERE status = 'CONNECTED'
      AND "nextHealthCheckAt" > now() + make_interval(secs => ${intervalSeconds}::float8 * 1.1)
      -- a provider's Retry-After is honoured across restarts
      AND "healthErrorCode" IS DISTINCT FROM 'rate_limited'`;
}

/** Gives claimed rows back: no lease, next check at `next` (checks that could not run or be written). */
async function release(prisma: PrismaClient, ids: string[], next: Date): Promise<void> {
  await prisma.$executeRaw`
    UPDATE "integration" SET "healthLeaseUntil" = NULL, "nextHealthCheckAt" = ${next.toISOString()}::timestamp(3), "updatedAt" = now()
    WHERE id = ANY(${ids}::text[])`;
}

/** Lets a running sweep wind down: no new check starts; claimed rows not yet started are given back. */
export type SweepStop = { requested: boolean };

/** Gives claimed rows that were never started back at once: no lease, still due (another replica or the next sweep takes them). */
async function unclaim(prisma: PrismaClient, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await prisma.$executeRaw`UPDATE "integration" SET "healthLeaseUntil" = NULL WHERE id = ANY(${ids}::text[]) AND "healthLeaseUntil" IS NOT NULL`;
}

/**
 * One sweep: claim, check, record. Runs on whichever thread calls it: the serving thread
 * (HEALTH_CHECK_WORKER=inline, the embedded database) or the check worker (check-worker.ts, the default with DATABASE_URL),
 * which passes its own services (database pool, outbound HTTP, a pub/sub that posts events back
 * to the serving thread) and metrics (posted back too).
 */
export async function runSweep({
  services,
  metrics,
  runCheck,
  stop = { requested: false },
  governed = true,
  onWritten,
  initial,
  loopDelayMs,
}: {
  services: SchedulerServices;
  metrics?: Pick<Metrics, "checkCompleted">;
  runCheck?: (claimed: Claimed, provider: CatalogProvider) => Promise<CheckResult | void>;
  stop?: SweepStop;
  /** Whether the loop governor (HEALTH_CHECK_MAX_LOOP_DELAY_MS) sets the concurrency. */
  governed?: boolean;
  /** The delay the governor watches: the serving thread's, read from a worker; this thread's own without. */
  loopDelayMs?: () => number;
  /** Each group of results as it is written (the check worker posts them back as it goes). */
  onWritten?: (results: CheckResult[]) => void;
  /** Rows the caller already claimed for this sweep (the serving thread's first claim, handed to the worker). */
  initial?: Claimed[];
}): Promise<SweepSummary> {
  const { env, prisma, logger } = services;
  const concurrency = env.HEALTH_CHECK_CONCURRENCY;
  const started = performance.now();
  const results: CheckResult[] = [];
  let claimed = initial?.length ?? 0;
  let errors = 0;
  const startedAt = new Map<string, number>();

  const recorder = createCheckRecorder({
    prisma,
    realtime: services.realtime,
    onWritten: (probes: Probe[]) => {
      for (const { result } of probes) {
        results.push(result);
        metrics?.checkCompleted(result.providerId, result.status, (performance.now() - (startedAt.get(result.integrationId) ?? started)) / 1000);
        startedAt.delete(result.integrationId);
      }
      onWritten?.(probes.map((p) => p.result));
    },
    onFailed: async (probes: Probe[], error: unknown) => {
      errors += probes.length;
      for (const { result } of probes) metrics?.checkCompleted(result.providerId, "ERROR", (performance.now() - (startedAt.get(result.integrationId) ?? started)) / 1000);
      logger.error({ err: error, checks: probes.length }, "could not record health checks");
      await release(
        prisma,
        probes.map((p) => p.result.integrationId),
        nextCheckTime(env.HEALTH_CHECK_INTERVAL_SECONDS, Date.now()),
      ).catch(() => {});
    },
  });

  // Claim a few batches' worth at a time, so a replica never holds leases it cannot start
  // soon; claim again while a batch's worth is still queued, so workers never wait for it.
  const batch = concurrency * 2;
  const queue: Claimed[] = initial ? [...initial] : [];
  // A first claim that found less than a batch found everything due.
  let exhausted = initial !== undefined && initial.length < batch;
  let claiming: Promise<void> | null = null;
  function refill(): Promise<void> {
    claiming ??= (async () => {
      try {
        const rows = await claimDue(prisma, { limit: batch, leaseSeconds: env.HEALTH_CHECK_LEASE_SECONDS });
        claimed += rows.length;
        for (const row of rows) queue.push(row);
        if (rows.length < batch) exhausted = true;
      } catch (error) {
        // The database is down or restarting: log it; the next tick goes on.
        logger.error({ err: error }, "could not claim due health checks");
        exhausted = true;
      } finally {
        claiming = null;
      }
    })();
    return claiming;
  }

  async function runOne(row: Claimed): Promise<void> {
    const provider = services.catalog.find((p) => p.id === row.providerId);
    const t0 = performance.now();
    try {
      if (!provider) {
        // Removed from the catalog: nothing to check with; try again much later.
        await release(prisma, [row.id], nextCheckTime(env.HEALTH_CHECK_INTERVAL_SECONDS * 12, Date.now()));
        return;
      }
      if (runCheck) {
        const result = await runCheck(row, provider);
        if (result) {
          metrics?.checkCompleted(row.providerId, result.status, (performance.now() - t0) / 1000);
          results.push(result);
          onWritten?.([result]);
        }
        return;
      }
      startedAt.set(row.id, t0);
      const probe = await probeIntegration({ services, provider, row, trigger: "SCHEDULED" });
      await recorder.add(probe);
    } catch (error) {
      errors++;
      startedAt.delete(row.id);
      metrics?.checkCompleted(row.providerId, "ERROR", (performance.now() - t0) / 1000);
      logger.error({ err: error, integrationId: row.id }, "a health check failed unexpectedly");
      await release(prisma, [row.id], nextCheckTime(env.HEALTH_CHECK_INTERVAL_SECONDS, Date.now())).catch(() => {});
    }
  }

  // Worker n only takes a row while the governor allows more than n checks at once, or the next
  // row may not wait (mayHoldBack).
  async function worker(n: number): Promise<void> {
    for (;;) {
      if (stop.requested) return;
      if (n >= governor.allowed && !(exhausted && queue.length === 0) && (queue.length === 0 || mayHoldBack(queue[0]!, env.HEALTH_CHECK_INTERVAL_SECONDS))) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        continue;
      }
      if (!exhausted && queue.length < batch) {
        const refilled = refill();
        if (queue.length === 0) await refilled;
      }
      if (stop.requested) return;
      const row = queue.shift();
      if (row) await runOne(row);
      else if (exhausted) return;
    }
  }

  const governor = createLoopGovernor({ max: concurrency, targetMs: governed ? env.HEALTH_CHECK_MAX_LOOP_DELAY_MS : 0, delayMs: loopDelayMs });
  governor.start();
  try {
    await Promise.all(Array.from({ length: concurrency }, (_, n) => worker(n)));
  } finally {
    governor.stop();
  }
  await recorder.drain();
  if (stop.requested) {
    // Shutting down: what was claimed but never started goes back now rather than when its lease ends.
    await (claiming as Promise<void> | null)?.catch(() => {});
    const left = queue.splice(0).map((r) => r.id);
    await unclaim(prisma, left).catch((error) => logger.warn({ err: error, rows: left.length }, "could not give back claimed health checks; their leases will expire"));
  }
  const durationMs = Math.round(performance.now() - started);
  return { claimed, results, errors, durationMs };
}

export function createHealthScheduler({
  services,
  metrics,
  onSweep,
  runCheck,
  worker: workerOptions,
}: {
  services: SchedulerServices;
  metrics?: Metrics;
  /** Called with every sweep's results (webhook events). */
  onSweep?: (summary: SweepSummary) => Promise<void> | void;
  /**
   * Replaces the check and its recording (tests of the claiming logic): called once per claimed
   * row, which it must give back itself. Runs the sweep inline.
   */
  runCheck?: (claimed: Claimed, provider: CatalogProvider) => Promise<CheckResult | void>;
  /** What the check worker needs that the services do not carry (the vault's keys). Without it, checks run inline. */
  worker?: { encryptionKeys: EncryptionKey[] };
}): HealthScheduler {
  const { env, prisma, logger } = services;
  let task: ReturnType<typeof cron.schedule> | null = null;
  let current: Promise<SweepSummary> | null = null;
  const stop: SweepStop = { requested: false };
  const mode = checkWorkerMode(env, services.db?.kind);
  const host =
    mode === "thread" && !runCheck && workerOptions
      ? createCheckWorkerHost({ env, encryptionKeys: workerOptions.encryptionKeys, allowHttp: services.allowHttp, logger, realtime: services.realtime, metrics })
      : null;
  if (env.HEALTH_CHECK_WORKER === "thread" && services.db?.kind !== "postgres") {
    logger.warn("HEALTH_CHECK_WORKER=thread needs DATABASE_URL (the embedded database serves one thread): checks run on the serving thread");
  }

  /**
   * With a worker: the first batch is claimed here, at once (one statement on the serving
   * thread's pool), so a sweep holds the rows due when it was asked for, whether or not the
   * worker is up yet; nothing due means nothing is sent. The worker claims the rest. It is
   * started by the scheduler's start or by the first sweep, so a replica that never sweeps
   * (HEALTH_SCHEDULER=off) has no worker and no second pool; its start-up counts in neither the
   * sweep's duration nor any check's latency, which the worker measures itself once it is ready.
   */
  async function sweepInWorker(worker: NonNullable<typeof host>): Promise<SweepSummary> {
    if (stop.requested) return { claimed: 0, results: [], errors: 0, durationMs: 0 };
    worker.warm();
    const started = performance.now();
    let initial: Claimed[] | undefined;
    try {
      initial = await claimDue(prisma, { limit: env.HEALTH_CHECK_CONCURRENCY * 2, leaseSeconds: env.HEALTH_CHECK_LEASE_SECONDS });
    } catch (error) {
      // The database is down or restarting: the worker tries on its own pool and logs what it finds.
      logger.error({ err: error }, "could not claim due health checks");
    }
    if (initial?.length === 0) {
      // Nothing due: settles once the worker is up all the same, so that every sweep ends with a
      // worker ready for the next (the first tick, or a benchmark's warm-up sweep, pays its start).
      const durationMs = Math.round(performance.now() - started);
      await worker.whenReady();
      return { claimed: 0, results: [], errors: 0, durationMs };
    }
    if (stop.requested) {
      // Shutting down meanwhile: give the rows back rather than leave them leased.
      await unclaim(prisma, (initial ?? []).map((r) => r.id)).catch(() => {});
      return { claimed: 0, results: [], errors: 0, durationMs: Math.round(performance.now() - started) };
    }
    return worker.sweep(initial);
  }

  async function sweepOnce(): Promise<SweepSummary> {
    const summary = host ? await sweepInWorker(host) : await runSweep({ services, metrics, runCheck, stop });
    metrics?.sweepCompleted(summary.durationMs / 1000);
    if (summary.claimed > 0) logger.debug({ claimed: summary.claimed, errors: summary.errors, durationMs: summary.durationMs, worker: host ? "thread" : "inline" }, "health sweep");
    if (onSweep && summary.results.length > 0) await Promise.resolve(onSweep(summary)).catch((error) => logger.error({ err: error }, "sweep follow-up failed"));
    return summary;
  }

  const scheduler: HealthScheduler = {
    mode: host ? "thread" : "inline",
    get workerThread() {
      return host?.thread ?? null;
    },
    sweep() {
      // Never two sweeps at once in one process: a slow sweep makes the next tick wait.
      if (current) return current;
      current = sweepOnce().finally(() => {
        current = null;
      });
      return current;
    },
    start() {
      if (task) return;
      const seconds = env.HEALTH_CHECK_TICK_SECONDS;
      const expression = seconds < 60 ? `*/${seconds} * * * * *` : `0 */${Math.max(1, Math.round(seconds / 60))} * * * *`;
      host?.warm();
      task = cron.schedule(expression, () => scheduler.sweep().then(() => undefined), { name: "health-sweep", noOverlap: true });
      logger.info(
        { tickSeconds: seconds, intervalSeconds: env.HEALTH_CHECK_INTERVAL_SECONDS, retryIntervalSeconds: env.HEALTH_RETRY_INTERVAL_SECONDS, concurrency: env.HEALTH_CHECK_CONCURRENCY, worker: scheduler.mode },
        `health scheduler started: each integration checked every ${env.HEALTH_CHECK_INTERVAL_SECONDS} s (every ${env.HEALTH_RETRY_INTERVAL_SECONDS} s while failing), up to ${env.HEALTH_CHECK_CONCURRENCY} at a time ${host ? "in a worker thread" : "on the serving thread"}, due checks looked for every ${seconds} s`,
      );
      rescheduleToInterval(prisma, env.HEALTH_CHECK_INTERVAL_SECONDS).then(
        (moved) => moved > 0 && logger.info({ moved, intervalSeconds: env.HEALTH_CHECK_INTERVAL_SECONDS }, "health checks rescheduled to the interval"),
        (error: unknown) => logger.error({ err: error }, "could not reschedule health checks to the interval"),
      );
    },
    async stop() {
      if (task) {
        await task.stop();
        await task.destroy();
        task = null;
      }
      // A sweep under way finishes the checks it started and gives back the rows it has not.
      stop.requested = true;
      await host?.stop();
      await current?.catch(() => {});
    },
  };
  return scheduler;
}
