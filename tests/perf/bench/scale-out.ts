import type { Host } from "../lib/child.ts";
import { REDIS_URL, type RunContext } from "../lib/context.ts";
import type { Connection } from "../lib/seed.ts";
import { sleep } from "../lib/stats.ts";
import { openSubscribers, type Subscribers } from "../lib/subscribers.ts";
import { SUBSCRIPTION } from "./fanout.ts";
import { checkCounts, makeDue, setFaults } from "./sweep.ts";

// Benchmark 7: 1, 2 and 3 app processes on one Postgres and one Redis sweep the same due
// connections (Slack in the emulator, 20 ms) starting at the same moment. Each replica also
// holds graphql-ws subscribers of a few watched workspaces (API keys) and of a workspace with
// nothing due: every subscriber on every replica must receive exactly its workspace's events,
// whichever replica ran the check.

export type ScaleOutRun = { replicas: number; perSecond: number; seconds: number; claimedPerReplica: number[]; cpuSecondsPerReplica: number[]; checkedOnce: number; checkedTwice: number; subscribers: number; subscribersRight: number };

export async function benchScaleOut(
  ctx: RunContext,
  input: { connections: Connection[]; watched: { workspaceId: string; key: string; integrationId: string }[]; stranger: { key: string }; replicas: number[]; subscribersPerWorkspace: number },
): Promise<ScaleOutRun[]> {
  await setFaults(ctx.emulator, { slack: { mode: "slow", delayMs: 20 } });
  const out: ScaleOutRun[] = [];
  for (const n of input.replicas) {
    const apps = await Promise.all(Array.from({ length: n }, (_, i) => ctx.startApp(`replica-${n}-${i}`, { REDIS_URL })));
    // A sweep with nothing due first, as a scheduler's start does: each replica's check worker
    // thread is up before the measured sweep (it starts once per process; a sweep of 2,000
    // connections takes a few seconds, less than a worker's start on a loaded machine).
    await Promise.all(apps.map((a) => a.call("sweep", {}, 120_000)));
    await makeDue(ctx, input.connections);
    const groups: { expect: string | null; subs: Subscribers }[] = [];
    try {
      for (const app of apps) {
        for (const w of input.watched) {
          groups.push({ expect: w.integrationId, subs: await openSubscribers({ url: app.url, count: input.subscribersPerWorkspace, protocol: "graphql-ws", connectionParams: { authorization: `Bearer ${w.key}` }, query: SUBSCRIPTION, keepMessages: true, concurrency: 10 }) });
        }
        groups.push({ expect: null, subs: await openSubscribers({ url: app.url, count: input.subscribersPerWorkspace, protocol: "graphql-ws", connectionParams: { authorization: `Bearer ${input.stranger.key}` }, query: SUBSCRIPTION, keepMessages: true, concurrency: 10 }) });
      }
      await sleep(1000); // Redis subscriptions registered
      const startAt = Date.now() + 1500;
      const sweeps = await Promise.all(apps.map((a) => a.call<{ claimed: number; startedAt: number; endedAt: number; cpuMs: number }>("sweep", { startAt }, 600_000)));
      const seconds = (Math.max(...sweeps.map((s) => s.endedAt)) - Math.min(...sweeps.map((s) => s.startedAt))) / 1000;
      await sleep(1500);
      const counts = await checkCounts(ctx, input.connections);
      let subscribers = 0;
      let right = 0;
      for (const g of groups) {
        for (const messages of g.subs.messages) {
          subscribers++;
          const events = messages.filter((m) => m.includes('"type":"next"'));
          const ok = g.expect === null ? events.length === 0 : events.length === 1 && events[0]!.includes(g.expect);
          if (ok) right++;
        }
      }
      out.push({ replicas: n, perSecond: input.connections.length / seconds, seconds, claimedPerReplica: sweeps.map((s) => s.claimed), cpuSecondsPerReplica: sweeps.map((s) => s.cpuMs / 1000), checkedOnce: counts.once, checkedTwice: counts.twice, subscribers, subscribersRight: right });
    } finally {
      for (const g of groups) await g.subs.close();
      await Promise.all(apps.map((a) => a.stop()));
    }
  }
  return out;
}
