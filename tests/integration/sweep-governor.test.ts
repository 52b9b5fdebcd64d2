import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { runSweep } from "@switchboard/api/jobs/health-scheduler";

// The sweep's loop governor (HEALTH_CHECK_MAX_LOOP_DELAY_MS, on by default at 20 ms) holds checks
// back while the serving loop is late, but never a check that confirms a failure, nor one a
// whole interval late: a busy server may spread a sweep over an interval, not skip connections.
// The sweep here is the real one (claims with SKIP LOCKED and leases from Postgres, the same
// workers and queue); only the check is a timed stand-in, so that how many run at once shows.

const enabled = await requirePostgres();

const CHECK_MS = 60;

describe.skipIf(!enabled)("a sweep governed by a late serving loop", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres", env: { ...testSecrets(), HEALTH_CHECK_CONCURRENCY: "16", HEALTH_CHECK_INTERVAL_SECONDS: "300" } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  /** `count` due connections (no tokens: the check is a stand-in), `overdueSeconds` late, with `failures` consecutive failures. */
  async function addDue(prefix: string, count: number, overdueSeconds: number, failures: number): Promise<string[]> {
    const prisma = t.app.db.prisma;
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-int-${i}`);
    await prisma.organization.create({ data: { id: `${prefix}-ws`, name: prefix, slug: `${prefix}-ws`, createdAt: new Date() } });
    await prisma.integration.createMany({
      data: ids.map((id) => ({
        id,
        workspaceId: `${prefix}-ws`,
        providerId: "slack",
        label: id,
        status: "CONNECTED" as const,
        consecutiveFailures: failures,
        healthStatus: failures > 0 ? ("DEGRADED" as const) : ("HEALTHY" as const),
        nextHealthCheckAt: new Date(Date.now() - overdueSeconds * 1000),
      })),
    });
    return ids;
  }

  /**
   * Sweeps what is due with the serving loop reported 1 s late throughout, and returns the most
   * checks seen running at once among those that started after the governor's first windows.
   */
  async function sweepLate(ids: string[]): Promise<{ checked: number; lateConcurrency: number; seconds: number }> {
    let running = 0;
    let lateConcurrency = 0;
    const seen = new Set<string>();
    const started = performance.now();
    const summary = await runSweep({
      services: t.app.services,
      governed: true,
      loopDelayMs: () => 1000,
      runCheck: async (row) => {
        running++;
        // By 1.2 s the governor has halved 16 to 1 (every 250 ms while the loop is late).
        if (performance.now() - started > 1200) lateConcurrency = Math.max(lateConcurrency, running);
        seen.add(row.id);
        await new Promise((r) => setTimeout(r, CHECK_MS));
        await t.app.db.prisma.integration.update({ where: { id: row.id }, data: { nextHealthCheckAt: new Date(Date.now() + 300_000), healthLeaseUntil: null } });
        running--;
      },
    });
    expect(summary.errors).toBe(0);
    expect([...seen].sort()).toEqual([...ids].sort());
    return { checked: summary.claimed, lateConcurrency, seconds: (performance.now() - started) / 1000 };
  }

  it("holds back checks that just came due: one at a time once the loop stays late", async () => {
    const ids = await addDue("gov-fresh", 140, 5, 0);
    const r = await sweepLate(ids);
    expect(r.checked).toBe(140);
    expect(r.lateConcurrency).toBe(1);
  }, 60_000);

  it("never holds back a check a whole interval late, nor one that confirms a failure", async () => {
    // Lateness is read from Postgres's clock at the claim (claimDue's due time).
    const overdue = await addDue("gov-overdue", 500, 301, 0);
    const r = await sweepLate(overdue);
    expect(r.checked).toBe(500);
    expect(r.lateConcurrency).toBeGreaterThan(8);

    const failing = await addDue("gov-failing", 500, 5, 1);
    const f = await sweepLate(failing);
    expect(f.checked).toBe(500);
    expect(f.lateConcurrency).toBeGreaterThan(8);
  }, 60_000);
});
