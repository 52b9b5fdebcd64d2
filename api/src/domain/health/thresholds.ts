// Hysteresis, like Gatus: a connection turns UNHEALTHY only after N consecutive failures (the
// first ones show as DEGRADED), and back to HEALTHY only after M consecutive successes, so one
// blip neither pages anyone nor hides a real outage. Definitive answers skip the counting: a
// provider that revoked the grant is UNHEALTHY at once.

export type HealthStatus = "HEALTHY" | "DEGRADED" | "UNHEALTHY" | "UNKNOWN";

/** What one check found, before thresholds. */
export type Outcome =
  /** everything answered, fast, with the scopes it needs */
  | "ok"
  /** answered, but slow, rate limited or short of scopes */
  | "degraded"
  /** did not answer properly: timeout, network, 5xx, malformed */
  | "failure"
  /** the grant is gone: reconnect required */
  | "auth_failure";

export type Counters = { healthStatus: HealthStatus; consecutiveFailures: number; consecutiveSuccesses: number };
export type Thresholds = { unhealthyAfter: number; healthyAfter: number };

export function applyThresholds(previous: Counters, outcome: Outcome, { unhealthyAfter, healthyAfter }: Thresholds): Counters {
  if (outcome === "auth_failure") {
    return { healthStatus: "UNHEALTHY", consecutiveFailures: previous.consecutiveFailures + 1, consecutiveSuccesses: 0 };
  }
  if (outcome === "failure") {
    const failures = previous.consecutiveFailures + 1;
    const status = failures >= unhealthyAfter || previous.healthStatus === "UNHEALTHY" ? "UNHEALTHY" : "DEGRADED";
    return { healthStatus: status, consecutiveFailures: failures, consecutiveSuccesses: 0 };
  }
  // The provider answered: a success for the counters, whether or not it was a degraded one.
  const successes = previous.consecutiveSuccesses + 1;
  const recovering = previous.healthStatus === "UNHEALTHY" || (previous.healthStatus === "DEGRADED" && previous.consecutiveFailures > 0);
  if (recovering && successes < healthyAfter) {
    // Still recovering: keep the failure count so one more failure does not start from zero.
    return { healthStatus: previous.healthStatus, consecutiveFailures: previous.consecutiveFailures, consecutiveSuccesses: successes };
  }
  return { healthStatus: outcome === "degraded" ? "DEGRADED" : "HEALTHY", consecutiveFailures: 0, consecutiveSuccesses: successes };
}

export type Transition = "degraded" | "unhealthy" | "recovered" | null;

/** The notable change between two statuses, for events and webhooks. */
export function transitionOf(from: HealthStatus, to: HealthStatus): Transition {
  if (from === to) return null;
  if (to === "UNHEALTHY") return "unhealthy";
  if (to === "DEGRADED") return from === "UNHEALTHY" ? null : "degraded";
  if (to === "HEALTHY" && (from === "UNHEALTHY" || from === "DEGRADED")) return "recovered";
  return null;
}

/** The one state a card shows, from the stored status, counters and scopes. */
export type IntegrationState = "HEALTHY" | "FAILING" | "UNHEALTHY" | "REAUTH_REQUIRED" | "MISSING_SCOPES" | "NOT_CONNECTED" | "UNKNOWN";

export function integrationState(i: {
  status: "CONNECTED" | "REAUTH_REQUIRED" | "ERROR" | "DISCONNECTED";
  healthStatus: HealthStatus;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  requestedScopes: string[];
  grantedScopes: string[];
}): IntegrationState {
  if (i.status === "DISCONNECTED") return "NOT_CONNECTED";
  if (i.status === "REAUTH_REQUIRED") return "REAUTH_REQUIRED";
  if (i.status === "ERROR" || i.healthStatus === "UNHEALTHY") return "UNHEALTHY";
  // Failing since the last success, below the threshold; a success since (recovering) is not failing.
  if (i.consecutiveFailures > 0 && i.consecutiveSuccesses === 0) return "FAILING";
  if (i.requestedScopes.some((s) => !i.grantedScopes.includes(s))) return "MISSING_SCOPES";
  if (i.healthStatus === "UNKNOWN") return "UNKNOWN";
  return "HEALTHY";
}
