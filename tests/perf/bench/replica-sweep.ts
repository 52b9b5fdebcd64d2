import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startHost, type Host } from "../lib/child.ts";
import { REDIS_URL, type RunContext } from "../lib/context.ts";
import type { Connection } from "../lib/seed.ts";
import { checkCounts, makeDue, setFaults, type Stats } from "./sweep.ts";

// Benchmark 4b: one sweep of N due Slack connections (the emulator answering after 20 ms) by R
// app replicas on one Postgres and one Redis, started at the same moment, against the
// emulator's capacity for the same calls from R bare loops (hosts/fetch-loop-host.ts) with the
// same concurrency each, started together, half before and half after the sweep. Every
// connection must be checked exactly once.

export type ReplicaSweepResult = {
  connections: number;
  replicas: number;
  workspaces: number;
  concurrency: number;
  system: { perSecond: number; seconds: number; claimedPerReplica: number[]; cpuSecondsPerReplica: number[]; errors: number };
  baseline: { perSecond: number; seconds: number; calls: number; processes: number; cpuSecondsPerProcess: number[] };
  checkedOnce: number;
  checkedTwice: number;
  calls: { system: number; baseline: number };
  outcomes: Record<string, number>;
};

const slackCalls = (s: Stats) => s.slack.apiCalls;

export async function benchReplicaSweep(
  ctx: RunContext,
  input: { connections: Connection[]; workspaces: number; replicas: number; concurrency: number; baselineCalls: number; log: (m: string) => void },
): Promise<ReplicaSweepResult> {
  await setFaults(ctx.emulator, { slack: { mode: "slow", delayMs: 20 } });
  // The product: default settings but REDIS_URL (events between replicas), as docker-compose.yml
  // runs them. Each first runs a sweep with nothing due, as a scheduler's start does: its check
  // worker thread is up and warm before the measured sweep, as in a running deployment (it
  // starts once per process, not once per sweep).
  const apps = await Promise.all(Array.from({ length: input.replicas }, (_, i) => ctx.startApp(`sweeper-${input.replicas}-${i}`, { REDIS_URL, HEALTH_CHECK_CONCURRENCY: String(input.concurrency) })));
  await Promise.all(apps.map((a) => a.call("sweep", {}, 120_000)));
  await makeDue(ctx, input.connections);
  await ctx.db.query("ANALYZE \"integration\"");

  // The baseline: the same call (auth.test with each connection's token) from as many bare
  // loops as replicas, each with the same concurrency, started together, over a share of the
  // connections spread across the whole set (a rate: it needs no 100,000 calls). Half of it
  // runs before the replicas' sweep and half after, so drift on a shared machine hits both.
  const step = Math.max(1, Math.floor(input.connections.length / input.baselineCalls));
  const sample = input.connections.filter((_, i) => i % step === 0).slice(0, input.baselineCalls);
  const halves = [sample.filter((_, i) => i % 2 === 0), sample.filter((_, i) => i % 2 === 1)];
  const baseline: { done: number; seconds: number; cpuMs: number[]; counted: number }[] = [];
  const runBaseline = async (items: Connection[]) => {
    input.log(`  emulator capacity: ${items.length.toLocaleString("en")} calls from ${input.replicas} bare loops`);
    const loops: Host[] = [];
    const files: string[] = [];
    const before = await ctx.emulator.call<Stats>("stats");
    try {
      for (let i = 0; i < input.replicas; i++) {
        const file = join(ctx.dir, `replica-sweep-items-${i}.json`);
        writeFileSync(file, JSON.stringify(items.filter((_, k) => k % input.replicas === i).map((c) => ({ provider: c.providerId, accessToken: c.tokens.accessToken }))));
        const loop = await startHost(`fetch-loop-${i}`, "fetch-loop-host.ts", {});
        ctx.hosts.add(loop);
        loops.push(loop);
        files.push(file);
      }
      const t0 = performance.now();
      const runs = await Promise.all(loops.map((l, i) => l.call<{ done: number; durationMs: number; cpuMs: number }>("run", { file: files[i], base: ctx.emulatorUrl, concurrency: input.concurrency }, 900_000)));
      const seconds = (performance.now() - t0) / 1000;
      const after = await ctx.emulator.call<Stats>("stats");
      baseline.push({ done: runs.reduce((a, b) => a + b.done, 0), seconds, cpuMs: runs.map((r) => r.cpuMs), counted: slackCalls(after) - slackCalls(before) });
    } finally {
      for (const l of loops) {
        ctx.hosts.delete(l);
        await l.stop();
      }
    }
  };
  await runBaseline(halves[0]!);

  let sweeps: { claimed: number; errors: number; startedAt: number; endedAt: number; cpuMs: number }[];
  const s0 = await ctx.emulator.call<Stats>("stats");
  try {
    const startAt = Date.now() + 1500;
    input.log(`  ${input.replicas} replicas sweep ${input.connections.length.toLocaleString("en")} due connections`);
    sweeps = await Promise.all(apps.map((a) => a.call<{ claimed: number; errors: number; startedAt: number; endedAt: number; cpuMs: number }>("sweep", { startAt }, 1_800_000)));
  } finally {
    await Promise.all(apps.map((a) => a.stop()));
  }
  const s1 = await ctx.emulator.call<Stats>("stats");
  const seconds = (Math.max(...sweeps.map((s) => s.endedAt)) - Math.min(...sweeps.map((s) => s.startedAt))) / 1000;
  const counts = await checkCounts(ctx, input.connections);
  const outcomes = Object.fromEntries(
    (await ctx.db.query<{ k: string; n: string }>(`SELECT "status"::text || '/' || "healthStatus"::text AS k, count(*) AS n FROM "integration" WHERE id = ANY($1::text[]) GROUP BY 1`, [input.connections.map((c) => c.id)])).map((r) => [r.k, Number(r.n)]),
  );

  await runBaseline(halves[1]!);
  const done = baseline.reduce((a, b) => a + b.done, 0);
  const baseSeconds = baseline.reduce((a, b) => a + b.seconds, 0);
  const cpuPerProcess = baseline[0]!.cpuMs.map((_, i) => baseline.reduce((a, b) => a + (b.cpuMs[i] ?? 0), 0) / 1000);
  return {
    connections: input.connections.length,
    replicas: input.replicas,
    workspaces: input.workspaces,
    concurrency: input.concurrency,
    system: {
      perSecond: input.connections.length / seconds,
      seconds,
      claimedPerReplica: sweeps.map((s) => s.claimed),
      cpuSecondsPerReplica: sweeps.map((s) => s.cpuMs / 1000),
      errors: sweeps.reduce((a, s) => a + s.errors, 0),
    },
    baseline: { perSecond: done / baseSeconds, seconds: baseSeconds, calls: done, processes: input.replicas, cpuSecondsPerProcess: cpuPerProcess },
    checkedOnce: counts.once,
    checkedTwice: counts.twice,
    calls: { system: slackCalls(s1) - slackCalls(s0), baseline: baseline.reduce((a, b) => a + b.counted, 0) },
    outcomes,
  };
}
