import { Agent, request } from "node:http";
// @ts-expect-error autocannon ships no types
import autocannon from "autocannon";
import { percentile } from "./stats.ts";

export type LoadResult = { latencies: number[]; seconds: number; rps: number; p50: number; p95: number; p99: number; requests: number; non2xx: number; errors: number; bytesPerRequest: number; /** answers by HTTP status */ statuses?: Record<string, number> };

/**
 * HTTP load: closed loop with autocannon (each connection sends its next request when the last
 * answer arrives), or, with `rate`, open loop at evenly spaced times (openLoop below).
 */
export function load(options: {
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
  /** Requests per second over all connections (autocannon's overallRate); unset: as fast as answers come back. */
  rate?: number;
}): Promise<LoadResult> {
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
