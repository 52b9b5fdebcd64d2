import type { Database } from "../../db/index.ts";

// Single-flight per connection. Inside one process, callers share one promise; across
// processes, a Postgres session advisory lock serialises them (the second caller then re-reads
// the row and finds the fresh token). PGlite serves one process, so the in-process part is all
// it needs, and it must not hold its only connection while waiting on a provider.

// Keyed by database handle, so two app instances in one process (tests) behave as two
// processes would: only the advisory lock serialises them.
const inFlightByDb = new WeakMap<Database, Map<string, Promise<unknown>>>();

export async function withIntegrationLock<T>(db: Database, key: string, fn: () => Promise<T>): Promise<T> {
  let inFlight = inFlightByDb.get(db);
  if (!inFlight) inFlightByDb.set(db, (inFlight = new Map()));
  // Chain behind whatever this process is already doing for the same key.
  const previous = inFlight.get(key) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(() => (db.kind === "postgres" ? withAdvisoryLock(db, key, fn) : fn()));
  inFlight.set(key, run);
  try {
    return await run;
  } finally {
    if (inFlight.get(key) === run) inFlight.delete(key);
  }
}

async function withAdvisoryLock<T>(db: Database, key: string, fn: () => Promise<T>): Promise<T> {
  return db.withLockSession(async (session) => {
    await session.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [key]);
    try {
      return await fn();
    } finally {
      await session.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]).catch(() => {});
    }
  });
}
