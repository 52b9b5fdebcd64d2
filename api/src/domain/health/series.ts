import DataLoader from "dataloader";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { rollupWindow, type HealthRange } from "./windows.ts";

// Bucketed checks and latency for the detail page's chart, from the rollups (record.ts), so a
// 30-day chart reads 30 rows per connection instead of thousands of checks. One statement per
// distinct range in a request, for every connection asking for it.

export type LatencyBucket = {
  start: Date;
  checks: number;
  upChecks: number;
  latencyAvgMs: number;
  latencyMinMs: number;
  latencyMaxMs: number;
  /** average latency of the checks that found the provider answering; null when none did */
  upLatencyAvgMs: number | null;
};

export type SeriesKey = { integrationId: string; range: HealthRange };

type Row = { integrationId: string; bucketStart: Date; checks: number; upChecks: number; latencySumMs: bigint; latencyMinMs: number; latencyMaxMs: number; upLatencySumMs: bigint };

const keyOf = (k: SeriesKey) => `${k.integrationId}|${k.range}`;

export function createLatencySeriesLoader(prisma: PrismaClient, clock: () => Date = () => new Date()) {
  return new DataLoader<SeriesKey, LatencyBucket[], string>(
    async (keys) => {
      const now = clock();
      const found = new Map<string, LatencyBucket[]>(keys.map((k) => [keyOf(k), []]));
      for (const range of new Set(keys.map((k) => k.range))) {
        const ids = keys.filter((k) => k.range === range).map((k) => k.integrationId);
        const { table, from } = rollupWindow(range, now);
        const since = from.toISOString();
        // Two literal statements rather than an interpolated table name.
        const rows =
          table === "hourly"
            ? await prisma.$queryRaw<Row[]>`
                SELECT "integrationId", "bucketStart", checks, "upChecks", "latencySumMs", "latencyMinMs", "latencyMaxMs", "upLatencySumMs"
                FROM "integration_health_hourly"
                WHERE "integrationId" = ANY(${ids}::text[]) AND "bucketStart" >= ${since}::timestamp
                ORDER BY "integrationId", "bucketStart"`
            : await prisma.$queryRaw<Row[]>`
                SELECT "integrationId", "bucketStart", checks, "upChecks", "latencySumMs", "latencyMinMs", "latencyMaxMs", "upLatencySumMs"
                FROM "integration_health_daily"
                WHERE "integrationId" = ANY(${ids}::text[]) AND "bucketStart" >= ${since}::timestamp
                ORDER BY "integrationId", "bucketStart"`;
        for (const r of rows) {
          found.get(`${r.integrationId}|${range}`)?.push({
            start: r.bucketStart,
            checks: r.checks,
            upChecks: r.upChecks,
            latencyAvgMs: Number(r.latencySumMs) / r.checks,
            latencyMinMs: r.latencyMinMs,
            latencyMaxMs: r.latencyMaxMs,
            upLatencyAvgMs: r.upChecks === 0 ? null : Number(r.upLatencySumMs) / r.upChecks,
          });
        }
      }
      return keys.map((k) => found.get(keyOf(k)) ?? []);
    },
    { cacheKeyFn: keyOf },
  );
}
