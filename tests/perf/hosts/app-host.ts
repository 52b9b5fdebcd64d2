// One Switchboard replica, as `main.ts` composes it (buildApp + listen), in its own process,
// with measuring commands over IPC: CPU and heap of this process, event-loop delay, memory
// sampled over a window, one health event published, one health sweep, an API key created.
import { PerformanceObserver, monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { parseEnv } from "@switchboard/api/env";
import { buildApp } from "@switchboard/api/app";
import { createWorkspaceApiKey } from "@switchboard/api/auth/api-keys";
import { markCpu, serveIpc } from "../lib/child.ts";

const env = parseEnv(process.env);
const app = await buildApp({ env });
await app.listen(env.PORT, "127.0.0.1");

let eld: IntervalHistogram | null = null;
// Garbage-collector pauses during an eldStart/eldStop window (the main thread stops for them).
let gcPauses: number[] | null = null;
let eldWindow = { cpu: process.cpuUsage(), at: performance.now() };
new PerformanceObserver((list) => {
  if (gcPauses) for (const entry of list.getEntries()) gcPauses.push(entry.duration);
}).observe({ entryTypes: ["gc"] });
type Memory = { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
let memWatch: { timer: NodeJS.Timeout; samples: number; peak: Memory } | null = null;
const sweeps: { claimed: number; errors: number; durationMs: number; startedAt: number; endedAt: number }[] = [];

serveIpc(
  {
    ping: () => "pong",
    /** heapUsed after a full collection. */
    heap: () => {
      (globalThis as { gc?: () => void }).gc?.();
      (globalThis as { gc?: () => void }).gc?.();
      return process.memoryUsage().heapUsed;
    },
    // cpuSince (lib/child.ts) counts from here too.
    publish: ({ workspaceId, event }: { workspaceId: string; event: Record<string, unknown> }) => {
      markCpu();
      const t0 = performance.timeOrigin + performance.now();
      app.realtime.publish("health:workspace", workspaceId, event as never);
      return { t0 };
    },
    sweep: async ({ startAt }: { startAt?: number } = {}) => {
      if (startAt) await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
      const startedAt = Date.now();
      const cpu = process.cpuUsage();
      const summary = await app.scheduler.sweep();
      const c = process.cpuUsage(cpu);
      const s = { claimed: summary.claimed, errors: summary.errors, durationMs: summary.durationMs, startedAt, endedAt: Date.now(), cpuMs: (c.user + c.system) / 1000 };
      sweeps.push(s);
      return s;
    },
    eldStart: ({ resolution = 1 }: { resolution?: number } = {}) => {
      eld?.disable();
      eld = monitorEventLoopDelay({ resolution });
      eld.enable();
      gcPauses = [];
      eldWindow = { cpu: process.cpuUsage(), at: performance.now() };
      return true;
    },
    eldStop: () => {
      if (!eld) throw new Error("eldStart first");
      eld.disable();
      const h = eld;
      eld = null;
      const pauses = (gcPauses ?? []).sort((a, b) => a - b);
      gcPauses = null;
      const gc = { count: pauses.length, totalMs: pauses.reduce((a, b) => a + b, 0), maxMs: pauses.at(-1) ?? 0, over20: pauses.filter((d) => d > 20).length };
      const used = process.cpuUsage(eldWindow.cpu);
      // CPU time of the process over the window's wall time: 100% is one core busy throughout.
      const cpuPercent = ((used.user + used.system) / 1000 / (performance.now() - eldWindow.at)) * 100;
      return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, mean: h.mean / 1e6, count: h.count, gc, cpuPercent };
    },
    /** process.memoryUsage() now, without a collection first. */
    memory: () => process.memoryUsage(),
    /** Samples process.memoryUsage() every `intervalMs` until memWatchStop, keeping each field's peak. */
    memWatchStart: ({ intervalMs = 10 }: { intervalMs?: number } = {}) => {
      if (memWatch) clearInterval(memWatch.timer);
      const sample = () => {
        const m = process.memoryUsage();
        const w = memWatch!;
        w.samples++;
        w.peak = { rss: Math.max(w.peak.rss, m.rss), heapUsed: Math.max(w.peak.heapUsed, m.heapUsed), heapTotal: Math.max(w.peak.heapTotal, m.heapTotal), external: Math.max(w.peak.external, m.external), arrayBuffers: Math.max(w.peak.arrayBuffers, m.arrayBuffers) };
      };
      memWatch = { timer: setInterval(sample, intervalMs), samples: 0, peak: { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 } };
      sample();
      return true;
    },
    memWatchStop: () => {
      if (!memWatch) throw new Error("memWatchStart first");
      clearInterval(memWatch.timer);
      const m = process.memoryUsage();
      const { peak, samples } = memWatch;
      memWatch = null;
      return { peak: { rss: Math.max(peak.rss, m.rss), heapUsed: Math.max(peak.heapUsed, m.heapUsed), heapTotal: Math.max(peak.heapTotal, m.heapTotal), external: Math.max(peak.external, m.external), arrayBuffers: Math.max(peak.arrayBuffers, m.arrayBuffers) }, samples: samples + 1 };
    },
    /** A workspace API key (owner's role), `read` unless other permissions are given (issue 15: proxy, credentials). */
    apiKey: async ({ userId, workspaceId, permissions }: { userId: string; workspaceId: string; permissions?: ("read" | "proxy" | "credentials")[] }) => {
      const created = await createWorkspaceApiKey({ auth: app.auth, prisma: app.db.prisma, userId, workspaceId, name: "perf", ...(permissions ? { permissions } : {}) });
      return created.key;
    },
  },
  () => app.close(),
);
process.send!({ ready: { port: env.PORT, pid: process.pid } });
