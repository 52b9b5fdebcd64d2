import cron from "node-cron";
import pLimit from "p-limit";
import type { CatalogProvider } from "../providers/catalog.ts";
import type { Logger } from "../logger.ts";
import type { Env } from "../env.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { checkIntegration, nextCheckTime, type CheckResult } from "../domain/health/check-integration.ts";
import type { RefreshServices } from "../domain/integrations/refresh.ts";
import type { Metrics } from "../http/metrics.ts";

// Schedule + lock + metrics only; the work is checkIntegration in domain/health.
// Each tick claims due connections with `FOR UPDATE SKIP LOCKED` and a lease: replicas sweeping
// at the same moment each get different rows, and a replica that dies mid-check loses its
// claim when the lease runs out. Checks run under a concurrency limit.

export type Claimed = { id: string; providerId: string; workspaceId: string };
export type SchedulerServices = RefreshServices & { env: Env; prisma: PrismaClient; catalog: CatalogProvider[]; logger: Logger };
export type SweepSummary = { claimed: number; results: CheckResult[]; errors: number; durationMs: number };

export type HealthScheduler = {
  start(): void;
  stop(): Promise<void>;
  /** One sweep now (tests, and `pnpm admin check-now`). */
  sweep(): Promise<SweepSummary>;
};

export async function claimDue(prisma: PrismaClient, { limit, leaseSeconds }: { limit: number; leaseSeconds: number }): Promise<Claimed[]> {
  return prisma.$queryRaw<Claimed[]>`
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
    RETURNING id, "providerId", "workspaceId"`;
}

export function createHealthScheduler({
  services,
  metrics,
  onSweep,
  runCheck,
}: {
  services: SchedulerServices;
  metrics?: Metrics;
  /** Called with every sweep's results (webhook events). */
  onSweep?: (summary: SweepSummary) => Promise<void> | void;
  /** The check to run; the real one by default (tests of the claiming logic replace it). */
  runCheck?: (claimed: Claimed, provider: CatalogProvider) => Promise<CheckResult | void>;
}): HealthScheduler {
  const { env, prisma, logger } = services;
  const limit = pLimit(env.HEALTH_CHECK_CONCURRENCY);
  const check = runCheck ?? ((claimed: Claimed, provider: CatalogProvider) => checkIntegration({ services, provider, integrationId: claimed.id, trigger: "SCHEDULED" }));
  let task: ReturnType<typeof cron.schedule> | null = null;
  let current: Promise<SweepSummary> | null = null;

  async function runOne(claimed: Claimed): Promise<CheckResult | null> {
    const provider = services.catalog.find((p) => p.id === claimed.providerId);
    const started = performance.now();
    try {
      if (!provider) {
        // Removed from the catalog: nothing to check with; try again much later.
        await prisma.integration.update({ where: { id: claimed.id }, data: { healthLeaseUntil: null, nextHealthCheckAt: nextCheckTime(env.HEALTH_CHECK_INTERVAL_SECONDS * 12, Date.now()) } });
        return null;
      }
      const result = await check(claimed, provider);
      if (result) metrics?.checkCompleted(claimed.providerId, result.status, (performance.now() - started) / 1000);
      return result ?? null;
    } catch (error) {
      metrics?.checkCompleted(claimed.providerId, "ERROR", (performance.now() - started) / 1000);
      logger.error({ err: error, integrationId: claimed.id }, "a health check failed unexpectedly");
      await prisma.integration
        .update({ where: { id: claimed.id }, data: { healthLeaseUntil: null, nextHealthCheckAt: nextCheckTime(env.HEALTH_CHECK_INTERVAL_SECONDS, Date.now()) } })
        .catch(() => {});
      throw error;
    }
  }

  async function sweepOnce(): Promise<SweepSummary> {
    const started = performance.now();
    const results: CheckResult[] = [];
    let claimed = 0;
    let errors = 0;
    // Claim a few batches' worth at a time, so a replica never holds leases it cannot start.
    const batch = env.HEALTH_CHECK_CONCURRENCY * 2;
    for (;;) {
      let rows: Claimed[];
      try {
        rows = await claimDue(prisma, { limit: batch, leaseSeconds: env.HEALTH_CHECK_LEASE_SECONDS });
      } catch (error) {
        // The database is down or restarting: log it; the next tick goes on.
        logger.error({ err: error }, "could not claim due health checks");
        break;
      }
      if (rows.length === 0) break;
      claimed += rows.length;
      const settled = await Promise.allSettled(rows.map((row) => limit(() => runOne(row))));
      for (const s of settled) {
        if (s.status === "fulfilled" && s.value) results.push(s.value);
        if (s.status === "rejected") errors++;
      }
      if (rows.length < batch) break;
    }
    const durationMs = Math.round(performance.now() - started);
    const summary = { claimed, results, errors, durationMs };
    metrics?.sweepCompleted(durationMs / 1000);
    if (claimed > 0) logger.debug({ claimed, errors, durationMs }, "health sweep");
    if (onSweep && results.length > 0) await Promise.resolve(onSweep(summary)).catch((error) => logger.error({ err: error }, "sweep follow-up failed"));
    return summary;
  }

  const scheduler: HealthScheduler = {
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
      task = cron.schedule(expression, () => scheduler.sweep().then(() => undefined), { name: "health-sweep", noOverlap: true });
      logger.info({ everySeconds: seconds, concurrency: env.HEALTH_CHECK_CONCURRENCY }, "health scheduler started");
    },
    async stop() {
      if (task) {
        await task.stop();
        await task.destroy();
        task = null;
      }
      await current?.catch(() => {});
    },
  };
  return scheduler;
}

/** Deletes health history past the retention, and long-dead OAuth states. */
export async function pruneHistory({ prisma, retentionDays }: { prisma: PrismaClient; retentionDays: number }): Promise<{ healthLogs: number; oauthStates: number }> {
  const cutoff = new Date(Date.now() - retentionDays * 24 * 60 * 60 * 1000);
  const logs = await prisma.integrationHealthLog.deleteMany({ where: { checkedAt: { lt: cutoff } } });
  const states = await prisma.oAuthState.deleteMany({ where: { expiresAt: { lt: new Date(Date.now() - 24 * 60 * 60 * 1000) } } });
  return { healthLogs: logs.count, oauthStates: states.count };
}
