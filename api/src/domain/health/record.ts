import { randomUUID } from "node:crypto";
import { Prisma, type PrismaClient } from "../../generated/prisma/client.ts";
import { publishIntegrationEvent, type Realtime } from "../../realtime/pubsub.ts";
import type { Probe } from "./check-integration.ts";
import { isIncidentOutcome } from "./incidents.ts";
import { ANSWERING_CODES } from "./uptime.ts";
import { rollupInsert } from "./rollups.ts";

// Writing checks: the integration's new state and one history row per check, for any number of
// checks in ONE statement (a data-modifying CTE over the batch as one jsonb parameter), so a
// sweep pays one round trip per batch instead of BEGIN, UPDATE, INSERT, COMMIT per check. The
// statement is atomic: a check's row update and its history row are written together or not
// at all, and a history row is only written for a row that still exists (deleted meanwhile:
// nothing to record). The same statement keeps incidents (incidents.ts): it opens one at a
// connection's first failed check, counts the further ones and closes it at the first check
// that answers, so incidents cost no extra round trip. It also adds each check to its hourly
// and daily rollup (uptime.ts), so uptime never reads the raw history. The statement text is
// the same for every batch size.
//
// `createCheckRecorder` is the scheduler's side: checks are handed over as they finish and
// written in groups (one statement in flight; what finishes meanwhile goes into the next), so
// a check's worker moves on to the next provider call instead of waiting for the database.

/** A UUIDv7 (as Prisma's `uuid(7)` default makes them): 48 bits of milliseconds, then random. */
export function uuidv7(now = Date.now()): string {
  const random = randomUUID(); // v4: 122 random bits, from Node's cached entropy
  const ms = now.toString(16).padStart(12, "0");
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${random.slice(15)}`;
}

/** Writes the probes' results; returns the ids of the integrations that were written. */
export async function writeChecks(prisma: PrismaClient, probes: Probe[]): Promise<Set<string>> {
  if (probes.length === 0) return new Set();
  const statement = writeChecksStatement(probes);
  const rows = await againOnDeadlock(() => prisma.$queryRaw<{ integrationId: string }[]>(statement));
  return new Set(rows.map((r) => r.integrationId));
}

/**
 * Two writers whose batches share connections (replicas, the check worker beside the serving
 * thread's manual checks and proxy traffic) lock those connections' rows, incidents and rollup
 * buckets in the order the plan visits them, which need not be the same in both: Postgres then
 * aborts one of the two statements ("deadlock detected", SQLSTATE 40P01; seen in CI on
 * 2026-12-06 with two writers of the rollups test). The aborted statement wrote nothing (it is one
 * statement, atomic) and its partner goes on once it is aborted, so it is sent again (waiting
 * for the partner's locks this time), at most twice more.
 */
export async function againOnDeadlock<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isDeadlock(error)) throw error;
    }
  }
}

function isDeadlock(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = (error as { meta?: unknown }).meta;
  return /\b40P01\b|deadlock detected/.test(error.message) || (meta !== undefined && JSON.stringify(meta).includes("40P01"));
}

// Strings a provider wrote (its error text in a message or a step) may hold what Postgres's jsonb
// refuses: a NUL, or half a surrogate pair left by cutting the text short. One such check must
// not fail the batch it is written with: those characters become U+FFFD.
const REFUSED_BY_JSONB = /\\u(?:0000|d[89a-f])/i;
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\u0000/g;
const wellFormed = (_key: string, value: unknown) => (typeof value === "string" ? value.replace(loneSurrogate, "\ufffd") : value);

/** The one statement that writes `probes` (see above). */
export function writeChecksStatement(probes: Probe[]): Prisma.Sql {
  // One JSON parameter for the batch: one JSON.stringify here and one parse in Postgres, where
  // an array per column cost a walk over every value in Prisma and in pg (escaping each one).
  const rows = new Array<Record<string, unknown>>(probes.length);
  for (let i = 0; i < probes.length; i++) {
    const p = probes[i]!;
    const r = p.result;
    rows[i] = {
      id: r.integrationId,
      workspaceId: r.workspaceId,
      reauth: r.reauthRequired,
      healthStatus: r.status,
      failures: p.counters.consecutiveFailures,
      successes: p.counters.consecutiveSuccesses,
      message: r.message,
      code: r.errorCode,
      checkedAt: r.checkedAt.toISOString(),
      nextAt: r.nextCheckAt.toISOString(),
      // absent (SQL NULL) rather than JSON null: nothing new to store
      account: p.account ?? undefined,
      logId: uuidv7(),
      trigger: p.trigger,
      latencyMs: r.latencyMs,
      steps: r.steps,
      transitionFrom: p.transitionFrom,
      granted: p.grantedScopes ?? undefined,
      gen: p.generation,
      providerId: r.providerId,
      failed: isIncidentOutcome(r.outcome),
      incidentId: uuidv7(),
    };
  }
  let json = JSON.stringify(rows);
  if (REFUSED_BY_JSONB.test(json)) json = JSON.stringify(rows, wellFormed);
  return Prisma.sql`
    WITH v AS (
      SELECT * FROM jsonb_to_recordset(${json}::jsonb) AS t(id text, "workspaceId" text, reauth boolean, "healthStatus" text, failures int, successes int,
        message text, code text, "checkedAt" text, "nextAt" text, account jsonb, "logId" text, trigger text, "latencyMs" int, steps jsonb,
        "transitionFrom" text, granted jsonb, gen int, "providerId" text, failed boolean, "incidentId" text)
    ),
    u AS (
      UPDATE "integration" i SET
        -- only a reconnect-required outcome changes the status, and only for the grant the check
        -- ran on: a disconnect or a reconnect that happened while the provider was being asked
        -- (both bump the token generation) is never undone here
        status = CASE WHEN v.reauth AND i.status <> 'DISCONNECTED' AND i."tokenGeneration" = v.gen THEN 'REAUTH_REQUIRED'::"IntegrationStatus" ELSE i.status END,
        "healthStatus" = v."healthStatus"::"HealthStatus",
        "consecutiveFailures" = v.failures,
        "consecutiveSuccesses" = v.successes,
        "healthMessage" = v.message,
        "healthErrorCode" = v.code,
        "lastHealthCheckAt" = v."checkedAt"::timestamp(3),
        -- a connection that needs a reconnect is not checked again until it has one
        "nextHealthCheckAt" = CASE WHEN v.reauth THEN NULL ELSE v."nextAt"::timestamp(3) END,
        "healthLeaseUntil" = NULL,
        account = COALESCE(v.account, i.account),
        -- what the provider grants now (null: it reports nothing new)
        "grantedScopes" = CASE WHEN v.granted IS NULL THEN i."grantedScopes" ELSE ARRAY(SELECT jsonb_array_elements_text(v.granted)) END,
        "updatedAt" = v."checkedAt"::timestamp(3)
      FROM v WHERE i.id = v.id
      RETURNING i.id, i.status, i."tokenGeneration"
    ),
    -- Incidents (incidents.ts). Checks of rows that still exist and were not disconnected
    -- meanwhile (a disconnect closed their incident; a late failure must not open a new one),
    -- leaving out a reconnect-required outcome about a grant a reconnect has replaced.
    w AS (SELECT v.* FROM v JOIN u ON u.id = v.id WHERE u.status <> 'DISCONNECTED' AND NOT (v.reauth AND u."tokenGeneration" <> v.gen)),
    -- an open incident counts each further failed check and ends at the first check that answers
    ongoing AS (
      UPDATE "incident" x SET
        "checksFailed" = x."checksFailed" + CASE WHEN w.failed THEN 1 ELSE 0 END,
        "endedAt" = CASE WHEN w.failed THEN NULL ELSE w."checkedAt"::timestamp(3) END
      FROM w WHERE x."integrationId" = w.id AND x."endedAt" IS NULL
      RETURNING x.id
    ),
    -- a failed check of a connection without an open incident opens one; the partial unique
    -- index settles a race with a concurrent writer (its incident wins, this one is dropped)
    opened AS (
      INSERT INTO "incident" (id, "workspaceId", "integrationId", "providerId", "startedAt", "errorCode", message, "firstCheckId", "checksFailed")
      SELECT w."incidentId", w."workspaceId", w.id, w."providerId", w."checkedAt"::timestamp(3), w.code, w.message, w."logId", 1
      FROM w WHERE w.failed AND NOT EXISTS (SELECT 1 FROM "incident" x WHERE x."integrationId" = w.id AND x."endedAt" IS NULL)
      ON CONFLICT ("integrationId") WHERE "endedAt" IS NULL DO NOTHING
      RETURNING id
    ),
    logged AS (
      INSERT INTO "integration_health_log" (id, "integrationId", "workspaceId", status, trigger, "latencyMs", steps, "errorCode", message, "transitionFrom", "checkedAt")
      SELECT v."logId", v.id, v."workspaceId", v."healthStatus"::"HealthStatus", v.trigger::"HealthCheckTrigger", v."latencyMs", v.steps, v.code, v.message,
        v."transitionFrom"::"HealthStatus", v."checkedAt"::timestamp(3)
      FROM v JOIN u ON u.id = v.id
      RETURNING "integrationId", "workspaceId", "checkedAt", "latencyMs", ("errorCode" IS NULL OR "errorCode" = ANY(${[...ANSWERING_CODES]}::text[])) AS up
    ),
    -- Rollups (uptime.ts reads these): exactly the history rows written above, added to their
    -- hour and day (rollups.ts).
    hourly AS (${rollupInsert("hour", "logged")}),
    daily AS (${rollupInsert("day", "logged")})
    SELECT "integrationId" FROM logged`;
}

/** Publishes each written check to its workspace's subscribers. */
export function publishChecks(realtime: Realtime, probes: Probe[]): void {
  for (const { result, newStatus, grantedScopes } of probes) {
    publishIntegrationEvent(
      realtime,
      { id: result.integrationId, workspaceId: result.workspaceId, providerId: result.providerId },
      {
        status: newStatus,
        healthStatus: result.status,
        healthMessage: result.message,
        errorCode: result.errorCode,
        // One event per check; its kind says the most telling change (the integration field carries all of it).
        kind: result.transition === "reauth_required" ? "reauth_required" : grantedScopes !== null ? "scopes_changed" : "check",
        at: result.checkedAt,
      },
    );
  }
}

/** Writes and publishes; returns the probes that were written (their rows still existed). */
export async function recordChecks({ prisma, realtime }: { prisma: PrismaClient; realtime: Realtime }, probes: Probe[]): Promise<Probe[]> {
  const written = await writeChecks(prisma, probes);
  const done = written.size === probes.length ? probes : probes.filter((p) => written.has(p.result.integrationId));
  publishChecks(realtime, done);
  return done;
}

export type CheckRecorder = {
  /** Hands a finished probe over; resolves at once unless too many are waiting to be written. */
  add(probe: Probe): Promise<void>;
  /** Resolves when everything handed over so far has been written (or has failed). */
  drain(): Promise<void>;
};

/**
 * Group commit for a sweep: one write in flight at a time, each taking up to `maxBatch` of the
 * probes that finished meanwhile. A write waits for `minBatch` probes, or `lingerMs` at most,
 * before it goes: a statement costs Postgres about 1.5 ms of CPU whatever its size, plus about
 * 0.14 ms per check (measured: 0.29 ms per check in writes of 10, 0.15 in writes of 200), and on
 * a busy machine that CPU is the sweep's. Results and events come that much later; `drain`
 * writes what is left at once. `add` waits only when more than `maxPending` are queued, so a
 * slow database slows the checks down instead of filling memory.
 */
export function createCheckRecorder({
  prisma,
  realtime,
  maxBatch = 200,
  minBatch = 100,
  lingerMs = 100,
  maxPending = 1000,
  onWritten,
  onFailed,
}: {
  prisma: PrismaClient;
  realtime: Realtime;
  maxBatch?: number;
  minBatch?: number;
  lingerMs?: number;
  maxPending?: number;
  onWritten: (probes: Probe[]) => void;
  onFailed: (probes: Probe[], error: unknown) => Promise<void> | void;
}): CheckRecorder {
  let pending: Probe[] = [];
  let flushing: Promise<void> | null = null;
  let waiters: (() => void)[] = [];
  let lingering: NodeJS.Timeout | null = null;
  /** The linger ran out (or a drain asked): write whatever is pending. */
  let due = false;

  async function flush(): Promise<void> {
    const batch = pending.length <= maxBatch ? pending : pending.slice(0, maxBatch);
    pending = pending.length <= maxBatch ? [] : pending.slice(maxBatch);
    try {
      onWritten(await recordChecks({ prisma, realtime }, batch));
    } catch (error) {
      await onFailed(batch, error);
    }
  }
  function kick(): void {
    if (flushing || pending.length === 0) {
      if (!flushing) release();
      return;
    }
    if (pending.length < minBatch && !due) {
      lingering ??= setTimeout(() => {
        lingering = null;
        due = true;
        kick();
      }, lingerMs);
      return;
    }
    if (lingering) clearTimeout(lingering);
    lingering = null;
    due = false;
    flushing = flush().finally(() => {
      flushing = null;
      release();
      kick();
    });
  }
  function release(): void {
    if (pending.length > maxPending) return;
    const ready = waiters;
    waiters = [];
    for (const w of ready) w();
  }
  return {
    add(probe) {
      pending.push(probe);
      kick();
      return pending.length > maxPending ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve();
    },
    async drain() {
      while (flushing || pending.length > 0) {
        due = true;
        kick();
        await flushing;
      }
    },
  };
}
