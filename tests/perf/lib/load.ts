// @ts-expect-error autocannon ships no types
import autocannon from "autocannon";
import { percentile } from "./stats.ts";

export type LoadResult = { latencies: number[]; seconds: number; rps: number; p50: number; p95: number; p99: number; requests: number; non2xx: number; errors: number; bytesPerRequest: number; /** answers by HTTP status */ statuses?: Record<string, number> };

/** Closed-loop HTTP load with autocannon (or at a fixed overall rate); latency percentiles from every response. */
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
        ...(options.rate ? { overallRate: options.rate } : {}),
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
