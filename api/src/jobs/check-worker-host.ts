import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../http/metrics.ts";
import type { Realtime } from "../realtime/pubsub.ts";
import type { EncryptionKey } from "../secrets.ts";
import type { CheckResult } from "../domain/health/check-integration.ts";
import type { Claimed, SweepSummary } from "./health-scheduler.ts";
import { createLoopDelayShare } from "./loop-governor.ts";

// The serving thread's side of the check worker (check-worker.ts). The worker runs whole sweeps
// (claim with SKIP LOCKED + lease, checks, batched writes) on its own event loop, database pool
// and outbound HTTP; what the serving thread still does is cheap: publish the events the worker
// posts back (to local subscribers, or through Redis to other replicas' subscribers), count its
// metrics, and hand the sweep's results to the webhook/alert notification.
//
// A worker that dies is replaced (with a log line, after a short back-off that grows while it
// keeps dying); the rows it had claimed are checked again once their leases run out. On
// shutdown the worker starts no new check, finishes those under way, gives back the rows it
// claimed but never started, and exits; one that does not within STOP_TIMEOUT_MS is terminated
// (its leases expire).

export type CheckWorkerMode = "thread" | "inline";

/**
 * thread whenever the database is Postgres (DATABASE_URL), unless HEALTH_CHECK_WORKER=inline; inline
 * always on the embedded database (PGlite: one connection in one thread).
 */
export function checkWorkerMode(env: Pick<Env, "HEALTH_CHECK_WORKER" | "DATABASE_URL">, databaseKind: string | undefined): CheckWorkerMode {
  if (databaseKind !== "postgres" || !env.DATABASE_URL) return "inline";
  return env.HEALTH_CHECK_WORKER ?? "thread";
}

export type WorkerData = {
  env: Env;
  encryptionKeys: { id: string; key: Uint8Array }[];
  allowHttp: boolean;
  /** The serving thread's loop delay (loop-governor.ts createLoopDelayShare), when HEALTH_CHECK_MAX_LOOP_DELAY_MS is set. */
  loopDelay?: SharedArrayBuffer;
};

/** What the worker posts: publishes, metrics and written results in batches; log lines; sweep ends. */
export type FromWorker =
  | { type: "batch"; events: unknown[][]; checks: [provider: string, result: string, seconds: number][]; results: CheckResult[] }
  | { type: "log"; line: string }
  | { type: "ready" }
  | { type: "swept"; id: number; summary: Omit<SweepSummary, "results"> }
  | { type: "sweep-failed"; id: number; message: string };
export type ToWorker = { type: "sweep"; id: number; initial?: Claimed[] } | { type: "stop" };

const STOP_TIMEOUT_MS = 8000;

/** The worker's entry: the bundled file beside dist/main.js, or the TypeScript source through tsx (development, tests). */
function workerEntry(): { filename: string | URL; eval: boolean } {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return { filename: new URL("./check-worker.js", here), eval: false };
  // tsx's ESM entry (its package exports name index.mjs for import, index.cjs for require).
  const tsx = pathToFileURL(createRequire(here).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const entry = new URL("./check-worker.ts", here).href;
  return { filename: `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(entry)});`, eval: true };
}

export type CheckWorkerHost = {
  /** Starts the worker ahead of the first sweep (the scheduler's start). */
  warm(): void;
  /** Resolves once the worker started last is ready for sweeps, or has exited (at once without one). */
  whenReady(): Promise<void>;
  /** One sweep in the worker, starting with `initial` (rows the caller claimed; without it the worker claims them all). */
  sweep(initial?: Claimed[]): Promise<SweepSummary>;
  stop(): Promise<void>;
  readonly thread: Worker | null;
};

export function createCheckWorkerHost({
  env,
  encryptionKeys,
  allowHttp,
  logger,
  realtime,
  metrics,
}: {
  env: Env;
  encryptionKeys: EncryptionKey[];
  allowHttp: boolean;
  logger: Logger;
  realtime: Realtime;
  metrics?: Pick<Metrics, "checkCompleted">;
}): CheckWorkerHost {
  let worker: Worker | null = null;
  let stopping = false;
  let crashes = 0;
  let restartTimer: NodeJS.Timeout | null = null;
  let nextId = 1;
  let ready: Promise<void> = Promise.resolve();
  /** The sweep under way (one at a time), with the results posted so far. */
  let running: { id: number; results: CheckResult[]; started: number; resolve(summary: SweepSummary): void; reject(error: Error): void } | null = null;
  const publish = realtime.publish as (...args: unknown[]) => void;
  // With HEALTH_CHECK_MAX_LOOP_DELAY_MS the worker's sweeps are governed by this thread's loop
  // delay (see loop-governor.ts), measured here only while a sweep runs.
  const loopDelay = env.HEALTH_CHECK_MAX_LOOP_DELAY_MS > 0 ? createLoopDelayShare() : null;

  function onMessage(message: FromWorker): void {
    switch (message.type) {
      case "batch":
        for (const args of message.events) publish(...args);
        for (const [provider, result, seconds] of message.checks) metrics?.checkCompleted(provider, result, seconds);
        if (running) for (const r of message.results) running.results.push(r);
        return;
      case "log":
        relayLog(logger, message.line);
        return;
      case "ready":
        crashes = 0;
        return;
      case "swept":
        if (running?.id === message.id) {
          const { resolve, results } = running;
          running = null;
          loopDelay?.stop();
          resolve({ ...message.summary, results });
        }
        return;
      case "sweep-failed":
        if (running?.id === message.id) {
          const { reject } = running;
          running = null;
          loopDelay?.stop();
          reject(new Error(message.message));
        }
    }
  }

  function spawn(): Worker {
    const entry = workerEntry();
    const data: WorkerData = { env, encryptionKeys: encryptionKeys.map((k) => ({ id: k.id, key: new Uint8Array(k.key) })), allowHttp, ...(loopDelay ? { loopDelay: loopDelay.buffer } : {}) };
    const w = new Worker(entry.filename, { eval: entry.eval, workerData: data, name: "health-checks" });
    let settle!: () => void;
    ready = new Promise<void>((resolve) => (settle = resolve));
    w.on("message", (message: FromWorker) => {
      if (message.type === "ready") settle();
      onMessage(message);
    });
    w.on("error", (error) => logger.error({ err: error }, "the health check worker failed"));
    w.on("exit", (code) => {
      settle();
      if (worker !== w) return;
      worker = null;
      if (running) {
        // The sweep ends with what was written; the rows it had claimed and not written come
        // back when their leases run out.
        const { resolve, results, started } = running;
        running = null;
        loopDelay?.stop();
        resolve({ claimed: results.length, results, errors: 1, durationMs: Math.round(performance.now() - started), interrupted: true });
      }
      if (stopping) return;
      crashes++;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(crashes - 1, 6));
      logger.error({ exitCode: code, restartInMs: delay }, "the health check worker exited unexpectedly; restarting it (checks it had claimed are taken again when their leases expire)");
      restartTimer = setTimeout(() => {
        restartTimer = null;
        if (stopping || worker) return;
        worker = spawn();
        logger.info("health check worker restarted");
      }, delay);
      restartTimer.unref();
    });
    return w;
  }

  return {
    get thread() {
      return worker;
    },
    warm() {
      if (!stopping) worker ??= spawn();
    },
    whenReady() {
      return ready;
    },
    sweep(initial) {
      if (stopping) return Promise.resolve({ claimed: 0, results: [], errors: 0, durationMs: 0 });
      worker ??= spawn();
      const id = nextId++;
      const w = worker;
      return new Promise<SweepSummary>((resolve, reject) => {
        running = { id, results: [], started: performance.now(), resolve, reject };
        loopDelay?.start();
        w.postMessage({ type: "sweep", id, initial } satisfies ToWorker);
      });
    },
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const w = worker;
      if (!w) return;
      const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
      w.postMessage({ type: "stop" } satisfies ToWorker);
      const timer = setTimeout(() => {
        logger.warn({ timeoutMs: STOP_TIMEOUT_MS }, "the health check worker did not stop in time: terminated (its claimed checks come back when their leases expire)");
        void w.terminate();
      }, STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      worker = null;
    },
  };
}

/** A log line of the worker, logged again through this process's logger (same redaction, same destination). */
function relayLog(logger: Logger, line: string): void {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const { level, time: _time, pid: _pid, hostname: _hostname, msg, ...rest } = record;
  const label = (typeof level === "number" ? logger.levels.labels[level] : undefined) ?? "info";
  const log = (logger as unknown as Record<string, (obj: object, msg?: string) => void>)[label];
  log?.call(logger, { ...rest, thread: "health-checks" }, typeof msg === "string" ? msg : undefined);
}
