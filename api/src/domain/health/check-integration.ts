import type { Prisma } from "../../generated/prisma/client.ts";
import type { HealthStatus, IntegrationStatus } from "../../generated/prisma/enums.ts";
import type { CatalogProvider } from "../../providers/catalog.ts";
import { adapterFor, providerForConnection, type AccountDetails, type Inspection } from "../../providers/index.ts";
import { codeOf } from "../../providers/http.ts";
import type { OutboundOptions } from "../../http/outbound.ts";
import type { Env } from "../../env.ts";
import { OAuthFlowError, oauthErrorCodes, type ConnectionErrorCode, type OAuthErrorCode } from "../../providers/errors.ts";
import { getAccessToken, type RefreshServices } from "../integrations/refresh.ts";
import { applyThresholds, transitionOf, type Outcome, type Transition } from "./thresholds.ts";
import { recordChecks } from "./record.ts";

// A check in layers, each with its latency: token (valid, or refreshed through the
// single-flight refresh), API (the provider's identity call answers; a 401 refreshes once and
// retries), identity (the same account as when connected), scopes (granted contains
// requested). The layers classify into an outcome; thresholds turn outcomes into a status.
// Expected failures are values, not exceptions.
//
// `probeIntegration` does the provider side of a check on a row the caller already has (the
// scheduler's claim returns it) and computes everything to store; `record.ts` writes any number
// of probes in one statement and publishes them. `checkIntegration` is the one-off composition
// (manual "test now", the CLI).

export type StepResult = {
  step: "token" | "api" | "identity" | "scopes";
  ok: boolean;
  latencyMs: number;
  code?: ConnectionErrorCode;
  message?: string;
  /** The provider's HTTP status, when the step failed on an answer */
  httpStatus?: number;
  /** The call that failed, "POST /api/auth.test" (method and path, never a query string) */
  endpoint?: string;
  /** The provider's own error text ("internal_error", "INVALID_AUTHENTICATION: ..."), never a token */
  providerMessage?: string;
};

/** What a failed step records about the provider's answer (nothing for network errors and timeouts). */
function failureOf(error: unknown): Pick<StepResult, "code" | "httpStatus" | "endpoint" | "providerMessage"> {
  const code = codeOf(error);
  if (!(error instanceof OAuthFlowError)) return { code };
  return {
    code,
    ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
    ...(error.endpoint ? { endpoint: error.endpoint } : {}),
    ...(error.providerMessage ? { providerMessage: error.providerMessage.slice(0, 300) } : {}),
  };
}
export type CheckResult = {
  integrationId: string;
  workspaceId: string;
  providerId: string;
  status: "HEALTHY" | "DEGRADED" | "UNHEALTHY" | "UNKNOWN";
  outcome: Outcome;
  transition: Transition | "reauth_required";
  reauthRequired: boolean;
  steps: StepResult[];
  errorCode: OAuthErrorCode | "slow" | null;
  message: string | null;
  latencyMs: number;
  checkedAt: Date;
  nextCheckAt: Date;
  accountName: string | null;
};

export type CheckSettings = Pick<
  Env,
  | "HEALTH_CHECK_TIMEOUT_MS"
  | "HEALTH_SLOW_THRESHOLD_MS"
  | "HEALTH_UNHEALTHY_AFTER"
  | "HEALTH_HEALTHY_AFTER"
  | "HEALTH_CHECK_INTERVAL_SECONDS"
  | "HEALTH_RETRY_INTERVAL_SECONDS"
  | "TOKEN_REFRESH_MARGIN_SECONDS"
>;

/** What an API-layer error means for the connection (providers map their answers to codes). */
function outcomeOf(code: OAuthErrorCode): Outcome {
  // The token itself is refused, after one refresh: reconnect.
  if (code === "invalid_grant" || code === "token_revoked" || code === "token_expired") return "auth_failure";
  // The provider answered, but will not serve this connection fully right now.
  if (code === "rate_limited" || code === "insufficient_scope") return "degraded";
  return "failure";
}

/** The next check: the interval with ±10% jitter so replicas' sweeps spread out, or later when the provider asked. */
export function nextCheckTime(intervalSeconds: number, now: number, retryAfterSeconds?: number): Date {
  const jitter = intervalSeconds * 0.1 * (Math.random() * 2 - 1);
  const regular = now + (intervalSeconds + jitter) * 1000;
  return new Date(retryAfterSeconds !== undefined ? Math.max(regular, now + retryAfterSeconds * 1000) : regular);
}

/** The columns a check reads: what the scheduler's claim returns, and a subset of the Prisma row. */
export type HealthRow = {
  id: string;
  workspaceId: string;
  providerId: string;
  status: IntegrationStatus;
  healthStatus: HealthStatus;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Only the access token: a refresh re-reads the row under its lock (the refresh token is opened there). */
  accessTokenEnc: string | null;
  tokenExpiresAt: Date | null;
  tokenIssuedAt: Date | null;
  tokenGeneration: number;
  requestedScopes: string[];
  grantedScopes: string[];
  account: Prisma.JsonValue | null;
  providerConfig: Prisma.JsonValue | null;
};

/** The same columns as SQL, for RETURNING / SELECT lists (enums as text, as `HealthRow` types them). */
export const HEALTH_ROW_COLUMNS = `id, "workspaceId", "providerId", status::text AS status, "healthStatus"::text AS "healthStatus",
  "consecutiveFailures", "consecutiveSuccesses", "accessTokenEnc", "tokenExpiresAt", "tokenIssuedAt", "tokenGeneration",
  "requestedScopes", "grantedScopes", account, "providerConfig"`;

/** A finished probe: the result, plus what to store that the result does not carry. */
export type Probe = {
  result: CheckResult;
  trigger: "SCHEDULED" | "MANUAL" | "CALLBACK";
  /** the integration's status to store and publish (REAUTH_REQUIRED, or the status it had) */
  newStatus: IntegrationStatus;
  counters: { consecutiveFailures: number; consecutiveSuccesses: number };
  /** set when this check changed the health status */
  transitionFrom: HealthStatus | null;
  /** account details to store, when the check learned a name the row did not have */
  account: Prisma.InputJsonValue | null;
  /** the scopes the provider reports now, when they differ from the stored ones */
  grantedScopes: string[] | null;
  /** the token generation the check ran on: a reconnect-required outcome only applies to it */
  generation: number;
};

/** Runs the layers of one check against the provider; writes nothing itself (a refresh stores its tokens). */
export async function probeIntegration({
  services,
  provider,
  row,
  trigger,
}: {
  services: RefreshServices & { env: CheckSettings };
  provider: CatalogProvider;
  row: HealthRow;
  trigger: Probe["trigger"];
}): Promise<Probe> {
  const { env } = services;
  const connection = providerForConnection(provider, row.providerConfig);
  let generation = row.tokenGeneration;
  const started = performance.now();
  const integrationId = row.id;
  const steps: StepResult[] = [];
  let errorCode = null as CheckResult["errorCode"];
  let outcome = "ok" as Outcome;
  let retryAfterSeconds: number | undefined;
  let account: AccountDetails | undefined;
  let liveScopes: string[] | undefined;
  /** The provider's own words, shown for errors we have no better words for (a 403 with its text). */
  let providerSays: string | undefined;

  // Every call of the check to the provider (its API calls, and a refresh's) has the check's timeout.
  const outbound: OutboundOptions = { timeoutMs: env.HEALTH_CHECK_TIMEOUT_MS };
  // The layers, in order, written out without helpers or closures: a sweep runs thousands.
  layers: {
    let t0 = performance.now();
    let accessToken: string;
    try {
      const got = await getAccessToken({ services, provider, integrationId, row, outbound });
      if (got.generation >= 0) generation = got.generation;
      accessToken = got.accessToken;
    } catch (error) {
      steps.push({ step: "token", ok: false, latencyMs: Math.round(performance.now() - t0), ...failureOf(error) });
      errorCode = codeOf(error);
      outcome = errorCode === "invalid_grant" ? "auth_failure" : errorCode === "rate_limited" ? "degraded" : "failure";
      if (error instanceof OAuthFlowError) retryAfterSeconds = error.retryAfterSeconds;
      break layers;
    }
    steps.push({ step: "token", ok: true, latencyMs: Math.round(performance.now() - t0) });

    const adapter = adapterFor(connection);
    const known = (row.account ?? null) as AccountDetails | null;
    const extra = (row.providerConfig as Record<string, unknown>) ?? {};
    let inspection: Inspection | undefined;
    let apiError: unknown;
    let failed = false;
    t0 = performance.now();
    try {
      inspection = await adapter.inspect({ provider: connection, tokens: { accessToken, extra }, requested: row.requestedScopes, known, allowHttp: services.allowHttp, outbound });
    } catch (error) {
      failed = true;
      apiError = error;
    }
    let apiMs = Math.round(performance.now() - t0);
    const refusal = failed ? codeOf(apiError) : null;
    if (refusal === "token_revoked" || refusal === "token_expired") {
      // The token may only have expired early (Salesforce sessions, Slack rotation's
      // token_expired, HubSpot's inactive token): refresh once through the single-flight
      // refresh, retry once.
      t0 = performance.now();
      try {
        const fresh = await getAccessToken({ services, provider, integrationId, rejected: accessToken, outbound });
        if (fresh.generation >= 0) generation = fresh.generation;
        inspection = await adapter.inspect({ provider: connection, tokens: { accessToken: fresh.accessToken, extra }, requested: row.requestedScopes, known, allowHttp: services.allowHttp, outbound });
        failed = false;
        apiError = undefined;
      } catch (error) {
        apiError = error;
      }
      apiMs += Math.round(performance.now() - t0);
    }
    const slow = !failed && apiMs > env.HEALTH_SLOW_THRESHOLD_MS;
    steps.push({
      step: "api",
      ok: !failed && !slow,
      latencyMs: apiMs,
      ...(failed ? failureOf(apiError) : slow ? { code: "slow", message: `answered in ${apiMs} ms` } : {}),
    });
    if (failed) {
      errorCode = codeOf(apiError);
      if (apiError instanceof OAuthFlowError) {
        retryAfterSeconds = apiError.retryAfterSeconds;
        providerSays = apiError.providerMessage;
      }
      outcome = outcomeOf(errorCode);
      break layers;
    }
    if (slow) {
      errorCode = "slow";
      outcome = "degraded";
    }
    account = inspection!.account;
    liveScopes = inspection!.scopes;
    const stored = (row.account ?? {}) as AccountDetails;
    const same = !stored.id || !account?.id || stored.id === account.id;
    steps.push(same ? { step: "identity", ok: true, latencyMs: 0 } : { step: "identity", ok: false, latencyMs: 0, code: "identity_changed", message: "the token now belongs to another account" });
    if (!same) {
      errorCode = "provider_error";
      outcome = "failure";
      // What another account's token reports is not this connection's: store none of it.
      account = undefined;
      liveScopes = undefined;
    }
  }

  // Scopes as the provider reports them now (HubSpot introspection, Google tokeninfo, Slack's
  // x-oauth-scopes); the stored ones when it reports none (Salesforce, catalog providers).
  const granted = liveScopes ?? row.grantedScopes;
  const missing = row.requestedScopes.filter((s) => !granted.includes(s));
  steps.push({ step: "scopes", ok: missing.length === 0, latencyMs: 0, ...(missing.length ? { code: "insufficient_scope", message: `missing ${missing.join(", ")}` } : {}) });
  if (missing.length && outcome === "ok") {
    outcome = "degraded";
    errorCode = "insufficient_scope";
  }

  const counters = applyThresholds(row, outcome, { unhealthyAfter: env.HEALTH_UNHEALTHY_AFTER, healthyAfter: env.HEALTH_HEALTHY_AFTER });
  const reauthRequired = outcome === "auth_failure";
  const code = errorCode as CheckResult["errorCode"];
  const message =
    code === null
      ? null
      : code === "insufficient_scope" && missing.length
        ? `Missing scopes: ${missing.join(", ")}`
        : code === "slow"
          ? `Slow answer (${steps.find((s) => s.step === "api")?.latencyMs} ms)`
          : code === "provider_error" && providerSays
            ? `${oauthErrorCodes[code]} (${providerSays})`
            : oauthErrorCodes[code];
  const latencyMs = Math.round(performance.now() - started);
  const checkedAt = new Date();
  // After a failure the next check comes at the retry interval, so the threshold's N failures
  // take minutes, not N intervals (Uptime Kuma's retry interval); a later Retry-After still wins.
  const nextCheckAt = nextCheckTime(
    outcome === "failure" ? Math.min(env.HEALTH_RETRY_INTERVAL_SECONDS, env.HEALTH_CHECK_INTERVAL_SECONDS) : env.HEALTH_CHECK_INTERVAL_SECONDS,
    checkedAt.getTime(),
    retryAfterSeconds,
  );
  const newStatus = reauthRequired ? "REAUTH_REQUIRED" : row.status;
  const transition: CheckResult["transition"] = reauthRequired && row.status !== "REAUTH_REQUIRED" ? "reauth_required" : transitionOf(row.healthStatus, counters.healthStatus);
  const storedAccount = row.account as AccountDetails | null;
  const result: CheckResult = {
    integrationId: row.id,
    workspaceId: row.workspaceId,
    providerId: row.providerId,
    status: counters.healthStatus,
    outcome,
    transition,
    reauthRequired,
    steps,
    errorCode: code,
    message,
    latencyMs,
    checkedAt,
    nextCheckAt,
    accountName: (account?.name ?? storedAccount?.name) || null,
  };
  return {
    result,
    trigger,
    newStatus,
    counters: { consecutiveFailures: counters.consecutiveFailures, consecutiveSuccesses: counters.consecutiveSuccesses },
    transitionFrom: counters.healthStatus !== row.healthStatus ? row.healthStatus : null,
    account: account?.name && account.name !== storedAccount?.name ? ({ ...((storedAccount as object) ?? {}), ...account } as Prisma.InputJsonValue) : null,
    grantedScopes: liveScopes && !sameSet(liveScopes, row.grantedScopes) ? liveScopes : null,
    generation,
  };
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((s) => b.includes(s));
}

/** One check now, written and published before it returns (manual checks, the CLI). */
export async function checkIntegration({
  services,
  provider,
  integrationId,
  trigger,
}: {
  services: RefreshServices & { env: CheckSettings };
  provider: CatalogProvider;
  integrationId: string;
  trigger: Probe["trigger"];
}): Promise<CheckResult> {
  const row = await services.prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
  const probe = await probeIntegration({ services, provider, row, trigger });
  await recordChecks(services, [probe]);
  return probe.result;
}
