import { Agent, request } from "node:http";
// @ts-expect-error autocannon ships no types
import autocannon from "autocannon";
import { startHost, type Host } from "./child.ts";
import { percentile } from "./stats.ts";

export type LoadResult = {
  latencies: number[];
  seconds: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  bytesPerRequest: number;
  /** answers by HTTP status */ statuses?: Record<string, number>;
  /** The load generator's own event-loop delay during the load (ms): a client that stalls charges its stall to the server it measures. */
  client?: { loopP99: number; loopMax: number };
};

export type LoadOptions = {
  url: string;
  /** POST unless given (GET: no body). */
  method?: string;
  headers: Record<string, string>;
  /** One body, or several that each connection sends in turn (pages), looping. */
  body?: string;
  bodies?: string[];
  connections: number;
  seconds: number;
  /** a fixed number of requests instead of a duration (slow answers) */ amount?: number;
  /** Requests per second over all connections, open loop (openLoop below); unset: as fast as answers come back. */
  rate?: number;
};

/**
 * HTTP load, generated in a process of its own (hosts/load-host.ts, started on first use and
 * shared by the run): closed loop with autocannon, or, with `rate`, open loop at evenly spaced
 * times. Not in the runner: its heap holds every benchmark's seeded rows and tokens, and its
 * major collections (20–40 ms, found 2026-12-06 with a trace of its GC beside each call's
 * latency) paused the client mid-round. An open-loop client paused for 30 ms then sends the calls
 * that fell due together, and the side that happened to be measured took a 100 ms tail that was
 * the client's (benchmark 9's p99 at 2.2x and 3.4x after benchmark 1's seeding with the client
 * here, 1.09x with it in its own process).
 */
export async function load(options: LoadOptions): Promise<LoadResult> {
  loadHost ??= startHost("load", "load-host.ts", {});
  const host = await loadHost;
  // At most 10 minutes of load per call (the longest benchmark round is far shorter).
  return host.call<LoadResult>("load", options, 600_000);
}

let loadHost: Promise<Host> | null = null;

/** Stops the load generator's process (the run's end; a later load() starts a new one). */
export async function stopLoadHost(): Promise<void> {
  const host = loadHost;
  loadHost = null;
  if (host) await (await host).stop();
}

/**
 * HTTP load in this process (the load host's side): closed loop with autocannon (each
 * connection sends its next request when the last answer arrives), or, with `rate`, open loop.
 */
export function loadHere(options: LoadOptions): Promise<LoadResult> {
  if (options.rate) return openLoop({ ...options, rate: options.rate });
  const method = options.method ?? "POST";
  const bodies = method === "GET" || method === "HEAD" ? [undefined] : (options.bodies ?? [options.body!]);
  const latencies: number[] = [];
  let non2xx = 0;
  let bytes = 0;
  const statuses: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method,
        headers: options.headers,
        ...(bodies.length === 1 ? (bodies[0] === undefined ? {} : { body: bodies[0] }) : { requests: bodies.map((body) => ({ method, body })) }),
        connections: options.connections,
        ...(options.amount ? { amount: options.amount } : { duration: options.seconds }),
        pipelining: 1,
        timeout: 60,
      },
      (error: Error | null, result: any) => {
        if (error) return reject(error);
        resolve({
          latencies,
          seconds: result.duration,
          rps: result.requests.total / result.duration,
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          p99: percentile(latencies, 99),
          requests: result.requests.total,
          non2xx,
          errors: result.errors + result.timeouts,
          bytesPerRequest: latencies.length ? bytes / latencies.length : 0,
          statuses,
        });
      },
    );
    instance.on("response", (_client: unknown, status: number, resBytes: number, responseTime: number) => {
      latencies.push(responseTime);
      statuses[status] = (statuses[status] ?? 0) + 1;
      bytes += resBytes;
      if (status < 200 || status > 299) non2xx++;
    });
  });
}

/** Several runs of one server as one: requests over total time, percentiles over every response. */
export function combine(runs: LoadResult[]): LoadResult {
  const latencies = runs.flatMap((r) => r.latencies);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  return {
    latencies,
    seconds,
    rps: requests / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    requests,
    non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    bytesPerRequest: runs.reduce((a, r) => a + r.bytesPerRequest * r.requests, 0) / Math.max(1, requests),
    statuses: runs.reduce<Record<string, number>>((a, r) => {
      for (const [k, v] of Object.entries(r.statuses ?? {})) a[k] = (a[k] ?? 0) + v;
      return a;
    }, {}),
    // The worst round's client delay.
    ...(runs.some((r) => r.client) ? { client: { loopP99: Math.max(...runs.map((r) => r.client?.loopP99 ?? 0)), loopMax: Math.max(...runs.map((r) => r.client?.loopMax ?? 0)) } } : {}),
  };
}

/**
 * Open-loop load at a fixed rate: request i is due at start + i/rate, whatever happened to the
 * ones before it, over kept-alive sockets (at most `connections` at once; a request that finds
 * them all busy waits for one). Latency runs from the time a request was due, not from when it
 * went out, so a server (or a machine) that falls behind is charged for the wait it caused (as
 * wrk2 measures, "coordinated omission" corrected).
 *
 * Why not autocannon's overallRate: it gives each connection a quota per second and a 1-second
 * interval, so every connection sends back to back until its quota is spent and then waits for
 * the next second. The load comes in bursts at the closed loop's full concurrency, and "latency
 * at a fixed rate" was latency at saturation for the first part of every second (found
 * 2026-12-06: at 330 requests/s, 16 connections and a 20 ms answer, the proxied p50 was the
 * closed loop's).
 */
function openLoop(options: { url: string; method?: string; headers: Record<string, string>; body?: string; bodies?: string[]; connections: number; seconds: number; amount?: number; rate: number }): Promise<LoadResult> {
  const method = options.method ?? "POST";
  const bodies = method === "GET" || method === "HEAD" ? [undefined] : (options.bodies ?? [options.body!]);
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections, maxFreeSockets: options.connections });
  const total = options.amount ?? Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let non2xx = 0;
  let errors = 0;
  let bytes = 0;
  let sent = 0;
  let settled = 0;
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      agent.destroy();
      const seconds = (performance.now() - started) / 1000;
      resolve({ latencies, seconds, rps: latencies.length / seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), requests: latencies.length, non2xx, errors, bytesPerRequest: latencies.length ? bytes / latencies.length : 0, statuses });
    };
    const done = () => {
      if (++settled === total) finish();
    };
    const send = (due: number, body: string | undefined) => {
      const req = request({ hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: { ...options.headers, ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }) }, agent }, (res) => {
        let size = 0;
        res.on("data", (chunk: Buffer) => (size += chunk.length));
        res.on("end", () => {
          latencies.push(performance.now() - due);
          const status = res.statusCode ?? 0;
          statuses[status] = (statuses[status] ?? 0) + 1;
          bytes += size;
          if (status < 200 || status > 299) non2xx++;
          done();
        });
        res.on("error", () => (errors++, done()));
      });
      req.setTimeout(60_000, () => req.destroy());
      req.on("error", () => (errors++, done()));
      req.end(body);
    };
    // Sends whatever is due, then sleeps until the next one is (timers fire late, never early:
    // the requests a late timer finds due all go at once, each timed from its own due time).
    const tick = () => {
      const now = performance.now();
      while (sent < total && started + sent * interval <= now) {
        send(started + sent * interval, bodies[sent % bodies.length]);
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, started + sent * interval - performance.now()));
    };
    tick();
  });
}
