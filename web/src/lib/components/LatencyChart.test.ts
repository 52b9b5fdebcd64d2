import "@testing-library/jest-dom/vitest";
import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import LatencyChart, { checkFailed } from "./LatencyChart.svelte";

const NOW = Date.parse("2026-03-04T10:00:00Z");
const ago = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();

const checks = [
  { id: "a", status: "HEALTHY" as const, latencyMs: 20, checkedAt: ago(10), errorCode: null },
  { id: "b", status: "DEGRADED" as const, latencyMs: 0, checkedAt: ago(20), errorCode: "PROVIDER_ERROR" as const },
  { id: "c", status: "DEGRADED" as const, latencyMs: 900, checkedAt: ago(30), errorCode: "SLOW" as const },
  { id: "d", status: "HEALTHY" as const, latencyMs: 40, checkedAt: ago(3 * 24 * 60), errorCode: null },
];

describe("LatencyChart", () => {
  it("leaves failed checks out of the latency (marks, not 0 ms) and shows the chosen range", async () => {
    render(LatencyChart, { checks, now: NOW });
    const caption = () => screen.getByRole("figure").textContent ?? "";
    expect(caption()).toContain("Latency of the last 2 checks answered in 24 h: median 20 ms, 95th percentile 900 ms, slowest 900 ms.");
    expect(caption()).toContain("1 failed check, marked below the line.");
    expect(screen.getByRole("radio", { name: "24 h" })).toBeChecked();
    await fireEvent.click(screen.getByRole("radio", { name: "7 d" }));
    expect(caption()).toContain("Latency of the last 3 checks answered in 7 d");
  });

  it("says when a range has no checks", () => {
    render(LatencyChart, { checks: [], now: NOW, range: "30d" });
    expect(screen.getByRole("figure")).toHaveTextContent("No checks in the last 30 d.");
  });

  it("counts a check as failed when it got no answer; slow, rate limited and missing scopes answered", () => {
    expect(checkFailed({ status: "DEGRADED", errorCode: "TIMEOUT" })).toBe(true);
    expect(checkFailed({ status: "UNHEALTHY", errorCode: "INVALID_GRANT" })).toBe(true);
    for (const code of ["SLOW", "RATE_LIMITED", "INSUFFICIENT_SCOPE", null] as const) expect(checkFailed({ status: "DEGRADED", errorCode: code })).toBe(false);
  });
});
