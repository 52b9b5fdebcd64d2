import { readlinkSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setPriority } from "node:os";
import { Writable } from "node:stream";
import { parentPort, workerData } from "node:worker_threads";
import { createDatabase } from "../db/index.ts";
import { createLogger } from "../logger.ts";
import { loadCatalog, type SandboxWiring } from "../providers/catalog.ts";
import { sandboxClient, sandboxEndpoints, type SandboxProviderId } from "../sandbox/index.ts";
import { createVault } from "../domain/vault/vault.ts";
import { outboundFetch } from "../http/outbound.ts";
import type { Realtime } from "../realtime/pubsub.ts";
import type { CheckResult } from "../domain/health/check-integration.ts";
import { readLoopDelay } from "./loop-governor.ts";
import { runSweep, type Claimed, type SweepStop, type SweepSummary } from "./health-scheduler.ts";
import type { FromWorker, ToWorker, WorkerData } from "./check-worker-host.ts";

// The check worker: a thread of the serving process that runs the health scheduler's sweeps
// (health-scheduler.ts runSweep: SKIP LOCKED claims with leases, checks, batched writes) with
// its own Postgres pool, refresh lock pool and outbound HTTP, so the checks never hold the event
// loop that answers HTTP and WebSocket traffic. The refresh's single flight holds across threads
// because it is a Postgres advisory lock (domain/integrations/lock.ts), taken on this thread's
// own lock pool. Events, metrics and results go back to the serving thread in batches
// (check-worker-host.ts), which publishes them on its pub/sub.

/**
 * The worker thread's scheduling priority (Linux nice, 0 = the serving thread's). Not lowered:
 * a check's latency is measured on this thread, and at nice 19 a busy machine starved it enough
 * that answering providers read as slow or timed out (health.test.ts under three busy loops:
 * 4 of 12 failed at nice 19, 0 inline). A verdict must not depend on the host's load; the
 * serving thread is protected by the thread boundary itself, not by starving the checks. Nice 10
 * was measured too (offloop benchmark, issue 14, back to back with nice 0 on a quiet machine): the
 * serving thread's p99 was 31.3 ms against 30.5 ms, no gain: on two cores it waits as much for
 * Postgres and the provider (here the emulator) as for this thread.
 */
const WORKER_NICE = 0;

const port = parentPort!;
const { env, encryptionKeys, allowHttp, loopDelay } = workerData as WorkerData;
// The serving thread's event-loop delay, shared while a sweep runs (HEALTH_CHECK_MAX_LOOP_DELAY_MS set).
const servingLoopDelay = loopDelay ? readLoopDelay(loopDelay) : undefined;
const post = (message: FromWorker) => port.postMessage(message);

// Log lines go to the serving thread's logger (its destination and redaction).
const logger = createLogger({
  level: env.LOG_LEVEL,
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      post({ type: "log", line: chunk.toString() });
      done();
    },
  }),
});

// Linux lets a thread have a priority of its own: its id is the last part of /proc/thread-self.
// Elsewhere (or when refused) the worker runs at the process's priority.
try {
  setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), WORKER_NICE);
} catch (error) {
  logger.debug({ reason: error instanceof Error ? error.message : String(error) }, "the check worker runs at the process's priority");
}

const sandboxWiring: SandboxWiring = {
  endpoints: (publicUrl) => sandboxEndpoints(publicUrl),
  client: (id) => sandboxClient(id as SandboxProviderId),
};

// What goes back to the serving thread, sent every few milliseconds rather than per check.
let events: unknown[][] = [];
let checks: [string, string, number][] = [];
let results: CheckResult[] = [];
let flushTimer: NodeJS.Timeout | null = null;
function flush(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = null;
  if (events.length === 0 && checks.length === 0 && results.length === 0) return;
  post({ type: "batch", events, checks, results });
  events = [];
  checks = [];
  results = [];
}
function soon(): void {
  flushTimer ??= setTimeout(flush, 100);
}

const realtime = {
  publish: (...args: unknown[]) => {
    events.push(args);
    soon();
  },
  subscribe: () => {
    throw new Error("the check worker does not subscribe");
  },
  close: async () => {},
} as unknown as Realtime;

const db = await createDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR, poolSize: env.DATABASE_POOL_SIZE });
const vault = createVault(encryptionKeys.map((k) => ({ id: k.id, key: Buffer.from(k.key) })));
const catalog = loadCatalog(env, env.sandboxEnabled ? sandboxWiring : undefined);
const services = { env, db, prisma: db.prisma, vault, catalog, realtime, logger, allowHttp };
const metrics = {
  checkCompleted(provider: string, result: string, seconds: number) {
    checks.push([provider, result, seconds]);
    soon();
  },
};

const stop: SweepStop = { requested: false };
let current: Promise<unknown> | null = null;

async function sweep(id: number, initial: Claimed[] | undefined): Promise<void> {
  try {
    const summary: SweepSummary = await runSweep({
      services,
      metrics,
      stop,
      // This thread's checks do not hold the serving loop, but they take CPU it may need: with
      // HEALTH_CHECK_MAX_LOOP_DELAY_MS they yield when the serving thread's loop is late.
      governed: servingLoopDelay !== undefined,
      loopDelayMs: servingLoopDelay,
      initial,
      onWritten: (written) => {
        for (const r of written) results.push(r);
        soon();
      },
    });
    flush();
    post({ type: "swept", id, summary: { claimed: summary.claimed, errors: summary.errors, durationMs: summary.durationMs } });
  } catch (error) {
    logger.error({ err: error }, "health sweep failed");
    flush();
    post({ type: "sweep-failed", id, message: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * One HTTP round trip through the outbound client to a server of this thread's own on loopback:
 * a thread's first real request pays for the client's first use (HTTP parser, agent, sockets;
 * measured: ~15 ms with fetch on an idle 2-core machine, ~90 ms on a loaded one, a few ms with
 * node:http), which is otherwise added to the latency of the worker's first checks.
 */
async function warmHttp(): Promise<void> {
  const server = createServer((_req, res) => res.end("ok"));
  try {
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await (await outboundFetch(`http://127.0.0.1:${port}/`, {}, { timeoutMs: 10_000 })).text();
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

// Warm up what every first check would otherwise pay for on this new thread (the pool's first
// connection, the outbound HTTP client, the cipher), so a first check is not reported slow for
// it. Sweeps are taken (and their checks timed) only after this, once "ready" is posted.
await Promise.all([
  db.prisma.integration.findFirst({ where: { id: "warm-up" }, select: { id: true } }).catch(() => {}),
  warmHttp().catch(() => {}),
  Promise.resolve().then(() => vault.open(vault.seal("warm-up", { table: "integration", rowId: "warm-up", field: "accessTokenEnc" }), { table: "integration", rowId: "warm-up", field: "accessTokenEnc" })),
]).catch(() => {});

port.on("message", (message: ToWorker) => {
  if (message.type === "sweep") {
    current = sweep(message.id, message.initial).finally(() => (current = null));
  } else if (message.type === "stop") {
    stop.requested = true;
    void (async () => {
      await current;
      flush();
      await db.close().catch(() => {});
      process.exit(0);
    })();
  }
});
post({ type: "ready" });
