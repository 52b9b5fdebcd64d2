import type { Host } from "../lib/child.ts";
import type { RunContext } from "../lib/context.ts";
import type { Connection } from "../lib/seed.ts";
import type { Stats } from "./sweep.ts";

// Benchmark 5: a refresh stampede. N connections whose access tokens have expired (HubSpot in
// the emulator, with refresh-token rotation on, so a second refresh with a used refresh token
// would revoke the grant), and `perConnection` concurrent testIntegration mutations for each,
// split across two app processes on one database. Every request needs a fresh token; the
// emulator's counter says how many refresh requests reached it.

export type StampedeResult = { connections: number; requests: number; refreshRequests: number; healthy: number; statuses: Record<string, number>; seconds: number; httpErrors: number };

export async function expireTokens(ctx: RunContext, connections: Connection[]) {
  await ctx.db.query(`UPDATE "integration" SET "tokenExpiresAt" = now() - interval '1 minute', "status" = 'CONNECTED' WHERE id = ANY($1::text[])`, [connections.map((c) => c.id)]);
}

export function stampedeRequests(apps: { url: string }[], connections: Connection[], keys: Map<string, string>, perConnection: number, timeoutMs = 60_000) {
  const jobs: { url: string; key: string; id: string }[] = [];
  for (const c of connections) for (let k = 0; k < perConnection; k++) jobs.push({ url: apps[k % apps.length]!.url, key: keys.get(c.workspaceId)!, id: c.id });
  return jobs.map(async (j) => {
    const res = await fetch(`${j.url}/graphql`, {
      method: "POST",
      signal: AbortSignal.timeout(timeoutMs),
      headers: { "content-type": "application/json", authorization: `Bearer ${j.key}` },
      body: JSON.stringify({ query: `mutation($id: ID!) { testIntegration(id: $id) { status errorCode } }`, variables: { id: j.id } }),
    });
    const body = (await res.json()) as { data?: { testIntegration: { status: string; errorCode: string | null } }; errors?: unknown[] };
    return { http: res.status, status: body.data?.testIntegration.status ?? `error:${JSON.stringify(body.errors).slice(0, 120)}` };
  }).map((p) => p.catch((error: Error) => ({ http: 0, status: error.name === "TimeoutError" ? "no answer (timed out)" : `failed: ${error.message}` })));
}

export async function benchStampede(ctx: RunContext, apps: (Host & { url: string })[], connections: Connection[], keys: Map<string, string>, perConnection: number, timeoutMs = 60_000): Promise<StampedeResult> {
  await ctx.emulator.call("setFault", { provider: "hubspot", fault: { mode: "ok" } });
  await ctx.emulator.call("setOptions", { provider: "hubspot", options: { rotateRefreshTokens: true } });
  await expireTokens(ctx, connections);
  const before = await ctx.emulator.call<Stats>("stats");
  const started = performance.now();
  const results = await Promise.all(stampedeRequests(apps, connections, keys, perConnection, timeoutMs));
  const seconds = (performance.now() - started) / 1000;
  const after = await ctx.emulator.call<Stats>("stats");
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return {
    connections: connections.length,
    requests: results.length,
    refreshRequests: after.hubspot.tokenRequests.refresh_token - before.hubspot.tokenRequests.refresh_token,
    healthy: statuses.HEALTHY ?? 0,
    statuses,
    seconds,
    httpErrors: results.filter((r) => r.http !== 200).length,
  };
}
