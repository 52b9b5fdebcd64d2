import { describe, expect, it } from "vitest";
import { applyThresholds, transitionOf, type Counters, type Outcome } from "./thresholds.ts";

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
});
