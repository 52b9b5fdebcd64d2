import DataLoader from "dataloader";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { createHistoryLoader } from "./history.ts";

// Uptime like Uptime Kuma's: the share of checks in a window that found the provider answering,
// judged by what each check found, not by the status after thresholds: a check whose token or
// API layer failed (any error code but the answering ones below) is down even while the
// thresholds still say DEGRADED, and a slow, rate-limited or short-of-scopes answer is up.
// Loaded for every integration of a request in one GROUP BY query.

/** Error codes of checks where the provider answered: they count as up. */
export const ANSWERING_CODES = ["slow", "rate_limited", "insufficient_scope"] as const;

export type Uptime = { last24h: number | null; last7d: number | null; last30d: number | null; checks30d: number };

type Row = { integrationId: string; n24: bigint; up24: bigint; n7: bigint; up7: bigint; n30: bigint; up30: bigint };

const ratio = (up: bigint, n: bigint) => (n === 0n ? null : Number(up) / Number(n));

export function createUptimeLoader(prisma: PrismaClient) {
  return new DataLoader<string, Uptime>(async (ids) => {
    const rows = await prisma.$queryRaw<Row[]>`
      WITH c AS (
        SELECT "integrationId", "checkedAt", ("errorCode" IS NULL OR "errorCode" = ANY(${[...ANSWERING_CODES]}::text[])) AS up
        FROM "integration_health_log"
        WHERE "integrationId" = ANY(${[...ids]}::text[]) AND "checkedAt" > now() - interval '30 days'
      )
      SELECT "integrationId",
        count(*) FILTER (WHERE "checkedAt" > now() - interval '24 hours') AS n24,
        count(*) FILTER (WHERE "checkedAt" > now() - interval '24 hours' AND up) AS up24,
        count(*) FILTER (WHERE "checkedAt" > now() - interval '7 days') AS n7,
        count(*) FILTER (WHERE "checkedAt" > now() - interval '7 days' AND up) AS up7,
        count(*) AS n30,
        count(*) FILTER (WHERE up) AS up30
      FROM c
      GROUP BY "integrationId"`;
    const byId = new Map(rows.map((r) => [r.integrationId, r]));
    return ids.map((id) => {
      const r = byId.get(id);
      if (!r) return { last24h: null, last7d: null, last30d: null, checks30d: 0 };
      return { last24h: ratio(r.up24, r.n24), last7d: ratio(r.up7, r.n7), last30d: ratio(r.up30, r.n30), checks30d: Number(r.n30) };
    });
  });
}

export type Loaders = { uptime: ReturnType<typeof createUptimeLoader>; history: ReturnType<typeof createHistoryLoader> };

export function createLoaders(prisma: PrismaClient): Loaders {
  return { uptime: createUptimeLoader(prisma), history: createHistoryLoader(prisma) };
}
