import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { waitFor, wsClient, wsSubscribe } from "../support/ws.ts";

// The app keeps serving with 1,000 open subscriptions while a sweep runs and 50 clients query at
// once: every query answers, every subscriber gets every event of its workspace. Figures are
// printed, not asserted (shared machines; see docs/performance.md for ratios).

const enabled = await requirePostgres();

describe.skipIf(!enabled)("load: subscriptions, a sweep and concurrent queries together", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres", env: { HEALTH_CHECK_CONCURRENCY: "16", DATABASE_POOL_SIZE: "20", MAX_SUBSCRIPTIONS_PER_SOCKET: "100" } });
  });
  afterAll(() => t?.close());

  it("serves 50 concurrent clients and delivers every event to 1,000 subscribers during a sweep", async () => {
    const user = await t.signUp();
    const ids = [];
    for (const p of ["slack", "hubspot", "google", "salesforce"]) ids.push(await connectSandbox(t, user, p));
    // 1,000 subscriptions: 10 sockets × 100 operations (the per-socket cap raised to 100 for this load).
    const clients = Array.from({ length: 10 }, () => wsClient(t.url, { headers: { cookie: user.cookie, origin: t.origin } }));
    const subs = clients.flatMap((c) => Array.from({ length: 100 }, () => wsSubscribe(c, "subscription { healthStatus { integrationId healthStatus kind } }")));
    try {
      // Wait until every subscription is live: publish a probe until all have seen one.
      const probe = setInterval(() => t.app.realtime.publish("health:workspace", user.workspaceId, { integrationId: "probe", workspaceId: user.workspaceId, providerId: "x", status: "CONNECTED", healthStatus: "HEALTHY", healthMessage: null, errorCode: null, checkedAt: new Date().toISOString(), kind: "check" }), 100);
      await waitFor(() => subs.every((s) => s.events.length > 0), 30_000, "1,000 live subscriptions").finally(() => clearInterval(probe));
      for (const s of subs) s.events.length = 0;
      const heapBefore = process.memoryUsage().heapUsed;

      await t.app.db.prisma.integration.updateMany({ where: { id: { in: ids } }, data: { nextHealthCheckAt: new Date(Date.now() - 1000) } });
      const latencies: number[] = [];
      const query = async () => {
        const started = performance.now();
        const res = await t.gql("{ integrations { nodes { id status healthStatus healthHistory(first: 5) { status } uptime { last24h } } } }", { cookie: user.cookie });
        latencies.push(performance.now() - started);
        return res.status === 200 && !res.body.errors && res.body.data.integrations.nodes.length === 4;
      };
      const [sweep, ok] = await Promise.all([
        t.app.scheduler.sweep(),
        Promise.all(Array.from({ length: 50 }, async () => {
          const results = [];
          for (let i = 0; i < 10; i++) results.push(await query());
          return results.every(Boolean);
        })),
      ]);
      expect(sweep.claimed).toBe(4);
      if (sweep.errors) console.error(t.logs().split("\n").filter((l) => l.includes('"level":"error"')).join("\n").slice(0, 3000));
      expect(sweep.errors).toBe(0);
      expect(ok.every(Boolean)).toBe(true);
      // Probes still in flight when the probing stopped may arrive late: only check events count.
      const checks = (s: (typeof subs)[number]) => s.events.filter((e) => (e.data as any).healthStatus.integrationId !== "probe");
      await waitFor(() => subs.every((s) => checks(s).length >= 4), 20_000, "every subscriber to get the 4 check events");
      for (const s of subs) {
        expect(new Set(checks(s).map((e) => (e.data as any).healthStatus.integrationId))).toEqual(new Set(ids));
        expect(s.errors).toEqual([]);
      }
      latencies.sort((a, b) => a - b);
      const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
      console.info(`load: 500 queries by 50 clients during a sweep with 1,000 subscriptions: p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, p99 ${p(0.99)} ms; heap ${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(1)} MB over the run (test process, server included)`);
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  }, 120_000);
});
