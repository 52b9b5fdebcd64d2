import { Prisma } from "../../generated/prisma/client.ts";

// The hourly and daily rollups of the check history (uptime.ts and series.ts read them). Every
// writer of a history row adds it to its buckets in the same statement with these inserts:
// writeChecks (record.ts) for scheduled and manual checks, the OAuth callback (oauth/flow.ts) for
// the check made at connect time. `source` names a relation of the statement with the columns
// "integrationId", "workspaceId", "checkedAt", "latencyMs" and up (boolean).

const TABLES = { hour: "integration_health_hourly", day: "integration_health_daily" } as const;

/**
 * INSERT … ON CONFLICT DO UPDATE adding `source`'s rows to their buckets. Grouped first, because
 * one statement may hold several checks of a connection in the same bucket and ON CONFLICT may
 * not touch a row twice; inserted in key order so concurrent writers lock shared buckets in the
 * same order.
 */
export function rollupInsert(unit: keyof typeof TABLES, source: string): Prisma.Sql {
  if (!/^[a-z_]+$/.test(source)) throw new Error(`rollupInsert: not a relation name: ${source}`);
  return Prisma.sql`
      INSERT INTO ${Prisma.raw(`"${TABLES[unit]}"`)} AS r ("integrationId", "workspaceId", "bucketStart", checks, "upChecks", "latencySumMs", "latencyMinMs", "latencyMaxMs", "upLatencySumMs")
      SELECT "integrationId", "workspaceId", date_trunc(${Prisma.raw(`'${unit}'`)}, "checkedAt"), count(*), count(*) FILTER (WHERE up),
        sum("latencyMs"), min("latencyMs"), max("latencyMs"), COALESCE(sum("latencyMs") FILTER (WHERE up), 0)
      FROM ${Prisma.raw(source)} GROUP BY 1, 2, 3 ORDER BY 1, 3
      ON CONFLICT ("integrationId", "bucketStart") DO UPDATE SET
        checks = r.checks + excluded.checks,
        "upChecks" = r."upChecks" + excluded."upChecks",
        "latencySumMs" = r."latencySumMs" + excluded."latencySumMs",
        "latencyMinMs" = LEAST(r."latencyMinMs", excluded."latencyMinMs"),
        "latencyMaxMs" = GREATEST(r."latencyMaxMs", excluded."latencyMaxMs"),
        "upLatencySumMs" = r."upLatencySumMs" + excluded."upLatencySumMs"
      RETURNING 1`;
}

/** Adds one history row, already written, to its hour and day (the OAuth callback's check). */
export async function addCheckToRollups(
  tx: Pick<Prisma.TransactionClient, "$executeRaw">,
  check: { integrationId: string; workspaceId: string; checkedAt: Date; latencyMs: number; up: boolean },
): Promise<void> {
  await tx.$executeRaw`
    WITH c AS (
      SELECT ${check.integrationId}::text AS "integrationId", ${check.workspaceId}::text AS "workspaceId",
        ${check.checkedAt.toISOString()}::timestamp(3) AS "checkedAt", ${check.latencyMs}::int AS "latencyMs", ${check.up}::boolean AS up
    ),
    hourly AS (${rollupInsert("hour", "c")})
    ${rollupInsert("day", "c")}`;
}
