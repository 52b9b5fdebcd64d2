import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../../db/index.ts";
import { migrate } from "../../db/migrate.ts";
import { DEFAULT_MIGRATIONS_DIR } from "../../db/migrations-dir.ts";
import { createRealtime, type HealthEvent } from "../../realtime/pubsub.ts";
import type { Probe } from "./check-integration.ts";
import { createCheckRecorder, recordChecks, uuidv7, writeChecks } from "./record.ts";

// The batched write of health checks against a real (in-process) Postgres: one statement per
// batch, one history row per written check, nothing for rows that are gone, statuses only
// changed by a reconnect-required outcome.

let db: Database;
const writes: string[] = [];

beforeAll(async () => {
  db = await createDatabase({ dataDir: "memory://", onQuery: (sql) => /^\s*WITH v AS/.test(sql) && writes.push(sql) });
  await migrate(db, DEFAULT_MIGRATIONS_DIR);
  await db.prisma.organization.create({ data: { id: "ws-1", name: "W", slug: "w", createdAt: new Date() } });
}, 120_000);
afterAll(() => db?.close());

async function integration(id: string, data: Record<string, unknown> = {}) {
  await db.prisma.integration.create({
    data: { id, workspaceId: "ws-1", providerId: id, status: "CONNECTED", healthStatus: "HEALTHY", consecutiveSuccesses: 1, healthLeaseUntil: new Date(Date.now() + 60_000), account: { id: "A1" }, ...data },
  });
}

function probe(
  id: string,
  over: { status?: "HEALTHY" | "DEGRADED" | "UNHEALTHY"; reauth?: boolean; from?: "HEALTHY" | null; account?: object | null; granted?: string[] | null; generation?: number } = {},
): Probe {
  const checkedAt = new Date();
  return {
    result: {
      integrationId: id,
      workspaceId: "ws-1",
      providerId: id,
      status: over.status ?? "HEALTHY",
      outcome: over.reauth ? "auth_failure" : "ok",
      transition: over.reauth ? "reauth_required" : null,
      reauthRequired: over.reauth ?? false,
      steps: [{ step: "api", ok: !over.reauth, latencyMs: 21, ...(over.reauth ? { code: "token_revoked" } : {}) }],
      errorCode: over.reauth ? "invalid_grant" : null,
      message: over.reauth ? "Reconnect" : null,
      latencyMs: 25,
      checkedAt,
      nextCheckAt: new Date(checkedAt.getTime() + 300_000),
      accountName: null,
    },
    trigger: "SCHEDULED",
    newStatus: over.reauth ? "REAUTH_REQUIRED" : "CONNECTED",
    counters: { consecutiveFailures: over.reauth ? 1 : 0, consecutiveSuccesses: over.reauth ? 0 : 2 },
    transitionFrom: over.from ?? null,
    account: (over.account ?? null) as Probe["account"],
    grantedScopes: over.granted ?? null,
    generation: over.generation ?? 0,
  };
}

describe("recording health checks", () => {
  it("writes a batch in one statement: each row's new state and exactly one history row per check", async () => {
    for (const id of ["a", "b", "c"]) await integration(id);
    writes.length = 0;
    const written = await writeChecks(db.prisma, [probe("a"), probe("b", { status: "UNHEALTHY", reauth: true, from: "HEALTHY" }), probe("c", { account: { id: "A1", name: "Acme" } })]);
    expect(writes).toHaveLength(1);
    expect([...written].sort()).toEqual(["a", "b", "c"]);
    const rows = Object.fromEntries((await db.prisma.integration.findMany({ where: { id: { in: ["a", "b", "c"] } } })).map((r) => [r.id, r]));
    expect(rows.a).toMatchObject({ status: "CONNECTED", healthStatus: "HEALTHY", consecutiveSuccesses: 2, healthLeaseUntil: null });
    expect(rows.a!.nextHealthCheckAt!.getTime()).toBeGreaterThan(Date.now() + 290_000);
    expect(rows.a!.account).toEqual({ id: "A1" });
    expect(rows.b).toMatchObject({ status: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY", consecutiveFailures: 1, healthErrorCode: "invalid_grant", nextHealthCheckAt: null, healthLeaseUntil: null });
    expect(rows.c!.account).toEqual({ id: "A1", name: "Acme" });
    const logs = await db.prisma.integrationHealthLog.findMany({ where: { integrationId: { in: ["a", "b", "c"] } } });
    expect(logs.map((l) => l.integrationId).sort()).toEqual(["a", "b", "c"]);
    const b = logs.find((l) => l.integrationId === "b")!;
    expect(b).toMatchObject({ status: "UNHEALTHY", trigger: "SCHEDULED", latencyMs: 25, errorCode: "invalid_grant", transitionFrom: "HEALTHY" });
    expect(b.steps).toEqual([{ step: "api", ok: false, latencyMs: 21, code: "token_revoked" }]);
    expect(b.checkedAt.getTime()).toBe(rows.b!.lastHealthCheckAt!.getTime());
    expect(logs.find((l) => l.integrationId === "a")!.transitionFrom).toBeNull();
    expect(logs.every((l) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(l.id))).toBe(true);
  });

  it("skips a row deleted meanwhile, and never undoes a disconnect that happened during the check", async () => {
    await integration("gone");
    await integration("left");
    await db.prisma.integration.delete({ where: { id: "gone" } });
    await db.prisma.integration.update({ where: { id: "left" }, data: { status: "DISCONNECTED" } });
    const events: HealthEvent[] = [];
    const realtime = createRealtime();
    const sub = realtime.subscribe("health:workspace", "ws-1");
    const reading = (async () => {
      for await (const e of sub) {
        events.push(e);
        if (events.length === 1) break;
      }
    })();
    const done = await recordChecks({ prisma: db.prisma, realtime }, [probe("gone"), probe("left")]);
    await reading;
    expect(done.map((p) => p.result.integrationId)).toEqual(["left"]);
    expect(events.map((e) => e.integrationId)).toEqual(["left"]);
    expect(await db.prisma.integrationHealthLog.count({ where: { integrationId: "gone" } })).toBe(0);
    expect(await db.prisma.integration.findUniqueOrThrow({ where: { id: "left" } })).toMatchObject({ status: "DISCONNECTED", healthLeaseUntil: null });
  });

  it("stores the scopes the provider reports now, and keeps the stored ones when it reports none", async () => {
    await integration("live", { grantedScopes: ["a", "b"] });
    await integration("quiet", { grantedScopes: ["a", "b"] });
    await writeChecks(db.prisma, [probe("live", { granted: ["a"] }), probe("quiet")]);
    expect((await db.prisma.integration.findUniqueOrThrow({ where: { id: "live" } })).grantedScopes).toEqual(["a"]);
    expect((await db.prisma.integration.findUniqueOrThrow({ where: { id: "quiet" } })).grantedScopes).toEqual(["a", "b"]);
  });

  it("a reconnect-required outcome only applies to the grant the check ran on (a reconnect meanwhile wins)", async () => {
    await integration("renewed", { tokenGeneration: 3 });
    await integration("same", { tokenGeneration: 3 });
    await writeChecks(db.prisma, [probe("renewed", { status: "UNHEALTHY", reauth: true, generation: 2 }), probe("same", { status: "UNHEALTHY", reauth: true, generation: 3 })]);
    expect((await db.prisma.integration.findUniqueOrThrow({ where: { id: "renewed" } })).status).toBe("CONNECTED");
    expect((await db.prisma.integration.findUniqueOrThrow({ where: { id: "same" } })).status).toBe("REAUTH_REQUIRED");
    // and it opens an incident only for the grant it ran on
    expect(await db.prisma.incident.count({ where: { integrationId: "renewed" } })).toBe(0);
    expect(await db.prisma.incident.count({ where: { integrationId: "same", endedAt: null } })).toBe(1);
  });

  it("the recorder groups checks handed over while a write is in flight, and writes every one once", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `r${i}`);
    for (const id of ids) await integration(id);
    writes.length = 0;
    const written: string[] = [];
    const recorder = createCheckRecorder({ prisma: db.prisma, realtime: createRealtime(), maxBatch: 100, minBatch: 1, onWritten: (ps) => written.push(...ps.map((p) => p.result.integrationId)), onFailed: (_, e) => {
        throw e;
      } });
    for (const id of ids) void recorder.add(probe(id)); // all handed over while the first write runs
    await recorder.drain();
    // The first check goes out at once; the rest queue behind it and go in batches of 100.
    expect(writes).toHaveLength(4);
    expect(written.sort()).toEqual([...ids].sort());
    expect(await db.prisma.integrationHealthLog.count({ where: { integrationId: { in: ids } } })).toBe(250);
  });

  it("the recorder waits for a batch worth writing, or its linger at most; a drain writes what is left at once", async () => {
    const ids = Array.from({ length: 130 }, (_, i) => `l${i}`);
    for (const id of ids) await integration(id);
    writes.length = 0;
    const written: string[][] = [];
    const recorder = createCheckRecorder({ prisma: db.prisma, realtime: createRealtime(), minBatch: 50, lingerMs: 3000, onWritten: (ps) => written.push(ps.map((p) => p.result.integrationId)), onFailed: (_, e) => {
        throw e;
      } });
    // Fewer than minBatch: nothing is written until the linger runs out.
    for (const id of ids.slice(0, 10)) void recorder.add(probe(id));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(writes).toHaveLength(0);
    await expect.poll(() => written.length, { timeout: 6000, interval: 20 }).toBe(1);
    expect(written[0]).toEqual(ids.slice(0, 10));
    // minBatch reached: written at once, without waiting for the linger.
    for (const id of ids.slice(10, 60)) void recorder.add(probe(id));
    await expect.poll(() => written.length, { timeout: 2000, interval: 5 }).toBe(2);
    expect(written[1]).toHaveLength(50);
    // The rest, fewer than minBatch, goes with the drain, not after the linger.
    for (const id of ids.slice(60)) void recorder.add(probe(id));
    const started = performance.now();
    await recorder.drain();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(written.flat().sort()).toEqual([...ids].sort());
    expect(await db.prisma.integrationHealthLog.count({ where: { integrationId: { in: ids } } })).toBe(130);
  });

  it("keeps incidents in the same statement: opened by the first failed check, counted, closed by the first answering one", async () => {
    await integration("inc");
    await integration("slow");
    const failed = () => ({ ...probe("inc", { status: "DEGRADED" }), result: { ...probe("inc").result, outcome: "failure" as const, status: "DEGRADED" as const, errorCode: "provider_error" as const, message: "HTTP 500" } });
    const slow = () => ({ ...probe("slow", { status: "DEGRADED" }), result: { ...probe("slow").result, outcome: "degraded" as const, status: "DEGRADED" as const, errorCode: "slow" as const } });
    writes.length = 0;
    const first = failed();
    await writeChecks(db.prisma, [first, slow()]);
    await writeChecks(db.prisma, [failed(), slow()]);
    expect(writes).toHaveLength(2);
    const [open] = await db.prisma.incident.findMany({ where: { integrationId: "inc" } });
    const firstLog = await db.prisma.integrationHealthLog.findFirstOrThrow({ where: { integrationId: "inc" }, orderBy: { checkedAt: "asc" } });
    expect(open).toMatchObject({ endedAt: null, checksFailed: 2, errorCode: "provider_error", message: "HTTP 500", providerId: "inc", workspaceId: "ws-1", firstCheckId: firstLog.id, alertsSent: 0 });
    expect(open!.startedAt.getTime()).toBe(first.result.checkedAt.getTime());
    expect(await db.prisma.incident.count({ where: { integrationId: "slow" } })).toBe(0);
    const recovered = probe("inc");
    await writeChecks(db.prisma, [recovered]);
    const closed = await db.prisma.incident.findMany({ where: { integrationId: "inc" } });
    expect(closed).toHaveLength(1);
    expect(closed[0]!.endedAt!.getTime()).toBe(recovered.result.checkedAt.getTime());
    expect(closed[0]!.checksFailed).toBe(2);
    expect(writes).toHaveLength(3);
  });

  it("writes a provider's text that jsonb would refuse (a NUL, half a surrogate pair) with U+FFFD, without failing the batch", async () => {
    await integration("odd");
    await integration("fine");
    const cut = "quota 😀".slice(0, -1); // an emoji cut in half, as slice(0, 300) can leave it
    const odd = probe("odd", { status: "DEGRADED" });
    odd.result = { ...odd.result, outcome: "failure", errorCode: "provider_error", message: `HTTP 500 (${cut}\u0000)`, steps: [{ step: "api", ok: false, latencyMs: 3, code: "provider_error", providerMessage: cut }] };
    const written = await writeChecks(db.prisma, [odd, probe("fine")]);
    expect([...written].sort()).toEqual(["fine", "odd"]);
    expect((await db.prisma.integration.findUniqueOrThrow({ where: { id: "odd" } })).healthMessage).toBe("HTTP 500 (quota \ufffd\ufffd)");
    const log = await db.prisma.integrationHealthLog.findFirstOrThrow({ where: { integrationId: "odd" } });
    expect(log.steps).toEqual([{ step: "api", ok: false, latencyMs: 3, code: "provider_error", providerMessage: "quota \ufffd" }]);
    // and a text that is fine is written as it is
    expect(await writeChecks(db.prisma, [{ ...probe("fine"), result: { ...probe("fine").result, message: 'a "quoted" \\ path ünïcode 😀' } }])).toEqual(new Set(["fine"]));
    expect((await db.prisma.integration.findUniqueOrThrow({ where: { id: "fine" } })).healthMessage).toBe('a "quoted" \\ path ünïcode 😀');
  });

  it("makes time-ordered UUIDv7 ids", () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    expect(a < b).toBe(true);
    expect(a.slice(0, 13).replace("-", "")).toBe((1_700_000_000_000).toString(16).padStart(12, "0"));
  });
});
