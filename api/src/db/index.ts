import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.ts";
import { DATA_FILES, PRIVATE_FILE_MODE, ensurePrivateDir } from "../data-dir.ts";

// Prisma's defaults (wait 2 s for a connection, 5 s per transaction) fail healthy work when a
// busy replica's pool is saturated for a moment; our transactions are short, so waiting longer
// is the right trade. Nothing here holds a transaction across a provider call.
const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 20_000 };

// An idle pooled connection stays open 5 minutes, as Prisma's own pool kept it before driver
// adapters (v6 `max_idle_connection_lifetime`, 300 s; v7 hands pooling to `pg`, whose
// `idleTimeoutMillis` is 10 s: the v7 defaults table of
// https://www.prisma.io/docs/orm/prisma-client/setup-and-configuration/databases-connections/connection-pool). With 10 s,
// a pool serving steady traffic closed the connections it did not need every few seconds and
// opened them again for the next small burst: a new Postgres backend (a process started,
// authenticated, its caches cold) and the hot prepared statements planned again, 10–50 ms for
// the calls that waited on it (seen 2026-12-06 as the proxy's p99 in benchmark 9, with
// Postgres's log_connections showing connections opened and closed inside every round).
const POOL_IDLE_MS = 300_000;

export type Queryable = {
  /** Runs SQL text that may hold several statements (migration files), outside Prisma. */
  exec(sql: string): Promise<void>;
  /**
   * A parameterised query outside Prisma (the migration runner, readiness checks, hot paths).
   * With `prepared`, Postgres parses and plans it once per connection and reuses the plan (a
   * named prepared statement): for a hot statement with joins, planning costs several times its
   * execution (the proxy's key statement: 0.5 ms planned, 0.07 ms run). The name must be unique
   * to its SQL text. Behind PgBouncer in transaction mode this needs its `max_prepared_statements`.
   * The embedded database ignores it.
   */
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[], options?: { prepared?: string }): Promise<T[]>;
};

export type Database = Queryable & {
  prisma: PrismaClient;
  kind: "postgres" | "pglite";
  /** Runs `fn` on one connection (session-level locks, multi-statement transactions). */
  withSession<T>(fn: (session: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` on a connection of a separate, small pool kept for advisory locks. A lock held
   * while `fn` uses the main pool can then never starve `fn` of connections (with one shared
   * pool, as many concurrent lock holders as connections deadlock every one of them).
   */
  withLockSession<T>(fn: (session: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

export type DatabaseOptions = {
  /** Postgres URL; without it, PGlite in `dataDir` (or in memory when dataDir is "memory://"). */
  url?: string;
  dataDir: string;
  poolSize?: number;
  /** Called with every SQL statement Prisma sends (tests count them to catch N+1 queries). */
  onQuery?: (sql: string) => void;
};

/** One code path above the driver adapter: Postgres through `pg`, or PGlite in-process. */
export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return createPostgres(options.url, options);
  return createPglite(options.dataDir, options);
}

function withQueryLog(prisma: PrismaClient, onQuery?: (sql: string) => void): PrismaClient {
  if (!onQuery) return prisma;
  (prisma as unknown as { $on(event: "query", cb: (e: { query: string }) => void): void }).$on("query", (e) => onQuery(e.query));
  return prisma;
}

async function createPostgres(url: string, options: DatabaseOptions): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, idleTimeoutMillis: POOL_IDLE_MS });
  // Lock waits are bounded: a lock nobody releases fails the waiter after 30 s, not forever.
  const lockPool = new pg.Pool({ connectionString: url, max: Math.max(2, Math.ceil((options.poolSize ?? 10) / 2)), idleTimeoutMillis: POOL_IDLE_MS, options: "-c lock_timeout=30000" });
  // A dropped idle connection (database restart) must not crash the process.
  pool.on("error", () => {});
  lockPool.on("error", () => {});
  const onClient = (client: pg.PoolClient) => ({
    exec: async (sql: string) => void (await client.query(sql)),
    query: async <T,>(sql: string, params?: unknown[], options?: { prepared?: string }) =>
      (await client.query(options?.prepared ? { name: options.prepared, text: sql, values: params } : { text: sql, values: params })).rows as T[],
  });
  const prisma = withQueryLog(
    new PrismaClient({ adapter: new PrismaPg(pool), transactionOptions: TRANSACTION_OPTIONS, log: options.onQuery ? [{ emit: "event", level: "query" }] : [] }),
    options.onQuery,
  );
  return {
    prisma,
    kind: "postgres",
    async exec(sql) {
      await pool.query(sql);
    },
    async query(sql, params, options) {
      const result = await pool.query(options?.prepared ? { name: options.prepared, text: sql, values: params } : { text: sql, values: params });
      return result.rows;
    },
    async withSession(fn) {
      const client = await pool.connect();
      try {
        return await fn(onClient(client) as Queryable);
      } finally {
        client.release();
      }
    },
    async withLockSession(fn) {
      const client = await lockPool.connect();
      try {
        return await fn(onClient(client) as Queryable);
      } finally {
        client.release();
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
      await lockPool.end();
    },
  };
}

export class DatabaseBusyError extends Error {
  constructor(readonly dataDir: string, readonly pid: number) {
    super(
      `The embedded database in ${dataDir} is in use by another Switchboard process (pid ${pid}). ` +
        `PGlite serves one process: stop the server first, or run with DATABASE_URL pointing at Postgres.`,
    );
    this.name = "DatabaseBusyError";
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** PGlite files must never be opened by two processes: take a pid lock file, replacing a stale one. */
function lockDataDir(dir: string): () => void {
  const file = resolve(dir, DATA_FILES.lock);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", PRIVATE_FILE_MODE);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(file, "utf8").trim());
      if (pid && (pid === process.pid || isAlive(pid))) throw new DatabaseBusyError(dir, pid);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${file}`);
}

async function createPglite(dataDir: string, options: DatabaseOptions): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  let location = dataDir;
  let unlock = () => {};
  if (!dataDir.startsWith("memory://")) {
    // 0700 (resolveSecrets, which runs first, has already narrowed and reported an open one).
    ensurePrivateDir(dataDir);
    unlock = lockDataDir(dataDir);
    location = resolve(dataDir, "pglite");
    mkdirSync(location, { recursive: true, mode: 0o700 });
  }
  let db;
  try {
    db = await PGlite.create(location);
  } catch (error) {
    unlock();
    throw error;
  }
  const prisma = withQueryLog(
    new PrismaClient({ adapter: new PrismaPGlite(db), transactionOptions: TRANSACTION_OPTIONS, log: options.onQuery ? [{ emit: "event", level: "query" }] : [] }),
    options.onQuery,
  );
  const session: Queryable = {
    async exec(sql) {
      await db.exec(sql);
    },
    async query(sql, params) {
      const result = await db.query(sql, params as unknown[]);
      return result.rows as never;
    },
  };
  return {
    prisma,
    kind: "pglite",
    ...session,
    // PGlite is a single connection already (and one process: locks are in-process).
    withSession: (fn) => fn(session),
    withLockSession: (fn) => fn(session),
    async close() {
      await prisma.$disconnect();
      await db.close();
      unlock();
    },
  };
}
