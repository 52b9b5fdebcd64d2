// The windows uptime and the latency series read, as whole UTC rollup buckets (record.ts writes
// one hourly and one daily row per connection and bucket). The current, partial bucket is
// included, so a window reaches back less than its name by at most one bucket:
//   24 hours  the current hour and the 23 before it      (hourly rollups)
//   7 days    the current hour and the 167 before it     (hourly rollups)
//   30 days   today (UTC) and the 29 days before it      (daily rollups)

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export type HealthRange = "LAST_24H" | "LAST_7D" | "LAST_30D";

export type RollupWindow = { table: "hourly" | "daily"; from: Date };

/** The first bucket each window counts at `now`, and which rollup it reads. */
export function rollupWindow(range: HealthRange, now: Date = new Date()): RollupWindow {
  const hour = Math.floor(now.getTime() / HOUR) * HOUR;
  const day = Math.floor(now.getTime() / DAY) * DAY;
  switch (range) {
    case "LAST_24H":
      return { table: "hourly", from: new Date(hour - 23 * HOUR) };
    case "LAST_7D":
      return { table: "hourly", from: new Date(hour - 167 * HOUR) };
    case "LAST_30D":
      return { table: "daily", from: new Date(day - 29 * DAY) };
  }
}

/** How long hourly rollups are kept: the longest window read from them (7 days) and room for a 30-day hourly chart. */
export const HOURLY_ROLLUP_DAYS = 35;
