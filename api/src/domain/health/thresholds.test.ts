import { describe, expect, it } from "vitest";
import { applyThresholds, integrationState, transitionOf, type Counters, type Outcome } from "./thresholds.ts";

const t = { unhealthyAfter: 3, healthyAfter: 2 };
const start: Counters = { healthStatus: "UNKNOWN", consecutiveFailures: 0, consecutiveSuccesses: 0 };

function run(outcomes: Outcome[], from = start) {
  const seen: string[] = [];
  let c = from;
  for (const o of outcomes) {
    c = applyThresholds(c, o, t);
    seen.push(c.healthStatus);
  }
  return seen;
}

describe("thresholds", () => {
  it("degrades on the first failures and turns unhealthy on the third", () => {
    expect(run(["ok", "failure", "failure", "failure", "failure"])).toEqual(["HEALTHY", "DEGRADED", "DEGRADED", "UNHEALTHY", "UNHEALTHY"]);
  });

  it("needs two successes to recover, and a failure in between keeps it unhealthy", () => {
    expect(run(["failure", "failure", "failure", "ok", "ok"])).toEqual(["DEGRADED", "DEGRADED", "UNHEALTHY", "UNHEALTHY", "HEALTHY"]);
    expect(run(["failure", "failure", "failure", "ok", "failure", "ok", "ok"])).toEqual(["DEGRADED", "DEGRADED", "UNHEALTHY", "UNHEALTHY", "UNHEALTHY", "UNHEALTHY", "HEALTHY"]);
  });

  it("recovers from failure-degraded after the successes too, and one blip does not count as an outage", () => {
    expect(run(["ok", "failure", "ok", "ok", "ok"])).toEqual(["HEALTHY", "DEGRADED", "DEGRADED", "HEALTHY", "HEALTHY"]);
  });

  it("shows slow, rate-limited or short-of-scope answers as degraded without counting failures", () => {
    expect(run(["ok", "degraded", "degraded", "degraded", "ok"])).toEqual(["HEALTHY", "DEGRADED", "DEGRADED", "DEGRADED", "HEALTHY"]);
  });

  it("is unhealthy at once when the grant is gone", () => {
    expect(run(["ok", "auth_failure"])).toEqual(["HEALTHY", "UNHEALTHY"]);
  });

  it("names the transitions worth an event", () => {
    expect(transitionOf("HEALTHY", "DEGRADED")).toBe("degraded");
    expect(transitionOf("DEGRADED", "UNHEALTHY")).toBe("unhealthy");
    expect(transitionOf("UNHEALTHY", "HEALTHY")).toBe("recovered");
    expect(transitionOf("DEGRADED", "HEALTHY")).toBe("recovered");
    expect(transitionOf("HEALTHY", "HEALTHY")).toBeNull();
    expect(transitionOf("UNKNOWN", "HEALTHY")).toBeNull();
  });

  it("gives one state per connection, failing before the threshold and unhealthy after it", () => {
    const connected = { status: "CONNECTED" as const, requestedScopes: ["a", "b"], grantedScopes: ["a", "b"] };
    let c = start;
    const states: string[] = [];
    for (const o of ["ok", "failure", "failure", "failure", "ok", "ok"] as Outcome[]) {
      c = applyThresholds(c, o, t);
      states.push(integrationState({ ...connected, ...c }));
    }
    expect(states).toEqual(["HEALTHY", "FAILING", "FAILING", "UNHEALTHY", "UNHEALTHY", "HEALTHY"]);
    expect(integrationState({ ...connected, ...start })).toBe("UNKNOWN");
    expect(integrationState({ ...connected, healthStatus: "HEALTHY", consecutiveFailures: 0, consecutiveSuccesses: 1, grantedScopes: ["a"] })).toBe("MISSING_SCOPES");
    expect(integrationState({ ...connected, healthStatus: "DEGRADED", consecutiveFailures: 1, consecutiveSuccesses: 0, grantedScopes: ["a"] })).toBe("FAILING");
    expect(integrationState({ ...connected, status: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY", consecutiveFailures: 1, consecutiveSuccesses: 0 })).toBe("REAUTH_REQUIRED");
    expect(integrationState({ ...connected, status: "DISCONNECTED", healthStatus: "UNKNOWN", consecutiveFailures: 0, consecutiveSuccesses: 0 })).toBe("NOT_CONNECTED");
  });
});
