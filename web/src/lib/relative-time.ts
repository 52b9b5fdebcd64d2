const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 10],
];

const format = new Intl.RelativeTimeFormat("en", { numeric: "always" });

/** "2 minutes ago", "in 3 hours", "25 seconds ago", or "just now" within 10 seconds either way. */
export function relativeTime(date: Date, now: number): string {
  const seconds = Math.round((date.getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(unit === "second" ? seconds : Math.trunc(seconds / size), unit);
  }
  return "just now";
}
