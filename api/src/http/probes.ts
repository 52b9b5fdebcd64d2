import type { ServerResponse } from "node:http";
import type { Database } from "../db/index.ts";
import { pendingMigrations } from "../db/migrate.ts";

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** Liveness: the process answers. Nothing it depends on is consulted. */
export function healthz(res: ServerResponse): void {
  json(res, 200, { status: "ok" });
}

/** Readiness: the database answers and its schema is the one this build expects. */
export async function readyz(res: ServerResponse, { db, migrationsDir }: { db: Database; migrationsDir: string }): Promise<void> {
  try {
    await db.query("SELECT 1");
    const pending = await pendingMigrations(db, migrationsDir);
    if (pending.length > 0) return json(res, 503, { status: "unavailable", reason: "migrations pending", pending });
    json(res, 200, { status: "ready", database: db.kind });
  } catch {
    json(res, 503, { status: "unavailable", reason: "database unreachable" });
  }
}
