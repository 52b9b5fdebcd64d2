import { describe, expect, it } from "vitest";
import { bucketsFor, describeBar, seriesWindow, uptimeBars, type LatencyBucket } from "./series";

const NOW = Date.parse("2026-03-04T10:20:00Z");
const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const bucket = (start: string, checks: number, upChecks: number): LatencyBucket => ({ start, checks, upChecks, upLatencyAvgMs: upChecks ? 100 : null, latencyMinMs: 90, latencyMaxMs: 110 });

describe("rollup windows", () => {
  it("are whole UTC buckets including the current one, as HealthRange says", () => {
    expect(seriesWindow("24h", NOW)).toEqual({ start: at("2026-03-03T11:00:00Z"), end: at("2026-03-04T11:00:00Z"), bucketMs: HOUR, count: 24 });
    expect(seriesWindow("7d", NOW).start).toBe(at("2026-02-25T11:00:00Z"));
    expect(seriesWindow("30d", NOW)).toEqual({ start: at("2026-02-03T00:00:00Z"), end: at("2026-03-05T00:00:00Z"), bucketMs: 24 * HOUR, count: 30 });
  });

  it("take 24 h and 7 d from the hourly series and 30 d from the daily one, oldest first", () => {
    const hourly = [bucket("2026-03-04T10:00:00.000Z", 2, 2), bucket("2026-03-03T10:00:00.000Z", 1, 1), bucket("2026-03-03T11:00:00.000Z", 1, 0)];
    const daily = [bucket("2026-02-02T00:00:00.000Z", 5, 5), bucket("2026-03-04T00:00:00.000Z", 3, 3)];
    expect(bucketsFor("24h", { hourly, daily }, NOW).map((b) => b.start)).toEqual(["2026-03-03T11:00:00.000Z", "2026-03-04T10:00:00.000Z"]);
    expect(bucketsFor("7d", { hourly, daily }, NOW)).toHaveLength(3);
    expect(bucketsFor("30d", { hourly, daily }, NOW).map((b) => b.start)).toEqual(["2026-03-04T00:00:00.000Z"]);
  });
});

describe("uptime bars from buckets", () => {
  it("sum the buckets of each slice and say how many checks failed", () => {
    const hourly = [
      bucket("2026-03-04T10:00:00.000Z", 2, 2), // the current hour: the last bar of both rows
      bucket("2026-03-04T09:00:00.000Z", 4, 3),
      bucket("2026-03-04T08:00:00.000Z", 2, 0),
      bucket("2026-03-04T07:00:00.000Z", 1, 1),
    ];
    const day = uptimeBars(hourly, { range: "24h", now: NOW, bars: 24 });
    expect(day).toHaveLength(24);
    expect(day.slice(-4).map((b) => [b.state, describeBar(b)])).toEqual([
      ["up", "1 check, all up"],
      ["down", "2 checks, all failed"],
      ["partial", "1 of 4 checks failed"],
      ["up", "2 checks, all up"],
    ]);
    expect(day[0]).toMatchObject({ start: at("2026-03-03T11:00:00Z"), end: at("2026-03-03T12:00:00Z"), state: "empty" });
    expect(describeBar(day[0]!)).toBe("No checks");

    // 7 days in 42 bars of 4 hours: 07:00–11:00 today (the current hour included) is the last one.
    const week = uptimeBars(hourly, { range: "7d", now: NOW, bars: 42 });
    expect(week.at(-1)).toMatchObject({ start: at("2026-03-04T07:00:00Z"), checks: 9, upChecks: 6, state: "partial" });
    expect(week.filter((b) => b.checks > 0)).toHaveLength(1);
  });
});
