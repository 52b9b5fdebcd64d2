import { createUptimeLoader } from "../../../api/src/domain/health/uptime.ts";
import type { Database } from "@switchboard/api/db";
import { createTestDatabase } from "../../support/postgres.ts";
import { openMigrated } from "../lib/seed.ts";
import { percentile, round } from "../lib/stats.ts";

// Issue 14, "history that stays fast": the 30-day uptime of a page of 50 connections (the
// product's uptime loader, one statement, as a dashboard page asks for it) in a database that
// keeps 14 days of raw checks against one that keeps 90 (the old default). Both hold the same
// rollups (hourly for 35 days, daily for 90, as the pruning leaves them) and the same 50 other
// connections of another workspace; only the raw history differs. The baseline is the 14-day
// database in the same run. For reference, the statement uptime used before the rollups (raw
// rows, 30 days) is timed on both too.

export type UptimeHistoryResult = {
  connections: number;
  checksPerDay: number;
  rawRows: { days14: number; days90: number };
  rollup: { days14: Timing; days90: Timing };
  raw: { days14: Timing; days90: Timing };
};
type Timing = { p50: number; p95: number };

const PAGE = 50;
const OTHERS = 50;
const INTERVAL_MINUTES = 5;

async function seed(db: Database, rawDays: number): Promise<string[]> {
  await db.query(`INSERT INTO "workspace" (id, name, slug, "createdAt") VALUES ('page', 'Page', 'page', now()), ('others', 'Others', 'others', now())`);
  // A workspace holds one connection per provider (until issue 14 item 1): distinct provider ids.
  await db.query(
    `INSERT INTO "integration" (id, "workspaceId", "providerId", status, "healthStatus", "updatedAt")
     SELECT ws || '-' || i, ws, 'p' || i, 'CONNECTED', 'HEALTHY', now()
     FROM (VALUES ('page', ${PAGE}), ('others', ${OTHERS})) AS w(ws, n), generate_series(1, w.n) AS i`,
  );
  // Raw checks every 5 minutes; one in 20 down, one in 10 slow (up).
  await db.query(
    `INSERT INTO "integration_health_log" (id, "integrationId", "workspaceId", status, trigger, "latencyMs", steps, "errorCode", "checkedAt")
     SELECT gen_random_uuid()::text, i.id, i."workspaceId", 'HEALTHY', 'SCHEDULED', 50 + (k % 400), '[]'::jsonb,
       CASE WHEN k % 20 = 0 THEN 'timeout' WHEN k % 10 = 5 THEN 'slow' END,
       (now() AT TIME ZONE 'UTC') - make_interval(mins => k * ${INTERVAL_MINUTES})
     FROM "integration" i, generate_series(0, $1::int * 24 * 60 / ${INTERVAL_MINUTES} - 1) AS k`,
    [rawDays],
  );
  // The rollups the writer would have made over 90 days (the same in both databases).
  const perHour = 60 / INTERVAL_MINUTES;
  for (const [table, unit, days, n] of [["integration_health_hourly", "hour", 35, perHour], ["integration_health_daily", "day", 90, perHour * 24]] as const)
    await db.query(
      `INSERT INTO "${table}" ("integrationId", "workspaceId", "bucketStart", checks, "upChecks", "latencySumMs", "latencyMinMs", "latencyMaxMs", "upLatencySumMs")
       SELECT i.id, i."workspaceId", b, ${n}, ${n} - ${n} / 20, ${n} * 250, 50, 449, (${n} - ${n} / 20) * 240
       FROM "integration" i, generate_series(date_trunc('${unit}', now() AT TIME ZONE 'UTC') - interval '${days - 1} ${unit}s', now() AT TIME ZONE 'UTC', interval '1 ${unit}') AS b`,
    );
  await db.query("VACUUM ANALYZE");
  return Array.from({ length: PAGE }, (_, i) => `page-${i + 1}`);
}

/** The statement uptime sent before the rollups (raw rows of 30 days), for reference. */
async function rawUptime(db: Database, ids: string[]): Promise<void> {
  await db.query(
    `WITH c AS (
       SELECT "integrationId", "checkedAt", ("errorCode" IS NULL OR "errorCode" = ANY($2::text[])) AS up
       FROM "integration_health_log" WHERE "integrationId" = ANY($1::text[]) AND "checkedAt" > now() - interval '30 days')
     SELECT "integrationId", count(*) FILTER (WHERE "checkedAt" > now() - interval '24 hours') AS n24, count(*) FILTER (WHERE up) AS up30, count(*) AS n30
     FROM c GROUP BY "integrationId"`,
    [ids, ["slow", "rate_limited", "insufficient_scope"]],
  );
}

async function time(rounds: number, sides: { name: string; run: () => Promise<unknown> }[]): Promise<Record<string, Timing>> {
  const samples: Record<string, number[]> = Object.fromEntries(sides.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++)
    // alternate, so drift of a shared machine falls on both sides alike
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      const t0 = performance.now();
      await s.run();
      samples[s.name]!.push(performance.now() - t0);
    }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { p50: round(percentile(v, 50)), p95: round(percentile(v, 95)) }]));
}

export async function benchUptimeHistory({ rounds = 300, log = console.log }: { rounds?: number; log?: (m: string) => void } = {}): Promise<UptimeHistoryResult> {
  const made = await Promise.all([createTestDatabase("uptime14"), createTestDatabase("uptime90")]);
  const dbs: Database[] = [];
  try {
    for (const t of made) dbs.push(await openMigrated(t.url, { poolSize: 2 }));
    const [db14, db90] = dbs as [Database, Database];
    const ids = await seed(db14, 14);
    await seed(db90, 90);
    const count = async (db: Database) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "integration_health_log"`))[0]!.n);
    const rawRows = { days14: await count(db14), days90: await count(db90) };
    log(`seeded ${rawRows.days14.toLocaleString("en")} and ${rawRows.days90.toLocaleString("en")} raw checks`);
    // A new loader per request, as the GraphQL context makes one.
    const page = (db: Database) => async () => {
      const all = await createUptimeLoader(db.prisma).loadMany(ids);
      if (all.some((u) => u instanceof Error || u.checks30d === 0)) throw new Error("uptime missing for a connection of the page");
    };
    await time(30, [{ name: "w14", run: page(db14) }, { name: "w90", run: page(db90) }, { name: "r14", run: () => rawUptime(db14, ids) }, { name: "r90", run: () => rawUptime(db90, ids) }]);
    const rollup = await time(rounds, [{ name: "days14", run: page(db14) }, { name: "days90", run: page(db90) }]);
    const raw = await time(Math.max(10, Math.round(rounds / 10)), [{ name: "days14", run: () => rawUptime(db14, ids) }, { name: "days90", run: () => rawUptime(db90, ids) }]);
    return { connections: PAGE, checksPerDay: (24 * 60) / INTERVAL_MINUTES, rawRows, rollup: rollup as UptimeHistoryResult["rollup"], raw: raw as UptimeHistoryResult["raw"] };
  } finally {
    await Promise.all(dbs.map((d) => d.close()));
    await Promise.all(made.map((t) => t.drop()));
  }
}
