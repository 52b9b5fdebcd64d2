import DataLoader from "dataloader";
import type { Integration, PrismaClient } from "../../generated/prisma/client.ts";
import { createHistoryLoader } from "./history.ts";
import { createLatencySeriesLoader } from "./series.ts";
import { integrationSummary, type ProviderSummary } from "../integrations/page.ts";
import { rollupWindow } from "./windows.ts";

// Uptime like Uptime Kuma's: the share of checks in a window that found the provider answering,
// judged by what each check found, not by the status after thresholds: a check whose token or
// API layer failed (any error code but the answering ones below) is down even while the
// thresholds still say DEGRADED, and a slow, rate-limited or short-of-scopes answer is up.
//
// Read from the rollups the check writer keeps (record.ts: one hourly and one daily row per
// connection and bucket, written in the same statement as the checks), never from the raw
// history: the cost depends on the connections asked for, not on HEALTH_HISTORY_RETENTION_DAYS.
// Windows are whole UTC buckets, the current (partial) one included (windows.ts): 24 h and 7 d
// from hourly rollups, 30 d from daily ones. Loaded for every integration of a request in one
// statement.

/** Error codes of checks where the provider answered: they count as up. */
export const ANSWERING_CODES = ["slow", "rate_limited", "insufficient_scope"] as const;

export type Uptime = { last24h: number | null; last7d: number | null; last30d: number | null; checks30d: number };

type Row = { integrationId: string; n24: bigint | null; up24: bigint | null; n7: bigint | null; up7: bigint | null; n30: bigint | null; up30: bigint | null };

const ratio = (up: bigint | null, n: bigint | null) => (!n ? null : Number(up ?? 0n) / Number(n));
// Timestamps go over as UTC text cast to `timestamp` (the columns hold UTC without a zone), as record.ts writes them.
const utc = (d: Date) => d.toISOString();

export function createUptimeLoader(prisma: PrismaClient, clock: () => Date = () => new Date()) {
  return new DataLoader<string, Uptime>(async (ids) => {
    const now = clock();
    const w = { from24h: rollupWindow("LAST_24H", now).from, from7d: rollupWindow("LAST_7D", now).from, from30d: rollupWindow("LAST_30D", now).from };
    const rows = await prisma.$queryRaw<Row[]>`
      WITH h AS (
        SELECT "integrationId",
          sum(checks) FILTER (WHERE "bucketStart" >= ${utc(w.from24h)}::timestamp) AS n24,
          sum("upChecks") FILTER (WHERE "bucketStart" >= ${utc(w.from24h)}::timestamp) AS up24,
          sum(checks) AS n7,
          sum("upChecks") AS up7
        FROM "integration_health_hourly"
        WHERE "integrationId" = ANY(${[...ids]}::text[]) AND "bucketStart" >= ${utc(w.from7d)}::timestamp
        GROUP BY "integrationId"
      ),
      d AS (
        SELECT "integrationId", sum(checks) AS n30, sum("upChecks") AS up30
        FROM "integration_health_daily"
        WHERE "integrationId" = ANY(${[...ids]}::text[]) AND "bucketStart" >= ${utc(w.from30d)}::timestamp
        GROUP BY "integrationId"
      )
      SELECT "integrationId", h.n24, h.up24, h.n7, h.up7, d.n30, d.up30
      FROM h FULL JOIN d USING ("integrationId")`;
    const byId = new Map(rows.map((r) => [r.integrationId, r]));
    return ids.map((id) => {
      const r = byId.get(id);
      if (!r) return { last24h: null, last7d: null, last30d: null, checks30d: 0 };
      return { last24h: ratio(r.up24, r.n24), last7d: ratio(r.up7, r.n7), last30d: ratio(r.up30, r.n30), checks30d: Number(r.n30 ?? 0n) };
    });
  });
}

/** Whole connection rows by id, one statement per tick; only for ids already scoped to the caller's workspace (a page). */
function createIntegrationLoader(prisma: PrismaClient) {
  return new DataLoader<string, Integration | null>(async (ids) => {
    const rows = await prisma.integration.findMany({ where: { id: { in: [...ids] } } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/**
 * A workspace's counts per provider and state, read once per request however many fields ask:
 * `integrationCounts`, and the `totalCount` of an unfiltered page in the same operation.
 */
function createSummaryLoader(prisma: PrismaClient) {
  return new DataLoader<string, ProviderSummary[]>((workspaceIds) => Promise.all(workspaceIds.map((id) => integrationSummary(prisma, id))));
}

export type Loaders = {
  integrationById: ReturnType<typeof createIntegrationLoader>;
  uptime: ReturnType<typeof createUptimeLoader>;
  history: ReturnType<typeof createHistoryLoader>;
  latencySeries: ReturnType<typeof createLatencySeriesLoader>;
  summary: ReturnType<typeof createSummaryLoader>;
};

export function createLoaders(prisma: PrismaClient): Loaders {
  return { integrationById: createIntegrationLoader(prisma), uptime: createUptimeLoader(prisma), history: createHistoryLoader(prisma), latencySeries: createLatencySeriesLoader(prisma), summary: createSummaryLoader(prisma) };
}
