import type { Env } from "../env.ts";

// The proxy's limits per connection, per process (issue 15): calls in flight
// (PROXY_MAX_CONCURRENT_PER_CONNECTION) and, when PROXY_REQUESTS_PER_MINUTE is set, calls in a
// fixed one-minute window. A refused call says how long to wait (Retry-After, seconds).

export type Admission = { ok: true } | { ok: false; message: string; retryAfter: number };

export type ProxyLimits = {
  /** Takes a slot for a call to connection `id`, or says why not; every admitted call must be released once. */
  admit(id: string, now?: number): Admission;
  release(id: string): void;
  /** Calls in flight for `id` (tests, metrics). */
  running(id: string): number;
};

/** Windows kept before they are all dropped (a bound on memory with very many connections). */
const MAX_WINDOWS = 10_000;

export function createProxyLimits(env: Pick<Env, "PROXY_MAX_CONCURRENT_PER_CONNECTION" | "PROXY_REQUESTS_PER_MINUTE">): ProxyLimits {
  const inFlight = new Map<string, number>();
  const minutes = new Map<string, { started: number; count: number }>();
  return {
    admit(id, now = Date.now()) {
      const running = inFlight.get(id) ?? 0;
      if (running >= env.PROXY_MAX_CONCURRENT_PER_CONNECTION) return { ok: false, message: `At most ${env.PROXY_MAX_CONCURRENT_PER_CONNECTION} proxied calls at once per connection.`, retryAfter: 1 };
      if (env.PROXY_REQUESTS_PER_MINUTE > 0) {
        const w = minutes.get(id);
        if (!w || now - w.started >= 60_000) {
          if (minutes.size > MAX_WINDOWS) minutes.clear();
          minutes.set(id, { started: now, count: 1 });
        } else if (w.count >= env.PROXY_REQUESTS_PER_MINUTE) {
          return { ok: false, message: `At most ${env.PROXY_REQUESTS_PER_MINUTE} proxied calls a minute per connection.`, retryAfter: Math.max(1, Math.ceil((w.started + 60_000 - now) / 1000)) };
        } else w.count++;
      }
      inFlight.set(id, running + 1);
      return { ok: true };
    },
    release(id) {
      const running = (inFlight.get(id) ?? 1) - 1;
      if (running <= 0) inFlight.delete(id);
      else inFlight.set(id, running);
    },
    running: (id) => inFlight.get(id) ?? 0,
  };
}
