import { randomUUID } from "node:crypto";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import { publishIntegrationEvent, type Realtime } from "../../realtime/pubsub.ts";
import type { Probe } from "./check-integration.ts";
import { isIncidentOutcome } from "./incidents.ts";
import { ANSWERING_CODES } from "./uptime.ts";
import { rollupInsert } from "./rollups.ts";

// Writing checks: the integration's new state and one history row per check, for any number of
// checks in ONE statement (a data-modifying CTE over `unnest` of one array per column), so a
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
  const n = probes.length;
  const col = <T,>(f: (p: Probe) => T): T[] => {
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = f(probes[i]!);
    return out;
  };
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const rows = await prisma.$queryRaw<{ integrationId: string }[]>`
    WITH v AS (
      SELECT * FROM unnest(
        ${col((p) => p.result.integrationId)}::text[],
        ${col((p) => p.result.workspaceId)}::text[],
        ${col((p) => p.result.reauthRequired)}::boolean[],
        ${col((p) => p.result.status)}::text[],
        ${col((p) => p.counters.consecutiveFailures)}::int[],
        ${col((p) => p.counters.consecutiveSuccesses)}::int[],
        ${col((p) => p.result.message)}::text[],
        ${col((p) => p.result.errorCode)}::text[],
        ${col((p) => iso(p.result.checkedAt))}::text[],
        ${col((p) => iso(p.result.nextCheckAt))}::text[],
        ${col((p) => (p.account === null ? null : JSON.stringify(p.account)))}::text[],
        ${col(() => uuidv7())}::text[],
        ${col((p) => p.trigger)}::text[],
        ${col((p) => p.result.latencyMs)}::int[],
        ${col((p) => JSON.stringify(p.result.steps))}::text[],
        ${col((p) => p.transitionFrom)}::text[],
        ${col((p) => (p.grantedScopes === null ? null : JSON.stringify(p.grantedScopes)))}::text[],
        ${col((p) => p.generation)}::int[],
        ${col((p) => p.result.providerId)}::text[],
        ${col((p) => isIncidentOutcome(p.result.outcome))}::boolean[],
        ${col(() => uuidv7())}::text[]
      ) AS t(id, "workspaceId", reauth, "healthStatus", failures, successes, message, code, "checkedAt", "nextAt", account, "logId", trigger, "latencyMs", steps, "transitionFrom", granted, gen, "providerId", failed, "incidentId")
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
        account = COALESCE(v.account::jsonb, i.account),
        -- what the provider grants now (null: it reports nothing new)
        "grantedScopes" = CASE WHEN v.granted IS NULL THEN i."grantedScopes" ELSE ARRAY(SELECT jsonb_array_elements_text(v.granted::jsonb)) END,
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
      SELECT v."logId", v.id, v."workspaceId", v."healthStatus"::"HealthStatus", v.trigger::"HealthCheckTrigger", v."latencyMs", v.steps::jsonb, v.code, v.message,
        v."transitionFrom"::"HealthStatus", v."checkedAt"::timestamp(3)
      FROM v JOIN u ON u.id = v.id
      RETURNING "integrationId", "workspaceId", "checkedAt", "latencyMs", ("errorCode" IS NULL OR "errorCode" = ANY(${[...ANSWERING_CODES]}::text[])) AS up
    ),
    -- Rollups (uptime.ts reads these): exactly the history rows written above, added to their
    -- hour and day (rollups.ts).
    hourly AS (${rollupInsert("hour", "logged")}),
    daily AS (${rollupInsert("day", "logged")})
    SELECT "integrationId" FROM logged`;
  return new Set(rows.map((r) => r.integrationId));
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
 * probes that finished meanwhile. `add` waits only when more than `maxPending` are queued, so
 * a slow database slows the checks down instead of filling memory.
 */
export function createCheckRecorder({
  prisma,
  realtime,
  maxBatch = 200,
  maxPending = 1000,
  onWritten,
  onFailed,
}: {
  prisma: PrismaClient;
  realtime: Realtime;
  maxBatch?: number;
  maxPending?: number;
  onWritten: (probes: Probe[]) => void;
  onFailed: (probes: Probe[], error: unknown) => Promise<void> | void;
}): CheckRecorder {
  let pending: Probe[] = [];
  let flushing: Promise<void> | null = null;
  let waiters: (() => void)[] = [];

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
        kick();
        await flushing;
      }
    },
  };
}
