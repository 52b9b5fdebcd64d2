import { describe, expect, it } from "vitest";
import { bucketChecks, describeBucket } from "./buckets";

const NOW = Date.parse("2026-03-04T12:00:00Z");
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

describe("bucketChecks", () => {
  it("puts each check in its slice and takes the worst status", () => {
    const buckets = bucketChecks(
      [
        { status: "HEALTHY", checkedAt: at(5) },
        { status: "UNHEALTHY", checkedAt: at(10) },
        { status: "DEGRADED", checkedAt: at(70) },
        { status: "HEALTHY", checkedAt: at(130) },
      ],
      { now: NOW, windowMs: 4 * 3_600_000, count: 4 },
    );
    expect(buckets.map((b) => b.state)).toEqual(["empty", "up", "degraded", "down"]);
    expect(describeBucket(buckets[3]!)).toBe("1 of 2 checks failed");
    expect(describeBucket(buckets[1]!)).toBe("1 check, all healthy");
    expect(describeBucket(buckets[0]!)).toBe("No checks");
  });

  it("marks slices older than the loaded history as not loaded rather than empty", () => {
    const buckets = bucketChecks([{ status: "HEALTHY", checkedAt: at(30) }], {
      now: NOW,
      windowMs: 4 * 3_600_000,
      count: 4,
      loadedFrom: NOW - 60 * 60_000,
    });
    expect(buckets.map((b) => b.state)).toEqual(["unloaded", "unloaded", "unloaded", "up"]);
  });

  it("ignores checks outside the window", () => {
    const buckets = bucketChecks([{ status: "UNHEALTHY", checkedAt: at(60 * 25) }], { now: NOW, windowMs: 24 * 3_600_000, count: 48 });
    expect(buckets.every((b) => b.total === 0)).toBe(true);
  });
});
