import { describe, expect, it } from "vitest";
import { summarizeSweep, type SweepResult } from "./summarize-sweep.ts";

const r = (workspaceId: string, integrationId: string, providerId: string, transition: SweepResult["transition"], extra: Partial<SweepResult> = {}): SweepResult => ({
  workspaceId,
  integrationId,
  providerId,
  transition,
  ...extra,
});

describe("summarizeSweep", () => {
  it("emits one event per transition, with the event type of each", () => {
    const events = summarizeSweep([
      r("w1", "i1", "slack", "degraded", { healthStatus: "DEGRADED", message: "slow", errorCode: "timeout", accountName: "Acme" }),
      r("w1", "i2", "google", "unhealthy"),
      r("w1", "i3", "hubspot", "recovered"),
      r("w2", "i4", "slack", "reauth_required"),
      r("w2", "i5", "google", null),
    ]);
    expect(events).toEqual([
      { workspaceId: "w1", type: "health.degraded", data: { integrationId: "i1", providerId: "slack", healthStatus: "DEGRADED", message: "slow", errorCode: "timeout", accountName: "Acme" } },
      { workspaceId: "w1", type: "health.unhealthy", data: { integrationId: "i2", providerId: "google" } },
      { workspaceId: "w1", type: "health.recovered", data: { integrationId: "i3", providerId: "hubspot" } },
      { workspaceId: "w2", type: "integration.reauth_required", data: { integrationId: "i4", providerId: "slack" } },
    ]);
  });

  it("turns 4 failed Slack connections of 5 in one workspace into one provider.incident", () => {
    const sweep = [
      r("w1", "s1", "slack", "degraded"),
      r("w1", "s2", "slack", "unhealthy"),
      r("w1", "s3", "slack", "degraded"),
      r("w1", "s4", "slack", "degraded"),
      r("w1", "s5", "slack", null),
      r("w1", "g1", "google", "degraded"),
      r("w2", "x1", "slack", "degraded"),
    ];
    expect(summarizeSweep(sweep)).toEqual([
      { workspaceId: "w1", type: "health.degraded", data: { integrationId: "g1", providerId: "google" } },
      { workspaceId: "w2", type: "health.degraded", data: { integrationId: "x1", providerId: "slack" } },
      { workspaceId: "w1", type: "provider.incident", data: { providerId: "slack", count: 4, checked: 5, integrationIds: ["s1", "s2", "s3", "s4"] } },
    ]);
  });

  it("needs at least 3 failures and more than half of the checked connections", () => {
    const twoOfTwo = [r("w1", "a", "slack", "degraded"), r("w1", "b", "slack", "degraded")];
    expect(summarizeSweep(twoOfTwo).map((e) => e.type)).toEqual(["health.degraded", "health.degraded"]);
    const half = [1, 2, 3].map((n) => r("w1", `f${n}`, "slack", "degraded")).concat([4, 5, 6].map((n) => r("w1", `ok${n}`, "slack", null)));
    expect(summarizeSweep(half).map((e) => e.type)).toEqual(Array(3).fill("health.degraded"));
    const threeOfFive = [1, 2, 3].map((n) => r("w1", `f${n}`, "slack", "degraded")).concat([4, 5].map((n) => r("w1", `ok${n}`, "slack", null)));
    expect(summarizeSweep(threeOfFive).map((e) => e.type)).toEqual(["provider.incident"]);
  });

  it("counts connections that were already failing, keeps reauth and recovery events, and stays quiet without a new failure", () => {
    const sweep = [
      r("w1", "a", "slack", "degraded"),
      r("w1", "b", "slack", null, { failed: true }),
      r("w1", "c", "slack", "reauth_required"),
      r("w1", "d", "slack", "recovered"),
    ];
    expect(summarizeSweep(sweep)).toEqual([
      { workspaceId: "w1", type: "integration.reauth_required", data: { integrationId: "c", providerId: "slack" } },
      { workspaceId: "w1", type: "health.recovered", data: { integrationId: "d", providerId: "slack" } },
      { workspaceId: "w1", type: "provider.incident", data: { providerId: "slack", count: 3, checked: 4, integrationIds: ["a", "b", "c"] } },
    ]);
    // The outage goes on, nothing new: no event at every sweep.
    const ongoing = ["a", "b", "c"].map((id) => r("w1", id, "slack", null, { failed: true }));
    expect(summarizeSweep(ongoing)).toEqual([]);
  });

  it("with scope sweep, measures the provider across workspaces and tells each workspace only its own connections", () => {
    const sweep = [r("w1", "a", "slack", "degraded"), r("w2", "b", "slack", "unhealthy"), r("w3", "c", "slack", "degraded"), r("w4", "d", "slack", null)];
    expect(summarizeSweep(sweep)).toHaveLength(3);
    expect(summarizeSweep(sweep, { scope: "sweep" })).toEqual([
      { workspaceId: "w1", type: "provider.incident", data: { providerId: "slack", count: 1, checked: 1, integrationIds: ["a"] } },
      { workspaceId: "w2", type: "provider.incident", data: { providerId: "slack", count: 1, checked: 1, integrationIds: ["b"] } },
      { workspaceId: "w3", type: "provider.incident", data: { providerId: "slack", count: 1, checked: 1, integrationIds: ["c"] } },
    ]);
  });
});
