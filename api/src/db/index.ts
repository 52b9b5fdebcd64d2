import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.ts";

export type Queryable = {
  /** Runs SQL text that may hold several statements (migration files), outside Prisma. */
  exec(sql: string): Promise<void>;
  /** A parameterised query outside Prisma, for the migration runner and readiness checks. */
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
};

export type Database = Queryable & {
  prisma: PrismaClient;
  kind: "postgres" | "pglite";
  /** Runs `fn` on one connection (session-level locks, multi-statement transactions). */
  withSession<T>(fn: (session: Queryable) => Promise<T>): Promise<T>;
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
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // A dropped idle connection (database restart) must not crash the process.
  pool.on("error", () => {});
  const prisma = withQueryLog(
    new PrismaClient({ adapter: new PrismaPg(pool), log: options.onQuery ? [{ emit: "event", level: "query" }] : [] }),
    options.onQuery,
  );
  return {
    prisma,
    kind: "postgres",
    async exec(sql) {
      await pool.query(sql);
    },
    async query(sql, params) {
      const result = await pool.query(sql, params as unknown[]);
      return result.rows;
    },
    async withSession(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          exec: async (sql) => void (await client.query(sql)),
          query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
        });
      } finally {
        client.release();
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function createPglite(dataDir: string, options: DatabaseOptions): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite");
  let location = dataDir;
  if (!dataDir.startsWith("memory://")) {
    location = resolve(dataDir, "pglite");
    mkdirSync(location, { recursive: true });
  }
  const db = await PGlite.create(location);
  const prisma = withQueryLog(
    new PrismaClient({ adapter: new PrismaPGlite(db), log: options.onQuery ? [{ emit: "event", level: "query" }] : [] }),
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
    // PGlite is a single connection already.
    withSession: (fn) => fn(session),
    async close() {
      await prisma.$disconnect();
      await db.close();
    },
  };
}
