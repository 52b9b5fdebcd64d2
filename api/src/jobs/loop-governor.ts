import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

/**
 * How many health checks may run at once, adjusted to the event loop's delay: a sweep shares
 * its process's one JavaScript thread with the dashboard's requests and subscriptions, so when
 * the loop is late (p99 over `targetMs` in the last window) the allowance halves, and while it
 * is well on time (under half the target) it grows by one, up to `max` (additive increase,
 * multiplicative decrease). A sweep on an idle process runs at full concurrency.
 */
export type LoopGovernor = { readonly allowed: number; start(): void; stop(): void };

export function createLoopGovernor({ max, targetMs, windowMs = 250, min = 1 }: { max: number; targetMs: number; windowMs?: number; min?: number }): LoopGovernor {
  let allowed = max;
  let histogram: IntervalHistogram | null = null;
  let timer: NodeJS.Timeout | null = null;
  return {
    get allowed() {
      return allowed;
    },
    start() {
      if (timer || targetMs <= 0) return; // 0 turns the governor off: always `max`
      histogram = monitorEventLoopDelay({ resolution: 5 });
      histogram.enable();
      timer = setInterval(() => {
        const p99 = histogram!.percentile(99) / 1e6;
        histogram!.reset();
        if (p99 > targetMs) allowed = Math.max(min, Math.floor(allowed / 2));
        else if (p99 < targetMs / 2) allowed = Math.min(max, allowed + 1);
      }, windowMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      histogram?.disable();
      histogram = null;
      allowed = max;
    },
  };
}
