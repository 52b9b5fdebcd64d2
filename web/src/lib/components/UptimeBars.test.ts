import "@testing-library/jest-dom/vitest";
import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/svelte";
import UptimeBars from "./UptimeBars.svelte";

const NOW = Date.parse("2026-03-04T10:20:00Z");

describe("UptimeBars", () => {
  it("draws one bar per day of the daily rollups, with the API's uptime and each bar's checks", () => {
    render(UptimeBars, {
      range: "30d",
      label: "30 days",
      bars: 30,
      buckets: [
        { start: "2026-03-02T00:00:00.000Z", checks: 288, upChecks: 288, upLatencyAvgMs: 120, latencyMinMs: 80, latencyMaxMs: 300 },
        { start: "2026-03-04T00:00:00.000Z", checks: 100, upChecks: 97, upLatencyAvgMs: 130, latencyMinMs: 80, latencyMaxMs: 10_000 },
      ],
      ratio: 385 / 388,
      now: NOW,
    });
    expect(screen.getByRole("heading", { name: "Last 30 days" })).toBeVisible();
    expect(screen.getByText("99.23%")).toBeVisible();
    const bars = within(screen.getByRole("list", { name: "Last 30 days" })).getAllByRole("listitem");
    expect(bars).toHaveLength(30);
    expect(bars.at(-1)).toHaveTextContent(/: 3 of 100 checks failed$/);
    expect(bars.at(-1)).toHaveClass("bar-partial");
    expect(bars.at(-2)).toHaveTextContent(/: No checks$/);
    expect(bars.at(-3)).toHaveTextContent(/: 288 checks, all up$/);
    expect(bars.at(-3)).toHaveClass("bar-up");
  });

  it("says No checks for a window without any", () => {
    render(UptimeBars, { range: "24h", label: "24 hours", bars: 24, buckets: [], ratio: null, now: NOW });
    expect(screen.getByText("No checks", { selector: ".uptime-value" })).toBeVisible();
    expect(within(screen.getByRole("list", { name: "Last 24 hours" })).getAllByRole("listitem").every((li) => li.classList.contains("bar-empty"))).toBe(true);
  });
});
