import { randomBytes } from "node:crypto";
import { startHost, type Host } from "../lib/child.ts";
import type { RunContext } from "../lib/context.ts";
import { load } from "../lib/load.ts";
import type { Connection } from "../lib/seed.ts";
import { sleep } from "../lib/stats.ts";
import { openSubscribers } from "../lib/subscribers.ts";
import { SUBSCRIPTION } from "./fanout.ts";
import { expireTokens, stampedeRequests } from "./stampede.ts";
import { checkCounts, makeDue, setFaults } from "./sweep.ts";

// Benchmark 6: event-loop delay inside one app process (perf_hooks.monitorEventLoopDelay,
// 1 ms resolution, in the process itself) while everything above happens at once, scaled to
// fit one process: read load on the small workspace (the dashboard's first page) and the
// 1,000-connection one (every page of 200 in turn, API key), a health event
// to 1,000 subscribers every 500 ms, a sweep of due connections against the 20 ms emulator,
// and a refresh stampede. Run twice: with and without the 1,000-connection read, to show which
// part sets the delay.

export type EldResult = {
  label: string;
  p50: number;
  p99: number;
  max: number;
  /** The same measurement in a bare Node process doing nothing, in the same window (the machine's share). */
  idle: { p50: number; p99: number; max: number };
  /** Garbage-collector pauses in the app during the window. */
  gc: { count: number; totalMs: number; maxMs: number; over20: number };
  /** The app process's CPU over the window (100 = one core busy throughout; the main thread can use at most one). */
  cpuPercent: number;
  seconds: number;
  reads: number;
  events: number;
  swept: number;
  stampede: { requests: number; healthy: number };
};

export async function benchEventLoop(
  ctx: RunContext,
  app: Host & { url: string },
  input: {
    small: { cookie: string; workspaceId: string };
    largeKey: string;
    /** The request bodies: the dashboard's first page (small workspace), and every page of the 1,000-connection one in turn (API key). */
    reads: { small: string; large: string[] };
    sweep: Connection[];
    stampede: Connection[];
    keys: Map<string, string>;
    seconds: number;
    withLarge: boolean;
    governed?: boolean;
  },
): Promise<EldResult> {
  await setFaults(ctx.emulator, { slack: { mode: "slow", delayMs: 20 } });
  await makeDue(ctx, input.sweep);
  await expireTokens(ctx, input.stampede);
  const subs = await openSubscribers({ url: app.url, count: 1000, protocol: "graphql-ws", headers: { cookie: input.small.cookie }, query: SUBSCRIPTION, concurrency: 64 });
  await sleep(500);
  const idle = await startHost("idle", "idle-host.ts", {});
  await Promise.all([app.call("eldStart", { resolution: 1 }), idle.call("eldStart", { resolution: 1 })]);
  const until = Date.now() + input.seconds * 1000;
  let events = 0;
  const publishing = (async () => {
    while (Date.now() < until) {
      const marker = `eld-${randomBytes(5).toString("hex")}`;
      await app.call("publish", { workspaceId: input.small.workspaceId, event: { integrationId: marker, workspaceId: input.small.workspaceId, providerId: "slack", status: "CONNECTED", healthStatus: "HEALTHY", healthMessage: null, errorCode: null, checkedAt: new Date().toISOString(), kind: "check" } });
      events++;
      await sleep(500);
    }
  })();
  const [small, large, sweep, stampede] = await Promise.all([
    load({ url: `${app.url}/graphql`, headers: { "content-type": "application/json", cookie: input.small.cookie }, body: input.reads.small, connections: 8, seconds: input.seconds }),
    input.withLarge ? load({ url: `${app.url}/graphql`, headers: { "content-type": "application/json", authorization: `Bearer ${input.largeKey}` }, bodies: input.reads.large, connections: 2, seconds: input.seconds }) : Promise.resolve(null),
    app.call<{ claimed: number }>("sweep", {}, 600_000),
    sleep(2000).then(() => Promise.all(stampedeRequests([app], input.stampede, input.keys, 4, 60_000))),
    publishing,
  ]);
  const [eld, idleEld] = await Promise.all([app.call<{ p50: number; p99: number; max: number; gc: EldResult["gc"]; cpuPercent: number }>("eldStop"), idle.call<EldResult["idle"]>("eldStop")]);
  await idle.stop();
  await subs.close();
  return {
    label: (input.withLarge ? "all at once" : "all at once, without the 1,000-connection read") + (input.governed ? ", sweep inline and governed (HEALTH_CHECK_WORKER=inline, HEALTH_CHECK_MAX_LOOP_DELAY_MS=20)" : ", checks in the worker thread (the default)"),
    p50: eld.p50,
    p99: eld.p99,
    max: eld.max,
    idle: idleEld,
    gc: eld.gc,
    cpuPercent: eld.cpuPercent,
    seconds: input.seconds,
    reads: small.requests + (large?.requests ?? 0),
    events,
    swept: sweep.claimed,
    stampede: { requests: stampede.length, healthy: stampede.filter((r) => r.status === "HEALTHY").length },
  };
}

/**
 * Benchmark 6b: checks off the serving event loop. The same app process, once with the sweep's
 * checks in a worker thread (HEALTH_CHECK_WORKER=thread, the default with DATABASE_URL) and once
 * on the serving thread (inline, the opt-out), each measured over the whole sweep of `sweep`
 * connections (the 20 ms Slack emulator) while 1,000 graphql-ws subscribers get a health event
 * every 500 ms and autocannon reads the dashboard's small workspace (8 connections of load).
 * The serving thread's delay is what the dashboard feels; the worker's own loop is not measured.
 */
/**
 * thread: the defaults (worker thread, yielding while the serving loop is late); eager: the worker
 * thread never yielding (HEALTH_CHECK_MAX_LOOP_DELAY_MS=0, the default before 2026-12-06 17:00);
 * inline: on the serving thread, never yielding (before issue 14); none: no sweep.
 */
export type OffLoopMode = "thread" | "eager" | "inline" | "none";

export async function benchChecksOffLoop(
  ctx: RunContext,
  app: Host & { url: string },
  input: { small: { cookie: string; workspaceId: string }; /** the dashboard's first-page request */ readBody: string; sweep: Connection[]; mode: OffLoopMode; seconds?: number },
): Promise<EldResult & { mode: OffLoopMode; checkedTwice: number; checkedOnce: number; sweepSeconds: number; readP99: number }> {
  await setFaults(ctx.emulator, { slack: { mode: "slow", delayMs: 20 } });
  // A sweep with nothing due first, as a scheduler's start does: the worker thread is up (and
  // the serving thread's sweep path warm) before the window opens.
  await app.call("sweep", {}, 120_000);
  if (input.mode !== "none") await makeDue(ctx, input.sweep);
  const subs = await openSubscribers({ url: app.url, count: 1000, protocol: "graphql-ws", headers: { cookie: input.small.cookie }, query: SUBSCRIPTION, concurrency: 64 });
  await sleep(500);
  const idle = await startHost("idle", "idle-host.ts", {});
  const started = Date.now();
  await Promise.all([app.call("eldStart", { resolution: 1 }), idle.call("eldStart", { resolution: 1 })]);
  const body = input.readBody;
  let done = false;
  let events = 0;
  const publishing = (async () => {
    while (!done) {
      const marker = `off-${randomBytes(5).toString("hex")}`;
      await app.call("publish", { workspaceId: input.small.workspaceId, event: { integrationId: marker, workspaceId: input.small.workspaceId, providerId: "slack", status: "CONNECTED", healthStatus: "HEALTHY", healthMessage: null, errorCode: null, checkedAt: new Date().toISOString(), kind: "check" } });
      events++;
      await sleep(500);
    }
  })();
  // The dashboard read, in 2-second rounds until the sweep is over.
  const reads: number[] = [];
  let readCount = 0;
  const reading = (async () => {
    while (!done) {
      const r = await load({ url: `${app.url}/graphql`, headers: { "content-type": "application/json", cookie: input.small.cookie }, body, connections: 8, seconds: 2 });
      readCount += r.requests;
      reads.push(...r.latencies);
    }
  })();
  // "none": the same window without a sweep, the floor the read and the subscribers set alone.
  const sweep = input.mode === "none" ? await sleep((input.seconds ?? 20) * 1000).then(() => ({ claimed: 0, durationMs: 0 })) : await app.call<{ claimed: number; durationMs: number }>("sweep", {}, 900_000);
  const [eld, idleEld] = await Promise.all([app.call<{ p50: number; p99: number; max: number; gc: EldResult["gc"]; cpuPercent: number }>("eldStop"), idle.call<EldResult["idle"]>("eldStop")]);
  done = true;
  await Promise.all([publishing, reading]);
  await idle.stop();
  await subs.close();
  const counts = input.mode === "none" ? { once: 0, twice: 0 } : await checkCounts(ctx, input.sweep);
  reads.sort((a, b) => a - b);
  return {
    label:
      input.mode === "none"
        ? "1,000 subscribers + dashboard read, no sweep (the floor of the two rows above)"
        : `${input.sweep.length.toLocaleString("en")}-connection sweep + 1,000 subscribers + dashboard read, checks ${
            input.mode === "thread"
              ? "off the loop, yielding while the serving loop is late (the defaults: HEALTH_CHECK_WORKER=thread, HEALTH_CHECK_MAX_LOOP_DELAY_MS=20)"
              : input.mode === "eager"
                ? "off the loop, never yielding (HEALTH_CHECK_WORKER=thread, HEALTH_CHECK_MAX_LOOP_DELAY_MS=0, the default before)"
                : "on the serving loop, never yielding (HEALTH_CHECK_WORKER=inline, HEALTH_CHECK_MAX_LOOP_DELAY_MS=0, before issue 14)"
          }`,
    mode: input.mode,
    p50: eld.p50,
    p99: eld.p99,
    max: eld.max,
    idle: idleEld,
    gc: eld.gc,
    cpuPercent: eld.cpuPercent,
    seconds: Math.round((Date.now() - started) / 1000),
    reads: readCount,
    events,
    swept: sweep.claimed,
    stampede: { requests: 0, healthy: 0 },
    checkedOnce: counts.once,
    checkedTwice: counts.twice,
    sweepSeconds: sweep.durationMs / 1000,
    readP99: reads.length ? reads[Math.min(reads.length - 1, Math.floor(reads.length * 0.99))]! : 0,
  };
}
