import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { freePort } from "../../support/app.ts";
import { startHost, type Host } from "../lib/child.ts";
import type { RunContext } from "../lib/context.ts";
import { combine, load, type LoadResult } from "../lib/load.ts";

// Benchmark 1: the dashboard's read with health history, through the whole product (yoga,
// Pothos, better-auth, one app process) against a bare node:http handler sending the same Prisma
// queries (hosts/bare-read-host.ts). Both run in child processes, one at a time, alternating,
// under the same closed-loop load from autocannon in this process.

export const READ_QUERY = `query IntegrationsWithHistory {
  integrations {
    id providerId status healthStatus healthMessage lastHealthCheckAt
    account { id name url }
    grantedScopes missingScopes suggestedAction
    healthHistory(first: 10) { id status trigger latencyMs errorCode message checkedAt }
  }
}`;

export type ReadCase = { name: string; headers: Record<string, string>; connections: number; expectCount: number; /** requests per round instead of a duration, for answers that take seconds */ amount?: number };
export type ReadResult = { name: string; system: LoadResult; baseline: LoadResult; connections: number; bytes: number };

export async function benchGraphqlRead(
  ctx: RunContext,
  app: Host & { url: string },
  cases: ReadCase[],
  options: { seconds: number; rounds: number; warmupSeconds: number; /** CPU-profile both servers over the measured rounds (app.cpuprofile, bare.cpuprofile). */ profileDir?: string },
): Promise<ReadResult[]> {
  const port = await freePort();
  // The baseline checks the session cookie's signature too, so it needs the secret that signs it.
  const bare = await startHost("bare-read", "bare-read-host.ts", { PORT: String(port), DATABASE_URL: ctx.tdb.url, AUTH_SECRET: ctx.secrets.AUTH_SECRET });
  ctx.hosts.add(bare);
  const bareUrl = `http://127.0.0.1:${port}`;
  const body = JSON.stringify({ query: READ_QUERY });
  const out: ReadResult[] = [];
  try {
    for (const c of cases) {
      const headers = { "content-type": "application/json", ...c.headers };
      // Both answer the same thing, or the comparison means nothing.
      const [a, b] = await Promise.all([app.url, bareUrl].map(async (u) => (await fetch(`${u}/graphql`, { method: "POST", headers, body })).json()));
      if ((a as any).errors || !isDeepStrictEqual(a, b)) throw new Error(`${c.name}: the product and the baseline answered differently: ${JSON.stringify(a).slice(0, 300)} vs ${JSON.stringify(b).slice(0, 300)}`);
      if ((a as any).data.integrations.length !== c.expectCount) throw new Error(`${c.name}: expected ${c.expectCount} connections, got ${(a as any).data.integrations.length}`);
      const run = (u: string, seconds: number) => load({ url: `${u}/graphql`, headers, body, connections: c.connections, seconds, amount: c.amount ? (seconds === options.warmupSeconds ? c.connections : c.amount) : undefined });
      await run(bareUrl, options.warmupSeconds);
      await run(app.url, options.warmupSeconds);
      const sys: LoadResult[] = [];
      const base: LoadResult[] = [];
      if (options.profileDir) await Promise.all([app.call("profileStart"), bare.call("profileStart")]);
      for (let r = 0; r < options.rounds; r++) {
        // Alternate the order so drift on a shared machine hits both sides alike.
        if (r % 2 === 0) {
          base.push(await run(bareUrl, options.seconds));
          sys.push(await run(app.url, options.seconds));
        } else {
          sys.push(await run(app.url, options.seconds));
          base.push(await run(bareUrl, options.seconds));
        }
      }
      if (options.profileDir) await Promise.all([app.call("profileStop", { file: join(options.profileDir, "app.cpuprofile") }), bare.call("profileStop", { file: join(options.profileDir, "bare.cpuprofile") })]);
      const system = combine(sys);
      const baseline = combine(base);
      if (system.non2xx + system.errors + baseline.non2xx + baseline.errors > 0) throw new Error(`${c.name}: failed requests (system ${system.non2xx}+${system.errors}, baseline ${baseline.non2xx}+${baseline.errors})`);
      out.push({ name: c.name, system, baseline, connections: c.expectCount, bytes: Math.round(system.bytesPerRequest) });
    }
  } finally {
    ctx.hosts.delete(bare);
    await bare.stop();
  }
  return out;
}
