// Retry schedule after the Nth failed attempt, as Svix and Stripe do: quick retries for blips,
// then hours for an outage on the receiver's side. With the default WEBHOOK_MAX_ATTEMPTS (8) a
// message is given up about 3 h 15 min after its first attempt. ±10% jitter spreads the retries
// of many messages that failed together (one receiver down) so they do not return as one burst.
export const BACKOFF_SCHEDULE_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000] as const;

/** A Retry-After longer than this is not honoured in full; the message would go stale. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** Delay before the next attempt, after `attempts` attempts have failed (1-based). */
export function backoffDelayMs(attempts: number, random: () => number = Math.random): number {
  const index = Math.min(Math.max(attempts, 1), BACKOFF_SCHEDULE_MS.length) - 1;
  const base = BACKOFF_SCHEDULE_MS[index]!;
  return Math.round(base * (0.9 + 0.2 * random()));
}

/** Retry-After as delta-seconds or an HTTP date, in ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: Date): number | null {
  if (!header) return null;
  const value = header.trim();
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return null;
    ms = at - now.getTime();
  }
  return ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : null;
}
