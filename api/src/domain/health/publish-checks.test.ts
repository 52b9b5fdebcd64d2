import { describe, expect, it } from "vitest";
import { createRealtime, type HealthEvent } from "../../realtime/pubsub.ts";
import { publishChecks } from "./record.ts";
import type { Probe } from "./check-integration.ts";

// Every written check is an event; its kind names the most telling change.

function probe(over: { transition?: Probe["result"]["transition"]; grantedScopes?: string[] | null }): Probe {
  return {
    result: {
      integrationId: "i1",
      workspaceId: "w1",
      providerId: "slack",
      status: "HEALTHY",
      outcome: "ok",
      transition: over.transition ?? null,
      reauthRequired: over.transition === "reauth_required",
      steps: [],
      errorCode: null,
      message: null,
      latencyMs: 5,
      checkedAt: new Date("2026-12-06T12:00:00Z"),
      nextCheckAt: new Date("2026-12-06T12:05:00Z"),
      accountName: null,
    },
    trigger: "MANUAL",
    newStatus: over.transition === "reauth_required" ? "REAUTH_REQUIRED" : "CONNECTED",
    counters: { consecutiveFailures: 0, consecutiveSuccesses: 1 },
    transitionFrom: null,
    account: null,
    grantedScopes: over.grantedScopes ?? null,
    generation: 1,
  } as Probe;
}

describe("publishChecks", () => {
  it("publishes check, scopes_changed and reauth_required kinds to the workspace's topic", async () => {
    const realtime = createRealtime();
    const stream = realtime.subscribe("health:workspace", "w1")[Symbol.asyncIterator]();
    const got: HealthEvent[] = [];
    const reading = (async () => {
      for (let i = 0; i < 3; i++) got.push((await stream.next()).value as HealthEvent);
    })();
    await new Promise((r) => setTimeout(r, 10));
    publishChecks(realtime, [probe({}), probe({ grantedScopes: ["chat:write"] }), probe({ transition: "reauth_required", grantedScopes: ["x"] })]);
    await reading;
    expect(got.map((e) => [e.kind, e.status])).toEqual([
      ["check", "CONNECTED"],
      ["scopes_changed", "CONNECTED"],
      ["reauth_required", "REAUTH_REQUIRED"],
    ]);
    await stream.return?.();
    await realtime.close();
  });
});
