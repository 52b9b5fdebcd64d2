import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { Database, Queryable } from "./index.ts";

// Applies prisma/migrations/<name>/migration.sql files that have not been applied yet, in name
// order, one transaction per file. Applied files are recorded in Prisma's own
// `_prisma_migrations` table (same columns and checksum), so `prisma migrate deploy` and this
// runner agree about what is applied. Replicas starting together serialise on an advisory lock.

const MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);`;

// Any fixed number; the same one Prisma's migrate uses would be fine too, this one is ours.
const LOCK_ID = 7_242_019_001;

export type MigrationResult = { applied: string[]; alreadyApplied: number };

export class MigrationError extends Error {
  constructor(message: string, readonly migration?: string) {
    super(message);
    this.name = "MigrationError";
  }
}

export function listMigrations(dir: string): { name: string; sql: string; checksum: string }[] {
  if (!existsSync(dir)) throw new MigrationError(`migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export async function migrate(db: Database, dir: string): Promise<MigrationResult> {
  const migrations = listMigrations(dir);
  return db.withSession((session) => applyMigrations(session, db.kind === "postgres", migrations));
}

async function applyMigrations(db: Queryable, lock: boolean, migrations: ReturnType<typeof listMigrations>): Promise<MigrationResult> {
  if (lock) await db.query("SELECT pg_advisory_lock($1)", [LOCK_ID]);
  try {
    await db.exec(MIGRATIONS_TABLE);
    const rows = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`,
    );
    const done = new Map(rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => [r.migration_name, r.checksum]));
    const failed = rows.find((r) => !r.finished_at && !r.rolled_back_at);
    if (failed) {
      throw new MigrationError(`migration ${failed.migration_name} started earlier and did not finish; repair the database, then delete its row from _prisma_migrations`, failed.migration_name);
    }
    const applied: string[] = [];
    for (const m of migrations) {
      const previous = done.get(m.name);
      if (previous) {
        if (previous !== m.checksum) throw new MigrationError(`migration ${m.name} was changed after it was applied`, m.name);
        continue;
      }
      // The file and its bookkeeping row commit together, or neither does.
      const id = randomUUID();
      try {
        await db.exec(`BEGIN;\n${m.sql}\n;INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES ('${id}', '${m.checksum}', '${m.name.replace(/'/g, "''")}', now(), now(), 1);\nCOMMIT;`);
      } catch (error) {
        await db.exec("ROLLBACK").catch(() => {});
        throw new MigrationError(`migration ${m.name} failed: ${(error as Error).message}`, m.name);
      }
      applied.push(m.name);
    }
    return { applied, alreadyApplied: done.size };
  } finally {
    if (lock) await db.query("SELECT pg_advisory_unlock($1)", [LOCK_ID]);
  }
}

/** Names of migration files not applied yet (readiness: a replica must not serve an old schema). */
export async function pendingMigrations(db: Database, dir: string): Promise<string[]> {
  const rows = await db
    .query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)
    .catch(() => []);
  const done = new Set(rows.map((r) => r.migration_name));
  return listMigrations(dir).filter((m) => !done.has(m.name)).map((m) => m.name);
}
