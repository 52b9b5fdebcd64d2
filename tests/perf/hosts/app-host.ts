// One Switchboard replica, as `main.ts` composes it (buildApp + listen), in its own process,
// with measuring commands over IPC: CPU and heap of this process, event-loop delay, one health
// event published, one health sweep, an API key created.
import { PerformanceObserver, monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { parseEnv } from "@switchboard/api/env";
import { buildApp } from "@switchboard/api/app";
import { createWorkspaceApiKey } from "@switchboard/api/auth/api-keys";
import { serveIpc } from "../lib/child.ts";

const env = parseEnv(process.env);
const app = await buildApp({ env });
await app.listen(env.PORT, "127.0.0.1");

let cpuMark = process.cpuUsage();
let eld: IntervalHistogram | null = null;
// Garbage-collector pauses during an eldStart/eldStop window (the main thread stops for them).
let gcPauses: number[] | null = null;
let eldWindow = { cpu: process.cpuUsage(), at: performance.now() };
new PerformanceObserver((list) => {
  if (gcPauses) for (const entry of list.getEntries()) gcPauses.push(entry.duration);
}).observe({ entryTypes: ["gc"] });
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
    cpuMark: () => {
      cpuMark = process.cpuUsage();
      return true;
    },
    /** CPU microseconds (user + system) of this process since the last mark or publish. */
    cpuSince: () => {
      const d = process.cpuUsage(cpuMark);
      return d.user + d.system;
    },
    publish: ({ workspaceId, event }: { workspaceId: string; event: Record<string, unknown> }) => {
      cpuMark = process.cpuUsage();
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
    apiKey: async ({ userId, workspaceId }: { userId: string; workspaceId: string }) => {
      const created = await createWorkspaceApiKey({ auth: app.auth, prisma: app.db.prisma, userId, workspaceId, name: "perf" });
      return created.key;
    },
  },
  () => app.close(),
);
process.send!({ ready: { port: env.PORT, pid: process.pid } });
