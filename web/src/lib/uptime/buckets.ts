import type { HealthCheck } from "$lib/graphql/types";

// Uptime bars like Uptime Kuma's, but per time bucket rather than per check, so 24 hours, 7 days
// and 30 days each fit one row on any screen. A bucket takes the worst status it saw.

export type BucketState = "up" | "degraded" | "down" | "empty" | "unloaded";

export type Bucket = {
  start: number;
  end: number;
  total: number;
  up: number;
  degraded: number;
  down: number;
  state: BucketState;
};

export type UptimeWindow = { key: string; label: string; ms: number; buckets: number };

const HOUR = 3_600_000;

export const UPTIME_WINDOWS: UptimeWindow[] = [
  { key: "24h", label: "24 hours", ms: 24 * HOUR, buckets: 48 },
  { key: "7d", label: "7 days", ms: 7 * 24 * HOUR, buckets: 42 },
  { key: "30d", label: "30 days", ms: 30 * 24 * HOUR, buckets: 30 },
];

/**
 * Splits the window ending at `now` into `count` buckets and counts `checks` into them.
 * `loadedFrom` is the time of the oldest check the page fetched when the history was cut short:
 * empty buckets before it are "unloaded" (not known), not "empty" (no checks ran).
 */
export function bucketChecks(
  checks: readonly Pick<HealthCheck, "status" | "checkedAt">[],
  { now, windowMs, count, loadedFrom = null }: { now: number; windowMs: number; count: number; loadedFrom?: number | null },
): Bucket[] {
  const size = windowMs / count;
  const start = now - windowMs;
  const buckets: Bucket[] = Array.from({ length: count }, (_, i) => ({
    start: start + i * size,
    end: start + (i + 1) * size,
    total: 0,
    up: 0,
    degraded: 0,
    down: 0,
    state: "empty" as BucketState,
  }));
  for (const check of checks) {
    const at = Date.parse(check.checkedAt);
    if (!(at > start && at <= now)) continue;
    const bucket = buckets[Math.min(count - 1, Math.floor((at - start) / size))]!;
    bucket.total += 1;
    if (check.status === "HEALTHY") bucket.up += 1;
    else if (check.status === "DEGRADED") bucket.degraded += 1;
    else if (check.status === "UNHEALTHY") bucket.down += 1;
  }
  for (const bucket of buckets) {
    if (bucket.down > 0) bucket.state = "down";
    else if (bucket.degraded > 0) bucket.state = "degraded";
    else if (bucket.up > 0) bucket.state = "up";
    else bucket.state = loadedFrom !== null && bucket.end <= loadedFrom ? "unloaded" : "empty";
  }
  return buckets;
}

/** "3 of 6 checks failed", "6 checks, all healthy", "No checks" … for a bar's text. */
export function describeBucket(bucket: Bucket): string {
  if (bucket.state === "unloaded") return "Older checks not loaded";
  if (bucket.total === 0) return "No checks";
  const checks = `${bucket.total} ${bucket.total === 1 ? "check" : "checks"}`;
  if (bucket.down > 0) return `${bucket.down} of ${checks} failed`;
  if (bucket.degraded > 0) return `${bucket.degraded} of ${checks} degraded`;
  if (bucket.up === bucket.total) return `${checks}, all healthy`;
  return `${checks}, status unknown`;
}
