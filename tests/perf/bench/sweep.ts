import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startHost, type Host } from "../lib/child.ts";
import type { RunContext } from "../lib/context.ts";
import type { Connection } from "../lib/seed.ts";

// Benchmark 4: one health sweep over N due connections against the emulator process (Slack
// answering after 20 ms, HubSpot answering 401, Google answering 429 with Retry-After; the
// emulator's faults are per provider, so the failing shares are connections of those
// providers), against the emulator's own capacity for the same calls (hosts/fetch-loop-host.ts).

export type Stats = Record<"slack" | "hubspot" | "google", { tokenRequests: { authorization_code: number; refresh_token: number }; apiCalls: number }>;
export type SweepResult = {
  connections: number;
  system: { perSecond: number; seconds: number; claimed: number; errors: number; cpuSeconds: number };
  /** cpuSeconds: the baseline process's own CPU for the same calls (fetch-loop-host reports it) */
  baseline: { perSecond: number; seconds: number; cpuSeconds: number };
  checkedTwice: number;
  checkedOnce: number;
  calls: { system: Record<string, number>; baseline: Record<string, number> };
  outcomes: Record<string, number>;
};

export const SWEEP_FAULTS = {
  slack: { mode: "slow", delayMs: 20 },
  hubspot: { mode: "unauthorized" },
  google: { mode: "rate_limited", retryAfterSeconds: 30 },
} as const;

export async function setFaults(emulator: Host, faults: Partial<Record<keyof typeof SWEEP_FAULTS, unknown>>) {
  for (const provider of ["slack", "hubspot", "google"] as const) await emulator.call("setFault", { provider, fault: faults[provider] ?? { mode: "ok" } });
}

function delta(after: Stats, before: Stats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of ["slack", "hubspot", "google"] as const) {
    out[`${p} api`] = after[p].apiCalls - before[p].apiCalls;
    out[`${p} refresh`] = after[p].tokenRequests.refresh_token - before[p].tokenRequests.refresh_token;
  }
  return out;
}

/** Makes `connections` due now, with no lease and no scheduled history. */
export async function makeDue(ctx: RunContext, connections: Connection[]) {
  const ids = connections.map((c) => c.id);
  await ctx.db.query(`DELETE FROM "integration_health_log" WHERE "integrationId" = ANY($1::text[]) AND "trigger" = 'SCHEDULED'`, [ids]);
  await ctx.db.query(
    `UPDATE "integration" SET "nextHealthCheckAt" = now() - interval '1 minute', "healthLeaseUntil" = NULL, "status" = 'CONNECTED', "healthStatus" = 'HEALTHY', "consecutiveFailures" = 0, "consecutiveSuccesses" = 1 WHERE id = ANY($1::text[])`,
    [ids],
  );
}

/** How many of `connections` have exactly one scheduled check, and how many more than one. */
export async function checkCounts(ctx: RunContext, connections: Connection[]) {
  const rows = await ctx.db.query<{ once: string; twice: string }>(
    `SELECT count(*) FILTER (WHERE n = 1) AS once, count(*) FILTER (WHERE n > 1) AS twice FROM (
       SELECT "integrationId", count(*) AS n FROM "integration_health_log" WHERE "integrationId" = ANY($1::text[]) AND "trigger" = 'SCHEDULED' GROUP BY 1) t`,
    [connections.map((c) => c.id)],
  );
  return { once: Number(rows[0]!.once), twice: Number(rows[0]!.twice) };
}

export async function benchSweep(ctx: RunContext, app: Host, connections: Connection[], concurrency: number): Promise<SweepResult> {
  await setFaults(ctx.emulator, SWEEP_FAULTS);
  // A sweep with nothing due first: it starts the check worker (a deployment's scheduler starts
  // it with the app; the run's apps have HEALTH_SCHEDULER=off), so its start-up (modules loaded
  // and compiled in a new thread: seconds of CPU under tsx) is not counted as the checks' CPU,
  // as the baseline's process start-up is not counted as its calls'.
  await app.call("sweep", {}, 600_000);
  await makeDue(ctx, connections);

  const s0 = await ctx.emulator.call<Stats>("stats");
  const sweep = await app.call<{ claimed: number; errors: number; durationMs: number; cpuMs: number }>("sweep", {}, 600_000);
  const s1 = await ctx.emulator.call<Stats>("stats");
  const counts = await checkCounts(ctx, connections);
  const outcomes = Object.fromEntries(
    (await ctx.db.query<{ k: string; n: string }>(`SELECT "status"::text || '/' || "healthStatus"::text AS k, count(*) AS n FROM "integration" WHERE id = ANY($1::text[]) GROUP BY 1`, [connections.map((c) => c.id)])).map((r) => [r.k, Number(r.n)]),
  );

  // The baseline: the same calls, same concurrency, same agent, in a process of its own.
  const file = join(ctx.dir, "sweep-items.json");
  writeFileSync(file, JSON.stringify(connections.map((c) => ({ provider: c.providerId, accessToken: c.tokens.accessToken, refreshToken: c.tokens.refreshToken }))));
  const loop = await startHost("fetch-loop", "fetch-loop-host.ts", {});
  ctx.hosts.add(loop);
  let base: { done: number; durationMs: number; cpuMs: number };
  const s2 = await ctx.emulator.call<Stats>("stats");
  try {
    base = await loop.call("run", { file, base: ctx.emulatorUrl, concurrency }, 600_000);
  } finally {
    ctx.hosts.delete(loop);
    await loop.stop();
  }
  const s3 = await ctx.emulator.call<Stats>("stats");
  return {
    connections: connections.length,
    system: { perSecond: sweep.claimed / (sweep.durationMs / 1000), seconds: sweep.durationMs / 1000, claimed: sweep.claimed, errors: sweep.errors, cpuSeconds: sweep.cpuMs / 1000 },
    baseline: { perSecond: base.done / (base.durationMs / 1000), seconds: base.durationMs / 1000, cpuSeconds: base.cpuMs / 1000 },
    checkedTwice: counts.twice,
    checkedOnce: counts.once,
    calls: { system: delta(s1, s0), baseline: delta(s3, s2) },
    outcomes,
  };
}
