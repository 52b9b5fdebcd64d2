import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createDatabase, type Database } from "@switchboard/api/db";
import { migrate } from "@switchboard/api/db/migrate";
import { DEFAULT_MIGRATIONS_DIR } from "@switchboard/api/app";
import { againOnDeadlock, writeChecksStatement } from "../../api/src/domain/health/record.ts";
import { createTestDatabase, requirePostgres, type TestDatabase } from "../support/postgres.ts";
import { testProbe, writeTestChecks } from "../support/checks.ts";

// The check writer against a real deadlock: its one statement locks the connection's row, then
// the check's hourly rollup bucket. Another transaction holding that bucket and then asking for
// the connection's row closes the cycle, and Postgres aborts the writer's statement (40P01, as
// two writers of the rollups test once did in CI). The writer sends it again and the check is
// written once, with its history row and its rollups.

const enabled = await requirePostgres();
const WS = "ws-deadlock";

describe.skipIf(!enabled)("the check writer and a deadlock", () => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await createTestDatabase("deadlock");
    db = await createDatabase({ url: test.url, dataDir: mkdtempSync(join(tmpdir(), "sb-deadlock-")), poolSize: 4 });
    await migrate(db, DEFAULT_MIGRATIONS_DIR);
    await db.prisma.organization.create({ data: { id: WS, name: "D", slug: "d", createdAt: new Date() } });
    await db.prisma.integration.create({ data: { id: "a", workspaceId: WS, providerId: "slack", status: "CONNECTED", healthStatus: "HEALTHY" } });
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await test?.drop();
  });

  it("is aborted by Postgres, sent again, and written once", async () => {
    const at = new Date(Date.now() - 60_000);
    await writeTestChecks(db.prisma, [{ integrationId: "a", workspaceId: WS, at }]);
    const other = new pg.Client({ connectionString: test.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      // This transaction is never the one Postgres picks: it looks for the cycle much later.
      await other.query("SET LOCAL deadlock_timeout = '20s'");
      await other.query(`UPDATE "integration_health_hourly" SET checks = checks WHERE "integrationId" = 'a'`);

      let attempts = 0;
      const statement = writeChecksStatement([testProbe({ integrationId: "a", workspaceId: WS, at: new Date(at.getTime() + 1000) })]);
      const writing = againOnDeadlock(() => {
        attempts++;
        return db.prisma.$queryRaw<{ integrationId: string }[]>(statement);
      });
      // The writer now holds the connection's row and waits for the bucket.
      for (let i = 0; ; i++) {
        const waiting = await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%jsonb_to_recordset%'`);
        if (Number(waiting[0]!.n) > 0) break;
        if (i > 200) throw new Error("the writer never waited for the rollup bucket");
        await new Promise((r) => setTimeout(r, 25));
      }
      // Now the other transaction asks for the connection's row: a cycle. Postgres aborts the
      // writer's statement (deadlock_timeout 1 s there), which lets this UPDATE through.
      await other.query(`UPDATE "integration" SET "updatedAt" = now() WHERE id = 'a'`);
      await other.query("COMMIT");

      const rows = await writing;
      expect(rows.map((r) => r.integrationId)).toEqual(["a"]);
      expect(attempts).toBe(2);
    } finally {
      await other.end();
    }
    const history = await db.prisma.integrationHealthLog.count({ where: { integrationId: "a" } });
    expect(history).toBe(2);
    const [bucket] = await db.query<{ checks: number }>(`SELECT checks FROM "integration_health_hourly" WHERE "integrationId" = 'a'`);
    expect(Number(bucket!.checks)).toBe(2);
  }, 60_000);

  it("does not send again what failed for another reason", async () => {
    let attempts = 0;
    await expect(
      againOnDeadlock(async () => {
        attempts++;
        return db.query("SELECT 1/0");
      }),
    ).rejects.toThrow(/division by zero/);
    expect(attempts).toBe(1);
  });
});
