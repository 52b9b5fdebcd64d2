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

/** 142 → "142 ms"; 2345 → "2.3 s". */
export function formatLatency(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The URL when it is http(s), else null: only those may become links (javascript: may not). */
export function httpUrlOrNull(url: string | null | undefined): string | null {
  return url && /^https?:\/\//i.test(url) ? url : null;
}

/**
 * What the provider answered, in its own terms: "Slack answered 500 at POST /api/auth.test:
 * internal_error", "No answer from Slack at POST /api/auth.test" (network errors and timeouts
 * have no status), or null when the error holds none of it.
 */
export function providerAnswerText(
  providerName: string,
  error: { httpStatus?: number | null; endpoint?: string | null; providerMessage?: string | null },
): string | null {
  const at = error.endpoint ? ` at ${error.endpoint}` : "";
  const said = error.providerMessage ? `: ${error.providerMessage}` : "";
  if (error.httpStatus != null) return `${providerName} answered ${error.httpStatus}${at}${said}`;
  if (error.endpoint) return `No answer from ${providerName}${at}${said}`;
  if (error.providerMessage) return `${providerName} said${said}`;
  return null;
}
