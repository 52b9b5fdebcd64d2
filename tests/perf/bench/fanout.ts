import { randomBytes } from "node:crypto";
import { freePort } from "../../support/app.ts";
import { startHost, type Host } from "../lib/child.ts";
import type { RunContext } from "../lib/context.ts";
import { median, percentile, sleep } from "../lib/stats.ts";
import { openSubscribers } from "../lib/subscribers.ts";

// Benchmark 3: one health event to N graphql-ws subscribers of one workspace (one subscription
// per socket, authenticated by the session cookie on the upgrade, as the dashboard does),
// against a raw `ws` server broadcasting the same pre-serialised `next` message to N sockets.
// Both servers run in child processes; latency is measured from the moment the server process
// publishes to each socket's arrival in this process (one machine, one clock).

export const SUBSCRIPTION = `subscription HealthEvents($integrationId: ID) {
  healthStatus(integrationId: $integrationId) { integrationId providerId kind status healthStatus checkedAt }
}`;

export type FanoutSide = { received: number; expected: number; p50: number; p99: number; max: number; cpuMsPerEvent: number; heapPerSocketBytes: number; connectSeconds: number };
export type FanoutResult = { size: number; system: FanoutSide; baseline: FanoutSide };

function event(marker: string, workspaceId: string) {
  return { integrationId: marker, workspaceId, providerId: "slack", status: "CONNECTED", healthStatus: "HEALTHY", healthMessage: null, errorCode: null, checkedAt: new Date().toISOString(), kind: "check" };
}

/** The exact bytes graphql-ws sends for that event with the dashboard's selection. */
function nextMessage(e: ReturnType<typeof event>): string {
  const { integrationId, providerId, kind, status, healthStatus, checkedAt } = e;
  return JSON.stringify({ id: "1", type: "next", payload: { data: { healthStatus: { integrationId, providerId, kind: kind.toUpperCase(), status, healthStatus, checkedAt } } } });
}

type Window = { start(): Promise<void>; stop(): Promise<void> };

async function side(kind: "system" | "baseline", host: Host, url: string, size: number, events: number, who: { cookie: string; workspaceId: string }, window?: Window): Promise<FanoutSide> {
  const heap0 = await host.call<number>("heap");
  const started = performance.now();
  const subs = await openSubscribers({ url, count: size, protocol: kind === "system" ? "graphql-ws" : "raw", headers: { cookie: who.cookie }, query: SUBSCRIPTION, concurrency: 64 });
  const connectSeconds = (performance.now() - started) / 1000;
  const send = async (marker: string) => {
    const e = event(marker, who.workspaceId);
    return kind === "system" ? host.call<{ t0: number }>("publish", { workspaceId: who.workspaceId, event: e }) : host.call<{ t0: number }>("broadcast", { message: nextMessage(e) });
  };
  try {
    // graphql-ws does not acknowledge a subscribe: publish until every subscriber has one.
    for (let attempt = 0; ; attempt++) {
      const marker = `warm-${randomBytes(6).toString("hex")}`;
      const wait = subs.expect(marker, 5000);
      await send(marker);
      const r = await wait;
      if (r.received === size) break;
      if (attempt >= 5) throw new Error(`${kind}: only ${r.received}/${size} subscribers are live`);
      await sleep(500);
    }
    const heap1 = await host.call<number>("heap");
    const latencies: number[] = [];
    const cpu: number[] = [];
    let received = 0;
    await window?.start();
    for (let e = 0; e < events; e++) {
      const marker = `evt-${size}-${e}-${randomBytes(6).toString("hex")}`;
      const wait = subs.expect(marker, 20_000);
      const { t0 } = await send(marker);
      const r = await wait;
      await sleep(30); // let the server finish writing before reading its CPU time
      cpu.push((await host.call<number>("cpuSince")) / 1000);
      received += r.received;
      for (const at of r.arrivals) if (at > 0) latencies.push(at - t0);
      await sleep(100);
    }
    await window?.stop();
    return { received, expected: size * events, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: percentile(latencies, 100), cpuMsPerEvent: median(cpu), heapPerSocketBytes: (heap1 - heap0) / size, connectSeconds };
  } finally {
    await subs.close();
    await sleep(500);
  }
}

export async function benchFanout(ctx: RunContext, app: Host & { url: string }, who: { cookie: string; workspaceId: string }, sizes: number[], events: number, window?: Window): Promise<FanoutResult[]> {
  const port = await freePort();
  const raw = await startHost("raw-ws", "raw-ws-host.ts", { PORT: String(port) });
  ctx.hosts.add(raw);
  const out: FanoutResult[] = [];
  try {
    for (const size of sizes) {
      const baseline = await side("baseline", raw, `http://127.0.0.1:${port}`, size, events, who);
      const system = await side("system", app, app.url, size, events, who, window);
      out.push({ size, system, baseline });
    }
  } finally {
    ctx.hosts.delete(raw);
    await raw.stop();
  }
  return out;
}
