const dateTime = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });
const time = new Intl.DateTimeFormat("en", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const shortDateTime = new Intl.DateTimeFormat("en", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

/** "Mar 4, 2026, 10:05 AM" */
export function formatDateTime(value: string | Date): string {
  return dateTime.format(typeof value === "string" ? new Date(value) : value);
}

/** "Mar 4, 10:05 AM" */
export function formatShortDateTime(value: string | Date): string {
  return shortDateTime.format(typeof value === "string" ? new Date(value) : value);
}

/** "10:05:42 AM" */
export function formatTime(value: string | Date): string {
  return time.format(typeof value === "string" ? new Date(value) : value);
}

/** 0.99873 → "99.87%"; null → "No checks". Two decimals, as uptime is read near 100%. */
export function formatUptime(ratio: number | null): string {
  if (ratio === null) return "No checks";
  const percent = ratio * 100;
  return `${percent === 100 ? "100" : percent.toFixed(2)}%`;
}

const withSeconds = new Intl.DateTimeFormat("en", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** "Mar 4, 10:05:42 AM": check times, a few seconds apart in busy logs. */
export function formatCheckTime(value: string | Date): string {
  return withSeconds.format(typeof value === "string" ? new Date(value) : value);
}

/** An axis label for a span of time: seconds within an hour, the day beyond a day. */
export function formatAxisTime(value: Date, spanMs: number): string {
  if (spanMs < 3_600_000) return time.format(value);
  if (spanMs < 86_400_000) return new Intl.DateTimeFormat("en", { hour: "2-digit", minute: "2-digit" }).format(value);
  return shortDateTime.format(value);
}
