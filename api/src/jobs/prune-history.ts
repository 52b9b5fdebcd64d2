import type { PrismaClient } from "../generated/prisma/client.ts";
import { HOURLY_ROLLUP_DAYS } from "../domain/health/windows.ts";

const DAY = 24 * 60 * 60 * 1000;

/**
 * The daily pruning: raw checks past HEALTH_HISTORY_RETENTION_DAYS, daily rollups past
 * HEALTH_ROLLUP_RETENTION_DAYS, hourly rollups past HOURLY_ROLLUP_DAYS (nothing reads them
 * further back; never longer than the daily ones), and long-dead OAuth states. Uptime and the
 * latency series read only the rollups, so pruning raw checks changes neither.
 */
export async function pruneHistory({
  prisma,
  retentionDays,
  rollupRetentionDays,
  now = new Date(),
}: {
  prisma: PrismaClient;
  retentionDays: number;
  rollupRetentionDays: number;
  now?: Date;
}): Promise<{ healthLogs: number; hourlyRollups: number; dailyRollups: number; oauthStates: number }> {
  const before = (days: number) => new Date(now.getTime() - days * DAY).toISOString();
  const logs = await prisma.integrationHealthLog.deleteMany({ where: { checkedAt: { lt: new Date(now.getTime() - retentionDays * DAY) } } });
  // A bucket goes once it has wholly passed the cutoff's day, so a kept window never starts inside a pruned bucket.
  const hourlyRollups = await prisma.$executeRaw`DELETE FROM "integration_health_hourly" WHERE "bucketStart" < date_trunc('day', ${before(Math.min(HOURLY_ROLLUP_DAYS, rollupRetentionDays))}::timestamp)`;
  const dailyRollups = await prisma.$executeRaw`DELETE FROM "integration_health_daily" WHERE "bucketStart" < date_trunc('day', ${before(rollupRetentionDays)}::timestamp)`;
  const states = await prisma.oAuthState.deleteMany({ where: { expiresAt: { lt: new Date(now.getTime() - DAY) } } });
  return { healthLogs: logs.count, hourlyRollups, dailyRollups, oauthStates: states.count };
}
