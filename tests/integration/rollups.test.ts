import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "@switchboard/api/db";
import { migrate } from "@switchboard/api/db/migrate";
import { DEFAULT_MIGRATIONS_DIR } from "@switchboard/api/app";
import { createUptimeLoader } from "../../api/src/domain/health/uptime.ts";
import { createLatencySeriesLoader } from "../../api/src/domain/health/series.ts";
import { rollupWindow, type HealthRange } from "../../api/src/domain/health/windows.ts";
import { pruneHistory } from "../../api/src/jobs/prune-history.ts";
import { createTestDatabase, requirePostgres } from "../support/postgres.ts";
import { writeTestChecks, type TestCheck } from "../support/checks.ts";

// The hourly and daily rollups, written by the check writer in the statement that writes the
// checks, against the raw checks themselves: after a mix of up, down and slow checks, several
// per hour and across days, several of one connection in one batch, from two writers at once,
// uptime read from the rollups equals uptime counted from the raw rows (and from the checks as
// this file made them), to the check. Pruning raw rows leaves it unchanged. PGlite (embedded
// default) and Postgres both.

const postgres = await requirePostgres();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WS = "ws-rollups";
// Independent of the product's constant on purpose: the rule as the README states it.
const UP_CODES = new Set([null, "slow", "rate_limited", "insufficient_scope"]);
const isUp = (c: TestCheck) => UP_CODES.has(c.errorCode ?? null);

type Backend = { name: string; enabled: boolean; open(): Promise<{ db: Database; drop(): Promise<void> }> };
const backends: Backend[] = [
  { name: "PGlite", enabled: true, open: async () => ({ db: await createDatabase({ dataDir: "memory://" }), drop: async () => {} }) },
  {
    name: "Postgres",
    enabled: postgres,
    open: async () => {
      const tdb = await createTestDatabase("rollups");
      return { db: await createDatabase({ url: tdb.url, dataDir: "unused" }), drop: () => tdb.drop() };
    },
  },
];

/** What each integration's checks look like: deterministic, so a failure reproduces. */
function makeChecks(now: Date): TestCheck[] {
  const checks: TestCheck[] = [];
  const at = (ms: number) => new Date(now.getTime() - ms);
  // a: every 20 minutes for 40 days; down (timeout, provider_error, invalid_grant), slow, rate-limited and fine
  for (let i = 0; i < 40 * 72; i++) {
    const code = i % 7 === 0 ? "timeout" : i % 11 === 5 ? "provider_error" : i % 13 === 0 ? "invalid_grant" : i % 5 === 2 ? "slow" : i % 17 === 3 ? "rate_limited" : null;
    checks.push({ integrationId: "a", workspaceId: WS, at: at(i * 20 * 60_000 + 1000), errorCode: code, latencyMs: code === "slow" ? 3000 + (i % 50) : code === "timeout" ? 10_000 : 20 + ((i * 37) % 900) });
  }
  // a, on the window edges: the first counted instant of the 24-hour and 7-day windows, and the one before
  for (const range of ["LAST_24H", "LAST_7D", "LAST_30D"] as const) {
    const from = rollupWindow(range, now).from.getTime();
    checks.push({ integrationId: "a", workspaceId: WS, at: new Date(from), errorCode: "network", latencyMs: 77 });
    checks.push({ integrationId: "a", workspaceId: WS, at: new Date(from - 1), errorCode: null, latencyMs: 5 });
  }
  // b: every 5 minutes for 3 days, mostly up, an outage of two hours a day ago
  for (let i = 0; i < 3 * 288; i++) {
    const t = i * 5 * 60_000 + 30_000;
    const down = t > DAY && t < DAY + 2 * HOUR;
    checks.push({ integrationId: "b", workspaceId: WS, providerId: "hubspot", at: at(t), errorCode: down ? "provider_error" : i % 9 === 0 ? "insufficient_scope" : null, latencyMs: down ? 1500 : 40 + (i % 60) });
  }
  // c: checked only 35 to 40 days ago: outside every window
  for (let i = 0; i < 5 * 24; i++) checks.push({ integrationId: "c", workspaceId: WS, providerId: "google", at: at(35 * DAY + i * HOUR), errorCode: i % 2 ? null : "timeout", latencyMs: 300 });
  // sorted by time, so a batch holds several checks of one connection in one hour
  return checks.sort((x, y) => x.at.getTime() - y.at.getTime());
}

/** Uptime counted from the checks as made here. */
function expectedUptime(checks: TestCheck[], id: string, now: Date) {
  const count = (range: HealthRange) => {
    const from = rollupWindow(range, now).from.getTime();
    const inWindow = checks.filter((c) => c.integrationId === id && c.at.getTime() >= from && c.at.getTime() <= now.getTime());
    return { n: inWindow.length, up: inWindow.filter(isUp).length };
  };
  const [d1, d7, d30] = [count("LAST_24H"), count("LAST_7D"), count("LAST_30D")];
  const r = (x: { n: number; up: number }) => (x.n === 0 ? null : x.up / x.n);
  return { last24h: r(d1), last7d: r(d7), last30d: r(d30), checks30d: d30.n };
}

for (const backend of backends) {
  describe.skipIf(!backend.enabled)(`rollups against the raw checks (${backend.name})`, () => {
    let db: Database;
    let drop: () => Promise<void>;
    const now = new Date();
    const checks = makeChecks(now);
    const ids = ["a", "b", "c", "never"];

    beforeAll(async () => {
      ({ db, drop } = await backend.open());
      await migrate(db, DEFAULT_MIGRATIONS_DIR);
      await db.prisma.organization.create({ data: { id: WS, name: "R", slug: `r-${backend.name}`, createdAt: new Date() } });
      for (const [id, providerId] of [["a", "slack"], ["b", "hubspot"], ["c", "google"], ["never", "salesforce"]] as const)
        await db.prisma.integration.create({ data: { id, workspaceId: WS, providerId, status: "CONNECTED", healthStatus: "HEALTHY" } });
      // Two writers at once, each writing batches of 40 (every other check): both add to the
      // same hours and days concurrently, and a batch holds several checks of one connection in one bucket.
      const writer = async (mine: TestCheck[]) => {
        for (let i = 0; i < mine.length; i += 40) await writeTestChecks(db.prisma, mine.slice(i, i + 40));
      };
      await Promise.all([writer(checks.filter((_, i) => i % 2 === 0)), writer(checks.filter((_, i) => i % 2 === 1))]);
    }, 300_000);
    afterAll(async () => {
      await db?.close();
      await drop?.();
    });

    const rawUptime = async () => {
      const w = (r: HealthRange) => rollupWindow(r, now).from.toISOString();
      const rows = await db.query<{ id: string; n24: string; up24: string; n7: string; up7: string; n30: string; up30: string }>(
        `SELECT "integrationId" AS id,
           count(*) FILTER (WHERE "checkedAt" >= $1::timestamp) AS n24, count(*) FILTER (WHERE "checkedAt" >= $1::timestamp AND up) AS up24,
           count(*) FILTER (WHERE "checkedAt" >= $2::timestamp) AS n7, count(*) FILTER (WHERE "checkedAt" >= $2::timestamp AND up) AS up7,
           count(*) FILTER (WHERE "checkedAt" >= $3::timestamp) AS n30, count(*) FILTER (WHERE "checkedAt" >= $3::timestamp AND up) AS up30
         FROM (SELECT "integrationId", "checkedAt", ("errorCode" IS NULL OR "errorCode" IN ('slow', 'rate_limited', 'insufficient_scope')) AS up FROM "integration_health_log") l
         GROUP BY 1`,
        [w("LAST_24H"), w("LAST_7D"), w("LAST_30D")],
      );
      const r = (up: string, n: string) => (Number(n) === 0 ? null : Number(up) / Number(n));
      return Object.fromEntries(ids.map((id) => {
        const x = rows.find((row) => row.id === id);
        return [id, x ? { last24h: r(x.up24, x.n24), last7d: r(x.up7, x.n7), last30d: r(x.up30, x.n30), checks30d: Number(x.n30) } : { last24h: null, last7d: null, last30d: null, checks30d: 0 }];
      }));
    };
    const rollupUptime = async () => {
      const loader = createUptimeLoader(db.prisma, () => now);
      const list = await Promise.all(ids.map((id) => loader.load(id)));
      return Object.fromEntries(ids.map((id, i) => [id, list[i]]));
    };
    const bucketsOf = async (unit: "hour" | "day") => {
      const table = unit === "hour" ? "integration_health_hourly" : "integration_health_daily";
      const rollup = await db.query(
        `SELECT "integrationId", "workspaceId", "bucketStart"::text AS b, checks, "upChecks", "latencySumMs"::text AS sum, "latencyMinMs", "latencyMaxMs", "upLatencySumMs"::text AS upsum FROM "${table}" ORDER BY 1, 3`,
      );
      const raw = await db.query(
        `SELECT "integrationId", "workspaceId", date_trunc('${unit}', "checkedAt")::text AS b, count(*)::int AS checks, (count(*) FILTER (WHERE up))::int AS "upChecks",
           sum("latencyMs")::text AS sum, min("latencyMs") AS "latencyMinMs", max("latencyMs") AS "latencyMaxMs", COALESCE(sum("latencyMs") FILTER (WHERE up), 0)::text AS upsum
         FROM (SELECT *, ("errorCode" IS NULL OR "errorCode" IN ('slow', 'rate_limited', 'insufficient_scope')) AS up FROM "integration_health_log") l
         GROUP BY 1, 2, 3 ORDER BY 1, 3`,
      );
      return { rollup, raw };
    };

    it("every check is in the history once, and every hourly and daily bucket holds exactly the raw checks' counts and latencies", async () => {
      const [all] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "integration_health_log"`);
      expect(Number(all!.n)).toBe(checks.length);
      for (const unit of ["hour", "day"] as const) {
        const { rollup, raw } = await bucketsOf(unit);
        expect(rollup.length).toBeGreaterThan(unit === "hour" ? 900 : 40);
        expect(rollup).toEqual(raw);
      }
      // several checks per hour did land in one bucket, and some buckets are mixed up/down
      const [mixed] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "integration_health_hourly" WHERE checks >= 3 AND "upChecks" BETWEEN 1 AND checks - 1`);
      expect(Number(mixed!.n)).toBeGreaterThan(10);
    });

    it("uptime from the rollups equals uptime from the raw rows and from the checks as written, window by window", async () => {
      const fromRollups = await rollupUptime();
      expect(fromRollups).toEqual(await rawUptime());
      for (const id of ids) expect(fromRollups[id]).toEqual(expectedUptime(checks, id, now));
      // the figures are not trivial: a is neither all up nor all down in any window, c and never have none
      expect(fromRollups.a!.last24h).toBeGreaterThan(0.5);
      expect(fromRollups.a!.last24h).toBeLessThan(1);
      expect(fromRollups.b!.last7d).toBeLessThan(1);
      expect(fromRollups.c).toEqual({ last24h: null, last7d: null, last30d: null, checks30d: 0 });
      expect(fromRollups.never).toEqual({ last24h: null, last7d: null, last30d: null, checks30d: 0 });
    });

    it("the latency series is the raw checks per bucket: count, up count, average, min, max", async () => {
      const loader = createLatencySeriesLoader(db.prisma, () => now);
      for (const range of ["LAST_24H", "LAST_7D", "LAST_30D"] as const) {
        const { table, from } = rollupWindow(range, now);
        const size = table === "hourly" ? HOUR : DAY;
        const series = await loader.load({ integrationId: "a", range });
        const expected = new Map<number, TestCheck[]>();
        for (const c of checks.filter((c) => c.integrationId === "a" && c.at >= from)) {
          const start = Math.floor(c.at.getTime() / size) * size;
          expected.set(start, [...(expected.get(start) ?? []), c]);
        }
        expect(series.map((b) => b.start.getTime())).toEqual([...expected.keys()].sort((x, y) => x - y));
        for (const b of series) {
          const list = expected.get(b.start.getTime())!;
          const lat = list.map((c) => c.latencyMs!);
          const up = list.filter(isUp);
          expect(b).toEqual({
            start: b.start,
            checks: list.length,
            upChecks: up.length,
            latencyAvgMs: lat.reduce((s, x) => s + x, 0) / list.length,
            latencyMinMs: Math.min(...lat),
            latencyMaxMs: Math.max(...lat),
            upLatencyAvgMs: up.length === 0 ? null : up.reduce((s, c) => s + c.latencyMs!, 0) / up.length,
          });
        }
      }
    });

    it("the migration's backfill from raw history builds the same rollups as the writer", async () => {
      const before = { hour: (await bucketsOf("hour")).rollup, day: (await bucketsOf("day")).rollup };
      const sql = readFileSync(join(DEFAULT_MIGRATIONS_DIR, "20261206180000_health_rollups", "migration.sql"), "utf8");
      const backfill = sql.slice(sql.indexOf("-- Backfill"));
      expect(backfill).toContain("INSERT INTO");
      await db.query(`DELETE FROM "integration_health_hourly"`);
      await db.query(`DELETE FROM "integration_health_daily"`);
      for (const statement of backfill.split(";").filter((s) => /INSERT/.test(s))) await db.query(statement);
      expect((await bucketsOf("hour")).rollup).toEqual(before.hour);
      expect((await bucketsOf("day")).rollup).toEqual(before.day);
    });

    it("pruning raw checks (and rollups past their retention) leaves uptime unchanged", async () => {
      const before = await rollupUptime();
      const pruned = await pruneHistory({ prisma: db.prisma, retentionDays: 1, rollupRetentionDays: 31, now });
      expect(pruned.healthLogs).toBeGreaterThan(checks.length / 2);
      // c's hourly and daily rows (35-40 days ago) are past 35 and 31 days
      expect(pruned.hourlyRollups).toBeGreaterThan(0);
      expect(pruned.dailyRollups).toBeGreaterThan(0);
      const [old] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM "integration_health_log" WHERE "checkedAt" < $1::timestamp`, [new Date(now.getTime() - DAY).toISOString()]);
      expect(Number(old!.n)).toBe(0);
      expect(await rollupUptime()).toEqual(before);
      // ... while the same question asked of the raw rows now has a different answer
      expect((await rawUptime()).a).not.toEqual(before.a);
    });
  });
}
