import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { HealthStatus } from "../../generated/prisma/enums.ts";
import type { Env } from "../../env.ts";
import type { Logger } from "../../logger.ts";
import type { Realtime } from "../../realtime/pubsub.ts";
import { oauthErrorCodes, type OAuthErrorCode } from "../../providers/errors.ts";
import type { CheckResult, Probe, StepResult } from "./check-integration.ts";
import { notifyCheckResults } from "./notify.ts";
import { recordChecks } from "./record.ts";
import { applyThresholds, transitionOf, type Counters, type Outcome } from "./thresholds.ts";

// Passive health (issue 15): every proxied call is an observation of its connection, as good as
// a scheduled check and often better (it is the call someone needed). Observations are kept in
// memory per connection and written together once per HEALTH_TRAFFIC_WINDOW_SECONDS: each one
// goes through the same thresholds as a check, in order (N failures in a row → UNHEALTHY,
// M successes → HEALTHY again), and the window becomes ONE check row with trigger TRAFFIC
// ("from traffic"), written by record.ts like any check (state, incident, rollups, events). A
// token refused even after a refresh is written at once: the connection needs a reconnect now.
// A window of nothing but successes on a healthy connection writes a row at most once per
// HEALTH_CHECK_INTERVAL_SECONDS (uptime keeps its samples; the log does not fill with "ok").
// With HEALTH_SKIP_WHEN_ACTIVE_SECONDS a successful call pushes the connection's next scheduled
// check that far past it: live traffic already proves the connection works, and the check
// would only spend provider quota.
//
// Per process: each replica groups its own calls (the thresholds read the row's counters at
// write time, so replicas add up). A window lost to a crash loses observations, never state.

export type TrafficObservation = {
  integrationId: string;
  workspaceId: string;
  providerId: string;
  /** the token generation the call ran on: a reconnect-required outcome applies to it only */
  generation: number;
  outcome: Outcome;
  /** what went wrong, for the check row; absent for an ok call */
  code?: OAuthErrorCode;
  httpStatus?: number;
  /** "GET /crm/v3/objects/contacts": method and path at the provider, never a query string */
  endpoint?: string;
  latencyMs: number;
  at: number;
};

export type TrafficSettings = Pick<Env, "HEALTH_TRAFFIC_WINDOW_SECONDS" | "HEALTH_SKIP_WHEN_ACTIVE_SECONDS" | "HEALTH_UNHEALTHY_AFTER" | "HEALTH_HEALTHY_AFTER" | "HEALTH_CHECK_INTERVAL_SECONDS" | "HEALTH_RETRY_INTERVAL_SECONDS">;

export type TrafficRecorder = {
  /** Notes one proxied call; written with its connection's window (a reconnect-required outcome at once). */
  observe(observation: TrafficObservation): void;
  /** Writes what has been observed so far (all connections, or the given ones). */
  flush(ids?: string[]): Promise<void>;
  /** Stops the window timer and writes what is left. */
  close(): Promise<void>;
};

type Row = {
  id: string;
  workspaceId: string;
  providerId: string;
  status: "CONNECTED" | "REAUTH_REQUIRED" | "ERROR" | "DISCONNECTED";
  healthStatus: HealthStatus;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  nextHealthCheckAt: Date | null;
  healthLeaseUntil: Date | null;
  tokenGeneration: number;
  account: unknown;
};

/** Calls kept per connection per window; a Map of arrays, so memory stays bounded at any call rate. */
const MAX_OBSERVATIONS_PER_WINDOW = 1000;

const answered = (o: TrafficObservation) => o.outcome === "ok" || o.outcome === "degraded";

export function createTrafficRecorder({
  prisma,
  realtime,
  logger,
  env,
}: {
  prisma: PrismaClient;
  realtime: Realtime;
  logger: Logger;
  env: TrafficSettings;
}): TrafficRecorder {
  let pending = new Map<string, TrafficObservation[]>();
  /** Calls of the current window beyond MAX_OBSERVATIONS_PER_WINDOW, per connection (only counted). */
  const beyond = new Map<string, number>();
  /** When each connection last got a quiet (all-ok) traffic row, to space those out. */
  const lastQuietRow = new Map<string, number>();
  let writing: Promise<void> = Promise.resolve();
  let closed = false;
  const timer = setInterval(() => void flush().catch(() => {}), env.HEALTH_TRAFFIC_WINDOW_SECONDS * 1000);
  timer.unref();

  function observe(observation: TrafficObservation): void {
    if (closed) return;
    const list = pending.get(observation.integrationId);
    if (!list) pending.set(observation.integrationId, [observation]);
    else if (list.length < MAX_OBSERVATIONS_PER_WINDOW) list.push(observation);
    else {
      // A busy connection: keep the latest calls (the thresholds read the tail of the run) and
      // count the rest, so a window's memory is bounded whatever the call rate.
      list.shift();
      list.push(observation);
      beyond.set(observation.integrationId, (beyond.get(observation.integrationId) ?? 0) + 1);
    }
    // A token the provider refuses after a refresh: the card says "Reconnect" now, not at the window's end.
    if (observation.outcome === "auth_failure") void flush([observation.integrationId]).catch(() => {});
  }

  /** One write at a time: a window's rows go in one statement, in the order observed. */
  function flush(ids?: string[]): Promise<void> {
    let batch: Map<string, TrafficObservation[]>;
    if (ids) {
      batch = new Map();
      for (const id of ids) {
        const list = pending.get(id);
        if (list) batch.set(id, list);
        pending.delete(id);
      }
    } else {
      batch = pending;
      pending = new Map();
    }
    if (batch.size === 0) return writing;
    writing = writing.then(() =>
      write(batch).catch((error) => {
        logger.error({ err: error, connections: batch.size }, "could not record proxied calls as health observations");
      }),
    );
    return writing;
  }

  async function write(batch: Map<string, TrafficObservation[]>): Promise<void> {
    const rows = (await prisma.integration.findMany({
      where: { id: { in: [...batch.keys()] } },
      select: { id: true, workspaceId: true, providerId: true, status: true, healthStatus: true, consecutiveFailures: true, consecutiveSuccesses: true, nextHealthCheckAt: true, healthLeaseUntil: true, tokenGeneration: true, account: true },
    })) as Row[];
    const now = Date.now();
    const probes: Probe[] = [];
    const pushes: { id: string; until: Date }[] = [];
    for (const row of rows) {
      // A reconnect-required outcome about a token a reconnect has replaced says nothing now.
      const observations = batch.get(row.id)!.filter((o) => o.outcome !== "auth_failure" || o.generation === row.tokenGeneration);
      if (observations.length === 0 || row.status === "DISCONNECTED") continue;
      const auth = observations.some((o) => o.outcome === "auth_failure");
      // Calls made while a reconnect is needed are refused before reaching the provider; an
      // older window's successes must not paper over it.
      if (row.status === "REAUTH_REQUIRED" && !auth) continue;
      const quiet = observations.every((o) => o.outcome === "ok") && row.healthStatus === "HEALTHY" && row.consecutiveFailures === 0;
      if (quiet && now - (lastQuietRow.get(row.id) ?? 0) < env.HEALTH_CHECK_INTERVAL_SECONDS * 1000) {
        if (env.HEALTH_SKIP_WHEN_ACTIVE_SECONDS > 0) pushes.push({ id: row.id, until: skipUntil(observations) });
        continue;
      }
      if (quiet) lastQuietRow.set(row.id, now);
      else lastQuietRow.delete(row.id);
      probes.push(probeOf(row, observations, now));
    }
    if (lastQuietRow.size > 100_000) lastQuietRow.clear();
    if (probes.length > 0) {
      const written = await recordChecks({ prisma, realtime }, probes);
      await notifyCheckResults({ prisma, logger, results: written.map((p) => p.result) });
    }
    if (pushes.length > 0) {
      // Only later, never earlier, and never for a row that a check or a reconnect changed meanwhile.
      await prisma.$executeRaw`
        UPDATE "integration" i SET "nextHealthCheckAt" = GREATEST(i."nextHealthCheckAt", v.until::timestamp(3))
        FROM unnest(${pushes.map((p) => p.id)}::text[], ${pushes.map((p) => p.until.toISOString())}::text[]) AS v(id, until)
        WHERE i.id = v.id AND i.status = 'CONNECTED' AND i."nextHealthCheckAt" IS NOT NULL`;
    }
  }

  function skipUntil(observations: TrafficObservation[]): Date {
    const lastSuccess = observations.reduce((latest, o) => (answered(o) ? Math.max(latest, o.at) : latest), 0);
    return new Date(lastSuccess + env.HEALTH_SKIP_WHEN_ACTIVE_SECONDS * 1000);
  }

  /** The window as one check: the thresholds applied per call, the last call's outcome as the check's. */
  function probeOf(row: Row, observations: TrafficObservation[], now: number): Probe {
    let counters: Counters = { healthStatus: row.healthStatus, consecutiveFailures: row.consecutiveFailures, consecutiveSuccesses: row.consecutiveSuccesses };
    const thresholds = { unhealthyAfter: env.HEALTH_UNHEALTHY_AFTER, healthyAfter: env.HEALTH_HEALTHY_AFTER };
    for (const o of observations) counters = applyThresholds(counters, o.outcome, thresholds);
    const auth = observations.find((o) => o.outcome === "auth_failure");
    const last = auth ?? observations[observations.length - 1]!;
    const outcome = last.outcome;
    const failing = [...observations].reverse().find((o) => o.outcome !== "ok");
    const errorCode: CheckResult["errorCode"] = outcome === "ok" ? null : (last.code ?? (outcome === "degraded" ? "rate_limited" : outcome === "auth_failure" ? "token_revoked" : "provider_error"));
    const failed = observations.filter((o) => !answered(o)).length;
    const calls = observations.length + (beyond.get(row.id) ?? 0);
    beyond.delete(row.id);
    const summary = `from traffic: ${calls} call${calls === 1 ? "" : "s"}, ${failed}${calls > observations.length ? ` of the last ${observations.length}` : ""} failed`;
    const step: StepResult = {
      step: "api",
      ok: outcome === "ok",
      latencyMs: observations.reduce((most, o) => Math.max(most, o.latencyMs), 0),
      message: summary,
      ...(outcome !== "ok" && errorCode ? { code: errorCode } : {}),
      ...(outcome !== "ok" && failing?.httpStatus !== undefined ? { httpStatus: failing.httpStatus } : {}),
      ...(outcome !== "ok" && failing?.endpoint ? { endpoint: failing.endpoint } : {}),
    };
    const reauthRequired = outcome === "auth_failure";
    const checkedAt = new Date(now);
    // The next scheduled check: sooner after failing traffic (a check confirms, and notices the
    // recovery even if the callers stop calling), later after successful traffic when skipping.
    let next = row.nextHealthCheckAt?.getTime() ?? now + env.HEALTH_CHECK_INTERVAL_SECONDS * 1000;
    if (outcome === "failure") next = Math.min(next, now + env.HEALTH_RETRY_INTERVAL_SECONDS * 1000);
    if (env.HEALTH_SKIP_WHEN_ACTIVE_SECONDS > 0 && answered(last)) next = Math.max(next, skipUntil(observations).getTime());
    // A check running now holds the row's lease; writing clears it, so the row must not become
    // due again before that check could have finished.
    if (row.healthLeaseUntil && row.healthLeaseUntil.getTime() > now) next = Math.max(next, row.healthLeaseUntil.getTime());
    const account = row.account as { name?: string } | null;
    const result: CheckResult = {
      integrationId: row.id,
      workspaceId: row.workspaceId,
      providerId: row.providerId,
      status: counters.healthStatus,
      outcome,
      transition: reauthRequired && row.status !== "REAUTH_REQUIRED" ? "reauth_required" : transitionOf(row.healthStatus, counters.healthStatus),
      reauthRequired,
      steps: [step],
      errorCode,
      message: errorCode === null ? null : `${oauthErrorCodes[errorCode as OAuthErrorCode] ?? errorCode} (${summary})`,
      latencyMs: Math.round(observations.reduce((sum, o) => sum + o.latencyMs, 0) / observations.length),
      checkedAt,
      nextCheckAt: new Date(next),
      accountName: account?.name ?? null,
    };
    return {
      result,
      // A trigger of its own; record.ts writes it like the others (Probe's type lists the
      // scheduler's and manual triggers only).
      trigger: "TRAFFIC" as Probe["trigger"],
      newStatus: reauthRequired ? "REAUTH_REQUIRED" : row.status,
      counters: { consecutiveFailures: counters.consecutiveFailures, consecutiveSuccesses: counters.consecutiveSuccesses },
      transitionFrom: counters.healthStatus !== row.healthStatus ? row.healthStatus : null,
      account: null,
      grantedScopes: null,
      generation: auth?.generation ?? row.tokenGeneration,
    };
  }

  return {
    observe,
    flush,
    async close() {
      closed = true;
      clearInterval(timer);
      await flush();
    },
  };
}
