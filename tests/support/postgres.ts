import { randomBytes } from "node:crypto";
import pg from "pg";

// Integration tests run against a real Postgres: TEST_DATABASE_URL, or the local server that
// development and CI machines run. Each test file gets a database of its own, dropped after.

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

let reachable: Promise<string | null> | undefined;

/** null when Postgres answers; otherwise why not. */
export function postgresProblem(): Promise<string | null> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return null;
    } catch (error) {
      return `Postgres is not reachable at ${ADMIN_URL.replace(/\/\/[^@]*@/, "//")} (${(error as Error).message}). Start it, or set TEST_DATABASE_URL.`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

/**
 * Whether Postgres tests can run. On CI a missing Postgres is a failure, never a skip; on a
 * developer machine the tests are skipped with the reason printed.
 */
export async function requirePostgres(): Promise<boolean> {
  const problem = await postgresProblem();
  if (!problem) return true;
  if (process.env.CI) throw new Error(problem);
  console.warn(`\n⚠ SKIPPING Postgres tests: ${problem}\n`);
  return false;
}

export type TestDatabase = { url: string; name: string; drop(): Promise<void> };

export async function createTestDatabase(label = "t"): Promise<TestDatabase> {
  const name = `sb_${label}_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
