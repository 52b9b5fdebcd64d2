import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

/**
 * How many health checks may run at once, adjusted to the event loop's delay: a sweep shares
 * its process's one JavaScript thread with the dashboard's requests and subscriptions, so when
 * the loop is late (p99 over `targetMs` in the last window) while it answers requests
 * (`noteRequest`), the allowance halves, and while it is well on time (under half the target) or
 * nobody asked anything, it grows by one, up to `max` (additive increase, multiplicative
 * decrease). A sweep on a process nobody is using runs at full concurrency.
 *
 * The loop watched is this thread's, unless `delayMs` reads another's: checks in the worker
 * thread (check-worker.ts) do not hold the serving loop, but on a small machine they take the
 * CPU it needs, so they are governed by the serving thread's delay, which it shares through
 * `createLoopDelayShare`.
 */
export type LoopGovernor = { readonly allowed: number; start(): void; stop(): void };

export function createLoopGovernor({
  max,
  targetMs,
  windowMs = 250,
  min = 1,
  delayMs,
}: {
  max: number;
  targetMs: number;
  windowMs?: number;
  min?: number;
  /** The p99 delay in ms of the loop to watch over the last window; this thread's own without. */
  delayMs?: () => number;
}): LoopGovernor {
  let allowed = max;
  let own: LoopDelayWindow | null = null;
  let timer: NodeJS.Timeout | null = null;
  return {
    get allowed() {
      return allowed;
    },
    start() {
      if (timer || targetMs <= 0) return; // 0 turns the governor off: always `max`
      if (!delayMs) own = loopDelayWindow();
      const read = delayMs ?? own!.take;
      timer = setInterval(() => {
        const p99 = read();
        if (p99 > targetMs) allowed = Math.max(min, Math.floor(allowed / 2));
        else if (p99 < targetMs / 2) allowed = Math.min(max, allowed + 1);
      }, windowMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      own?.stop();
      own = null;
      allowed = max;
    },
  };
}

/**
 * Requests that people (or their services) sent this thread: GraphQL, WebSocket subscriptions,
 * sign-in, pages, the proxy (app.ts and graphql/ws.ts call `noteRequest`; the sandbox's
 * emulators, probes and metrics scrapes do not count). A late loop in a window when nobody asked
 * anything delays no one's answer, so the governor does not slow the checks for it: on a small
 * machine the sweep alone makes an idle serving loop late (the checks, Postgres and the providers
 * take the cores), and backing off then would only make the sweep slower.
 */
let requests = 0;
export function noteRequest(): void {
  requests++;
}

type LoopDelayWindow = { take(): number; stop(): void };

/** This thread's loop delay, p99 in ms since the last `take`; 0 when no request came meanwhile. */
function loopDelayWindow(): LoopDelayWindow {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let seen = requests;
  return {
    take() {
      const p99 = histogram.percentile(99) / 1e6;
      histogram.reset();
      const asked = requests !== seen;
      seen = requests;
      return asked ? p99 : 0;
    },
    stop() {
      histogram.disable();
    },
  };
}

/**
 * This thread's loop delay, made readable by another thread: while started, the p99 of every
 * `windowMs` window is written (in µs) to `buffer`, which the other thread reads with
 * `readLoopDelay`. Started only while a sweep runs (the monitor wakes the loop every 5 ms).
 */
export type LoopDelayShare = { readonly buffer: SharedArrayBuffer; start(): void; stop(): void };

export function createLoopDelayShare(windowMs = 250): LoopDelayShare {
  const buffer = new SharedArrayBuffer(4);
  const view = new Int32Array(buffer);
  let window: LoopDelayWindow | null = null;
  let timer: NodeJS.Timeout | null = null;
  return {
    buffer,
    start() {
      if (timer) return;
      window = loopDelayWindow();
      timer = setInterval(() => Atomics.store(view, 0, Math.min(2 ** 31 - 1, Math.round(window!.take() * 1000))), windowMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      window?.stop();
      window = null;
      Atomics.store(view, 0, 0);
    },
  };
}

/** The reader of a `LoopDelayShare`'s buffer: the shared loop's latest p99 in ms. */
export function readLoopDelay(buffer: SharedArrayBuffer): () => number {
  const view = new Int32Array(buffer);
  return () => Atomics.load(view, 0) / 1000;
}
