import type { Logger } from "../logger.ts";

// The loop of a dispatcher that polls its table for due rows (webhook deliveries, alert
// deliveries): the next tick is scheduled only when this one is done, so ticks never overlap;
// a full batch means more may be due, so the next one starts at once.

export type PollLoop = { start(): void; stop(): Promise<void> };

export function createPollLoop({
  runOnce,
  batchSize,
  intervalMs,
  logger,
  name,
}: {
  /** One tick: claims and handles up to `batchSize` rows, returns how many it claimed. */
  runOnce: () => Promise<number>;
  batchSize: number;
  intervalMs: number;
  logger: Logger;
  /** For the log line of a failed tick: "webhook dispatcher", "alert dispatcher". */
  name: string;
}): PollLoop {
  let stopped = true;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;

  function schedule(delayMs: number) {
    if (stopped) return;
    timer = setTimeout(tick, delayMs);
    timer.unref();
  }
  function tick() {
    timer = null;
    inFlight = runOnce()
      .then(
        (count) => schedule(count >= batchSize ? 0 : intervalMs),
        (error: unknown) => {
          logger.error({ err: error }, `${name} tick failed`);
          schedule(intervalMs);
        },
      )
      .finally(() => {
        inFlight = null;
      });
  }
  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await inFlight;
    },
  };
}
