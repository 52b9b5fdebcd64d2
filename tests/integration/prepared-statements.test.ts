import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, type Database } from "@switchboard/api/db";
import { createTestDatabase, requirePostgres, type TestDatabase } from "../support/postgres.ts";

// db.query's `prepared` option (the proxy's key statement uses it): Postgres keeps the parsed,
// planned statement per connection under its name, and every later call on that connection
// binds new values to it, so the answers are the same as unprepared and the plan is made once.

const enabled = await requirePostgres();

describe.skipIf(!enabled)("prepared statements outside Prisma", () => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await createTestDatabase("prepared");
    db = await createDatabase({ url: test.url, dataDir: mkdtempSync(join(tmpdir(), "sb-prepared-")), poolSize: 1 });
  });
  afterAll(async () => {
    await db?.close();
    await test?.drop();
  });

  it("answers like an unprepared query, with new values each call, and is planned once per connection", async () => {
    const sql = "SELECT $1::int * 2 AS doubled, $2::text AS label";
    for (const [n, label] of [[1, "a"], [21, "b"], [-4, "it's"]] as const) {
      const [prepared] = await db.query<{ doubled: number; label: string }>(sql, [n, label], { prepared: "test_doubled" });
      const [plain] = await db.query<{ doubled: number; label: string }>(sql, [n, label]);
      expect(prepared).toEqual({ doubled: n * 2, label });
      expect(plain).toEqual(prepared);
    }
    // One connection in the pool: the statement is held there, by name, once.
    const held = await db.query<{ name: string; statement: string }>("SELECT name, statement FROM pg_prepared_statements");
    expect(held).toEqual([{ name: "test_doubled", statement: sql }]);
    await db.withSession(async (session) => {
      const [r] = await session.query<{ doubled: number }>(sql, [5, "x"], { prepared: "test_doubled" });
      expect(r!.doubled).toBe(10);
    });
  });
});

// pg's pool closes a connection idle for 10 s by default; ours keeps it 5 minutes
// (api/src/db/index.ts POOL_IDLE_MS), so a pool under steady traffic does not open a new
// backend, and plan the hot statements again, for every small burst.
describe.skipIf(!enabled)("idle pooled connections", () => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await createTestDatabase("pool-idle");
    db = await createDatabase({ url: test.url, dataDir: mkdtempSync(join(tmpdir(), "sb-pool-idle-")), poolSize: 3 });
  });
  afterAll(async () => {
    await db?.close();
    await test?.drop();
  });

  it("stay open past pg's 10 s idle default: the same backends, with the statements prepared on them", async () => {
    // Three calls at once hold all three connections; each prepares the statement on its own.
    const burst = () =>
      Promise.all(
        [1, 2, 3].map(async () => {
          const [row] = await db.query<{ pid: number }>("SELECT pg_backend_pid() AS pid, pg_sleep(0.2)::text AS slept, $1::int AS n", [1], { prepared: "test_pool_idle" });
          return row!.pid;
        }),
      );
    const before = new Set(await burst());
    expect(before.size).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    const after = new Set(await burst());
    expect([...after].sort()).toEqual([...before].sort());
    // Postgres has no other backend for this database: none was opened in between.
    const backends = await db.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database()");
    expect(backends.map((r) => r.pid).filter((pid) => !before.has(pid))).toEqual([]);
  }, 30_000);
});
