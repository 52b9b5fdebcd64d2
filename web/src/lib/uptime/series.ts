import type { ResultOf } from "$lib/graphql/graphql";
import type { LATENCY_BUCKET_FIELDS } from "$lib/graphql/documents";

// The detail page's uptime bars and latency chart, drawn from the API's hourly and daily rollups
// (Integration.latencySeries) rather than from raw checks: a 30-day view is 30 rows, whatever the
// check interval, and it does not depend on how long raw history is kept.

/** One hourly or daily bucket of a connection's checks; buckets without checks are left out. */
export type LatencyBucket = ResultOf<typeof LATENCY_BUCKET_FIELDS>;

export type SeriesRange = "24h" | "7d" | "30d";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The windows as schema.graphql's HealthRange describes them: whole UTC buckets including the
 * current, partial one (the current hour and the 23 or 167 before it; today and the 29 days
 * before it), so the series the API answers fill them exactly.
 */
export const SERIES_WINDOWS: Record<SeriesRange, { label: string; bucketMs: number; count: number; per: "hour" | "day" }> = {
  "24h": { label: "24 h", bucketMs: HOUR, count: 24, per: "hour" },
  "7d": { label: "7 d", bucketMs: HOUR, count: 168, per: "hour" },
  "30d": { label: "30 d", bucketMs: DAY, count: 30, per: "day" },
};

export type SeriesWindow = { start: number; end: number; bucketMs: number; count: number };

/** The window of `range` at `now`: from the first bucket's start to the current bucket's end. */
export function seriesWindow(range: SeriesRange, now: number): SeriesWindow {
  const { bucketMs, count } = SERIES_WINDOWS[range];
  const end = Math.floor(now / bucketMs) * bucketMs + bucketMs;
  return { start: end - count * bucketMs, end, bucketMs, count };
}

/**
 * The buckets of `range`, oldest first: 24 h and 7 d from the hourly series (LAST_7D holds the
 * last 24 hours too), 30 d from the daily one.
 */
export function bucketsFor(range: SeriesRange, series: { hourly: readonly LatencyBucket[]; daily: readonly LatencyBucket[] }, now: number): LatencyBucket[] {
  const { start, end } = seriesWindow(range, now);
  return (range === "30d" ? series.daily : series.hourly)
    .filter((b) => {
      const at = Date.parse(b.start);
      return at >= start && at < end;
    })
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

/** Checks in a bucket that got no answer (Uptime's rule, applied by the API). */
export const failedChecks = (b: Pick<LatencyBucket, "checks" | "upChecks">) => b.checks - b.upChecks;

export type BarState = "up" | "partial" | "down" | "empty";
export type Bar = { start: number; end: number; checks: number; upChecks: number; state: BarState };

/** `bars` equal slices of the window of `range`, each summing the buckets that start in it. */
export function uptimeBars(buckets: readonly LatencyBucket[], { range, now, bars }: { range: SeriesRange; now: number; bars: number }): Bar[] {
  const { start, end } = seriesWindow(range, now);
  const size = (end - start) / bars;
  const out: Bar[] = Array.from({ length: bars }, (_, i) => ({ start: start + i * size, end: start + (i + 1) * size, checks: 0, upChecks: 0, state: "empty" }));
  for (const bucket of buckets) {
    const at = Date.parse(bucket.start);
    if (at < start || at >= end) continue;
    const bar = out[Math.min(bars - 1, Math.floor((at - start) / size))]!;
    bar.checks += bucket.checks;
    bar.upChecks += bucket.upChecks;
  }
  for (const bar of out) bar.state = bar.checks === 0 ? "empty" : bar.upChecks === bar.checks ? "up" : bar.upChecks === 0 ? "down" : "partial";
  return out;
}

/** "No checks", "12 checks, all up", "3 of 12 checks failed", "12 checks, all failed": a bar's text. */
export function describeBar(bar: Pick<Bar, "checks" | "upChecks">): string {
  if (bar.checks === 0) return "No checks";
  const checks = `${bar.checks} ${bar.checks === 1 ? "check" : "checks"}`;
  const failed = failedChecks(bar);
  if (failed === 0) return `${checks}, all up`;
  if (bar.upChecks === 0) return bar.checks === 1 ? "1 check, failed" : `${checks}, all failed`;
  return `${failed} of ${checks} failed`;
}

/** The detail page's uptime rows: one bar per hour, per 4 hours, per day. */
export const UPTIME_ROWS: { range: SeriesRange; label: string; bars: number }[] = [
  { range: "24h", label: "24 hours", bars: 24 },
  { range: "7d", label: "7 days", bars: 42 },
  { range: "30d", label: "30 days", bars: 30 },
];
