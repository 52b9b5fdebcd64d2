import "@testing-library/jest-dom/vitest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import LatencyChart from "./LatencyChart.svelte";
import type { LatencyBucket } from "$lib/uptime/series";

// 10:20 UTC: the 24 h window is 11:00 UTC yesterday to 11:00 today (the current hour included).
const NOW = Date.parse("2026-03-04T10:20:00Z");
const HOUR = 3_600_000;
const hour = (hoursAgo: number) => new Date(Math.floor(NOW / HOUR) * HOUR - hoursAgo * HOUR).toISOString();
const day = (daysAgo: number) => new Date(Date.parse("2026-03-04T00:00:00Z") - daysAgo * 24 * HOUR).toISOString();

function bucket(start: string, checks: number, upChecks: number, upLatencyAvgMs: number | null, min = 0, max = 0): LatencyBucket {
  return { start, checks, upChecks, upLatencyAvgMs, latencyMinMs: min, latencyMaxMs: max };
}

// The last 24 hours: three answered hours, one hour in which every check failed (a timeout's
// 10 s in its min/max), one with 1 of 4 failed; and an answered hour three days ago (7 d only).
const hourly = [
  bucket(hour(72), 12, 12, 400, 300, 500),
  bucket(hour(5), 12, 12, 100, 80, 150),
  bucket(hour(4), 12, 12, 120, 90, 200),
  bucket(hour(3), 2, 0, null, 10_000, 10_000),
  bucket(hour(2), 4, 3, 200, 150, 10_000),
  bucket(hour(0), 2, 2, 110, 100, 120),
];
const daily = [bucket(day(20), 288, 288, 130, 60, 900), bucket(day(1), 288, 280, 140, 70, 10_000), bucket(day(0), 30, 30, 120, 90, 300)];

const caption = () => screen.getByRole("figure").querySelector("figcaption")?.textContent ?? "";

// happy-dom lays nothing out, so the plot's measured width is 0 and the SVG would not render.
let restoreWidth: () => void = () => {};
beforeEach(() => {
  const own = Object.getOwnPropertyDescriptor(HTMLElement.prototype, "clientWidth");
  Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => 600 });
  restoreWidth = () => (own ? Object.defineProperty(HTMLElement.prototype, "clientWidth", own) : delete (HTMLElement.prototype as { clientWidth?: number }).clientWidth);
});
afterEach(() => restoreWidth());

describe("LatencyChart with rollup buckets", () => {
  it("averages the answered checks per bucket and leaves failed checks out of the latency (marks, not 0 ms or 10 s)", () => {
    render(LatencyChart, { hourly, daily, now: NOW });
    expect(screen.getByRole("radio", { name: "24 h" })).toBeChecked();
    // (12·100 + 12·120 + 3·200 + 2·110) / 29 answered checks = 119.3 ms
    expect(caption()).toBe(
      "Latency of the last 29 checks answered in 24 h: average 119 ms; hourly averages from 100 ms to 200 ms. 3 failed checks in 2 hours, marked below the line.",
    );
    const svg = screen.getByRole("img", { name: /Latency of the last 29 checks/ });
    // One point per hour with an answer; none for the hour whose checks all failed.
    const points = [...svg.querySelectorAll("circle")].map((c) => c.querySelector("title")?.textContent);
    expect(points).toHaveLength(4);
    expect(points[2]).toMatch(/: average 200 ms over 3 answered checks; 1 failed$/);
    expect(points[0]).toMatch(/: average 100 ms over 12 answered checks \(fastest 80 ms, slowest 150 ms\)$/);
    // A mark for each hour with failures; the hour without any answer is the stronger one.
    const marks = [...svg.querySelectorAll("g.fail-mark")];
    expect(marks.map((m) => m.querySelector("title")?.textContent?.replace(/^.*: /, ""))).toEqual(["2 of 2 checks failed", "1 of 4 checks failed"]);
    expect(marks.map((m) => m.classList.contains("fail-all"))).toEqual([true, false]);
    // The y axis ends at a round number above the slowest answered hour, never at a timeout.
    expect([...svg.querySelectorAll("text.tick")].map((t) => t.textContent)).toEqual(["0 ms", "100 ms", "200 ms", expect.any(String), "now"]);
  });

  it("breaks the line where a bucket has no answer or no checks", () => {
    render(LatencyChart, { hourly, daily, now: NOW });
    const d = screen.getByRole("img").querySelector("path.line")?.getAttribute("d") ?? "";
    // 5 h and 4 h ago joined; the failed hour breaks it; 2 h ago starts anew; 1 h ago had no
    // checks, so the current hour starts anew too.
    expect(d.match(/[ML]/g)).toEqual(["M", "L", "M", "M"]);
  });

  it("draws a min–max band only for buckets whose every check answered", () => {
    render(LatencyChart, { hourly, daily, now: NOW });
    // 5 h, 4 h ago and the current hour; not the failed hour nor the one with a failure.
    expect(screen.getByRole("img").querySelectorAll("rect.band")).toHaveLength(3);
  });

  it("reads 7 d from the hourly buckets and 30 d from the daily ones", async () => {
    render(LatencyChart, { hourly, daily, now: NOW });
    await fireEvent.click(screen.getByRole("radio", { name: "7 d" }));
    expect(caption()).toMatch(/^Latency of the last 41 checks answered in 7 d: average \d+ ms; hourly averages from 100 ms to 400 ms\./);
    await fireEvent.click(screen.getByRole("radio", { name: "30 d" }));
    expect(caption()).toBe(
      "Latency of the last 598 checks answered in 30 d: average 134 ms; daily averages from 120 ms to 140 ms. 8 failed checks in 1 day, marked below the line.",
    );
    expect(screen.getByRole("img").querySelectorAll("circle")).toHaveLength(3);
  });

  it("says when a range has no checks, or no answers", () => {
    const { unmount } = render(LatencyChart, { hourly: [], daily: [], now: NOW, range: "30d" });
    expect(caption()).toBe("No checks in the last 30 d.");
    expect(screen.queryByRole("img")).toBeNull();
    unmount();
    render(LatencyChart, { hourly: [bucket(hour(1), 3, 0, null, 10_000, 10_000)], daily: [], now: NOW });
    expect(caption()).toBe("No check answered in 24 h. 3 failed checks in 1 hour, marked below the line.");
    expect(screen.getByRole("img").querySelectorAll("circle")).toHaveLength(0);
    expect(screen.getByRole("img").querySelectorAll("g.fail-mark")).toHaveLength(1);
  });

  it("leaves out buckets older than the window", () => {
    render(LatencyChart, { hourly: [bucket(hour(24), 5, 5, 100, 90, 110)], daily: [], now: NOW });
    expect(caption()).toBe("No checks in the last 24 h.");
  });
});
