import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { createUptimeLoader } from "../../api/src/domain/health/uptime.ts";
import { writeTestChecks } from "../support/checks.ts";

// Uptime arithmetic on real Postgres: a check counts as down when what it found was a failed
// token or API call, whatever the thresholds made of it; answering slowly, rate limited or
// short of scopes is up. Checks with known times are written through the product's check writer
// (history rows and the hourly/daily rollups uptime reads, in one statement; rollups.test.ts
// compares the two to the check).

const enabled = await requirePostgres();

describe.skipIf(!enabled)("uptime", () => {
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    user = await t.signUp({ name: "Uma" });
    for (const p of ["slack", "hubspot", "google", "salesforce"]) ids[p] = await connectSandbox(t, user, p);
    // Only the checks written below count (the connect's first checks are removed, rollups too).
    await t.app.db.prisma.integrationHealthLog.deleteMany({});
    await t.app.db.prisma.$executeRaw`DELETE FROM "integration_health_hourly"`;
    await t.app.db.prisma.$executeRaw`DELETE FROM "integration_health_daily"`;
  });
  afterAll(() => t?.close());

  type Check = { status: "HEALTHY" | "DEGRADED" | "UNHEALTHY"; errorCode: string | null; hoursAgo: number };
  async function write(provider: string, checks: Check[]) {
    await writeTestChecks(
      t.app.db.prisma,
      checks.map((c) => ({
        integrationId: ids[provider]!,
        workspaceId: user.workspaceId,
        providerId: provider,
        status: c.status,
        latencyMs: 10 + c.hoursAgo,
        errorCode: c.errorCode,
        at: new Date(Date.now() - c.hoursAgo * 3600_000),
      })),
    );
  }
  const uptime = async (provider: string) =>
    (await t.gql(`query($id: ID!) { integration(id: $id) { uptime { last24h last7d last30d checks30d } } }`, { cookie: user.cookie, variables: { id: ids[provider] } })).body.data.integration.uptime;

  it("the check made at connect time counts at once (it is in the rollups as in the history)", async () => {
    const other = await t.signUp({ name: "Una" });
    const id = await connectSandbox(t, other, "slack");
    const res = await t.gql(`query($id: ID!) { integration(id: $id) { uptime { last24h last30d checks30d } healthHistory(first: 5) { trigger } } }`, { cookie: other.cookie, variables: { id } });
    expect(res.body.data.integration.healthHistory).toEqual([{ trigger: "CALLBACK" }]);
    expect(res.body.data.integration.uptime).toEqual({ last24h: 1, last30d: 1, checks30d: 1 });
  });

  it("a connection failing every other check reads 50%, though the thresholds never called it unhealthy", async () => {
    // ok, 500, ok, 500 ...: the failures are DEGRADED by the thresholds (1 of 3), still down here.
    await write("google", Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? { status: "HEALTHY", errorCode: null, hoursAgo: i + 1 } : { status: "DEGRADED", errorCode: "provider_error", hoursAgo: i + 1 })));
    expect(await uptime("google")).toEqual({ last24h: 0.5, last7d: 0.5, last30d: 0.5, checks30d: 12 });
  });

  it("slow, rate-limited and short-of-scopes answers are up; timeouts, network errors and refused grants are down", async () => {
    await write("slack", [
      { status: "DEGRADED", errorCode: "slow", hoursAgo: 1 },
      { status: "DEGRADED", errorCode: "rate_limited", hoursAgo: 2 },
      { status: "DEGRADED", errorCode: "insufficient_scope", hoursAgo: 3 },
      // recovering: the check answered, the thresholds still say UNHEALTHY: up
      { status: "UNHEALTHY", errorCode: null, hoursAgo: 4 },
      { status: "DEGRADED", errorCode: "timeout", hoursAgo: 5 },
      { status: "UNHEALTHY", errorCode: "network", hoursAgo: 6 },
      { status: "UNHEALTHY", errorCode: "invalid_grant", hoursAgo: 7 },
      { status: "HEALTHY", errorCode: null, hoursAgo: 8 },
    ]);
    expect((await uptime("slack")).last24h).toBe(5 / 8);
  });

  it("counts each window on its own: 24 h, 7 d, 30 d; older checks and other connections do not count", async () => {
    await write("hubspot", [
      { status: "HEALTHY", errorCode: null, hoursAgo: 1 },
      { status: "HEALTHY", errorCode: null, hoursAgo: 2 },
      { status: "DEGRADED", errorCode: "provider_error", hoursAgo: 3 * 24 },
      { status: "HEALTHY", errorCode: null, hoursAgo: 4 * 24 },
      { status: "UNHEALTHY", errorCode: "provider_error", hoursAgo: 10 * 24 },
      { status: "UNHEALTHY", errorCode: "timeout", hoursAgo: 20 * 24 },
      { status: "UNHEALTHY", errorCode: "timeout", hoursAgo: 40 * 24 },
    ]);
    expect(await uptime("hubspot")).toEqual({ last24h: 1, last7d: 3 / 4, last30d: 3 / 6, checks30d: 6 });
    // Never checked in the window: no number, not 0% or 100%.
    expect(await uptime("salesforce")).toEqual({ last24h: null, last7d: null, last30d: null, checks30d: 0 });
  });

  it("the latency series answers per bucket from the same checks: hourly over 24 hours, daily over 30 days", async () => {
    const series = async (range: string) =>
      (await t.gql(`query($id: ID!) { integration(id: $id) { latencySeries(range: ${range}) { start checks upChecks latencyAvgMs latencyMinMs latencyMaxMs upLatencyAvgMs } } }`, { cookie: user.cookie, variables: { id: ids.hubspot } })).body.data
        .integration.latencySeries;
    // hubspot's checks: 1 h and 2 h ago (up, 11 and 12 ms), then 3, 4, 10, 20 and 40 days ago
    const day = await series("LAST_24H");
    expect(day.map((b: { checks: number; upChecks: number; latencyAvgMs: number }) => [b.checks, b.upChecks, b.latencyAvgMs])).toEqual([
      [1, 1, 12],
      [1, 1, 11],
    ]);
    expect(Date.parse(day[0].start) % 3_600_000).toBe(0);
    const month = await series("LAST_30D");
    expect(month.reduce((s: number, b: { checks: number }) => s + b.checks, 0)).toBe(6);
    expect(month.reduce((s: number, b: { upChecks: number }) => s + b.upChecks, 0)).toBe(3);
    const down = month.find((b: { upChecks: number }) => b.upChecks === 0);
    expect(down).toMatchObject({ checks: 1, upLatencyAvgMs: null });
  });

  it("loads many connections in one query, and the dashboard's card reads its 24 h uptime", async () => {
    let queries = 0;
    const prisma = t.app.db.prisma;
    const counting = new Proxy(prisma, {
      get: (target, key, receiver) => (key === "$queryRaw" ? (...args: unknown[]) => (queries++, (target.$queryRaw as (...a: unknown[]) => unknown)(...args)) : Reflect.get(target, key, receiver)),
    });
    const loader = createUptimeLoader(counting);
    const all = await Promise.all(Object.values(ids).map((id) => loader.load(id)));
    expect(queries).toBe(1);
    expect(all.map((u) => u.last24h)).toEqual([5 / 8, 1, 0.5, null]);
    const cards = await t.gql(`{ integrations { nodes { providerId uptime { last24h } } } }`, { cookie: user.cookie });
    expect(Object.fromEntries(cards.body.data.integrations.nodes.map((i: { providerId: string; uptime: { last24h: number | null } }) => [i.providerId, i.uptime.last24h]))).toEqual({ google: 0.5, hubspot: 1, salesforce: null, slack: 5 / 8 });
  });
});
