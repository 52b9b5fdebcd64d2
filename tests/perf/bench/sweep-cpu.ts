// A development aid for benchmark 4 (not part of run.ts): CPU per health check, the product's
// sweep against the bare loops (hosts/fetch-loop-host.ts) on the same connections, repeated on
// one seeded database so changes to the check path can be compared quickly.
//
//   flock /tmp/bench.lock api/node_modules/.bin/tsx tests/perf/bench/sweep-cpu.ts [connections=2000] [rounds=3] [--profile] [--mode=inline|thread] [--slack-only] [--redis] [--cpu-prof]
//
// Same mix as benchmark 4 (93% Slack answering after 20 ms, 5% HubSpot 401, 2% Google 429). Each
// round: every connection made due, one sweep on one app process (its CPU, all threads), then the
// same calls from the bare loop (its CPU); the CPU Postgres, Redis and the emulator spent during
// each side (all of the machine's Postgres and Redis processes: run it when nothing else uses
// them), the checks' own latencies by provider from their history rows. With --profile, the
// last round of the app and of the loop are profiled (self time by package and by function; the
// files are kept in the temp folder). The app runs its checks inline unless --mode=thread (the
// default with DATABASE_URL), whose worker the profile does not see; --cpu-prof then writes a
// profile of every thread for the whole run.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHost } from "../lib/child.ts";
import { createRunContext, REDIS_URL } from "../lib/context.ts";
import { formatSummary, summarizeProfiles } from "../lib/profile.ts";
import { insertConnections, issueSandboxTokens, seedWorkspaces } from "../lib/seed.ts";
import { makeDue, setFaults, SWEEP_FAULTS } from "./sweep.ts";

const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith("--"));
const total = Number(positional[0] ?? 2000);
const rounds = Number(positional[1] ?? 3);
const profile = args.includes("--profile");
const mode = args.find((a) => a.startsWith("--mode="))?.slice(7) ?? "inline";
// Only Slack connections answering after 20 ms, as in the 100,000-connection benchmark.
const slackOnly = args.includes("--slack-only");
// Events through Redis, as replicas publish them.
const redis = args.includes("--redis");
const threadProfiles = args.includes("--cpu-prof");
const log = (m: string) => console.log(m);

/** CPU seconds (user + system) used so far by processes, from /proc: Postgres, Redis and the emulator share the machine with the sides. */
function cpuOf(match: (pid: number, comm: string) => boolean): number {
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (!match(pid, comm)) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks / 100;
}

const ctx = await createRunContext();
try {
  const slack = slackOnly ? total : Math.round(total * 0.93);
  const hubspot = slackOnly ? 0 : Math.round(total * 0.05);
  const google = total - slack - hubspot;
  const tokens = [
    ...(await issueSandboxTokens(ctx.emulatorUrl, "slack", slack)),
    ...(hubspot ? await issueSandboxTokens(ctx.emulatorUrl, "hubspot", hubspot) : []),
    ...(google ? await issueSandboxTokens(ctx.emulatorUrl, "google", google) : []),
  ];
  const ws = await seedWorkspaces(ctx.db, "cpu", tokens.length);
  const conns = await insertConnections(ctx.db, ctx.vault, tokens.map((t, i) => ({ workspace: ws[i]!, tokens: t })), { due: null });
  await ctx.db.query("ANALYZE");
  await setFaults(ctx.emulator, SWEEP_FAULTS);
  const file = join(ctx.dir, "items.json");
  writeFileSync(file, JSON.stringify(conns.map((c) => ({ provider: c.providerId, accessToken: c.tokens.accessToken, refreshToken: c.tokens.refreshToken }))));
  // --cpu-prof: every thread of the app (the check worker too) profiled from start to stop.
  const cpuProfDir = join(tmpdir(), `sweep-cpu-threads-${Date.now()}`);
  const app = await ctx.startApp("cpu", { HEALTH_CHECK_WORKER: mode, ...(redis ? { REDIS_URL } : {}) }, threadProfiles ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] } : {});
  const dir = join(ctx.dir, "prof");
  mkdirSync(dir, { recursive: true });
  // A first sweep warms the app (JIT, pool, sockets) and is not counted.
  await makeDue(ctx, conns);
  const warm = await app.call<{ claimed: number; errors: number; durationMs: number; cpuMs: number }>("sweep", {}, 600_000);
  log(`first sweep (not counted): ${warm.claimed} checks in ${(warm.durationMs / 1000).toFixed(2)} s, ${(warm.cpuMs / warm.claimed).toFixed(3)} ms CPU/check`);
  const product: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await makeDue(ctx, conns);
    const last = r === rounds - 1;
    const others = () => ({ postgres: cpuOf((_, c) => c === "postgres"), redis: cpuOf((_, c) => c.startsWith("redis")), emulator: cpuOf((pid) => pid === ctx.emulator.pid) });
    const o0 = others();
    if (profile && last) await app.call("profileStart");
    const s = await app.call<{ claimed: number; errors: number; durationMs: number; cpuMs: number }>("sweep", {}, 600_000);
    if (profile && last) await app.call("profileStop", { file: join(dir, "app.cpuprofile") });
    const o1 = others();
    product.push(s.cpuMs / s.claimed);
    const per = (a: number, b: number, n: number) => (((b - a) * 1000) / n).toFixed(3);
    log(`  other processes during the sweep, ms of CPU per check: postgres ${per(o0.postgres, o1.postgres, s.claimed)}, redis ${per(o0.redis, o1.redis, s.claimed)}, emulator ${per(o0.emulator, o1.emulator, s.claimed)}`);
    // What each check measured (token + provider call), by provider, and checks per second over the sweep.
    const lat = await ctx.db.query<{ p: string; n: string; avg: string; p50: string; p90: string; p99: string; first: Date; last: Date }>(
      `SELECT i."providerId" AS p, count(*) AS n, avg(l."latencyMs") AS avg, percentile_disc(0.5) WITHIN GROUP (ORDER BY l."latencyMs") AS p50,
         percentile_disc(0.9) WITHIN GROUP (ORDER BY l."latencyMs") AS p90, percentile_disc(0.99) WITHIN GROUP (ORDER BY l."latencyMs") AS p99, min(l."checkedAt") AS first, max(l."checkedAt") AS last
       FROM "integration_health_log" l JOIN "integration" i ON i.id = l."integrationId" WHERE l.trigger = 'SCHEDULED' AND l."integrationId" = ANY($1::text[]) GROUP BY 1`,
      [conns.map((c) => c.id)],
    );
    for (const l of lat) log(`  ${l.p}: ${l.n} checks, latency avg ${Number(l.avg).toFixed(1)} p50 ${l.p50} p90 ${l.p90} p99 ${l.p99} ms, from ${new Date(l.first).toISOString().slice(14, 23)} to ${new Date(l.last).toISOString().slice(14, 23)}`);
    const loop = await startHost("fetch-loop", "fetch-loop-host.ts", {});
    const b0 = others();
    if (profile && last) await loop.call("profileStart");
    const b = await loop.call<{ done: number; durationMs: number; cpuMs: number }>("run", { file, base: ctx.emulatorUrl, concurrency: 16 }, 600_000);
    if (profile && last) await loop.call("profileStop", { file: join(dir, "baseline.cpuprofile") });
    await loop.stop();
    const b1 = others();
    log(`  other processes during the baseline, ms of CPU per call: postgres ${per(b0.postgres, b1.postgres, b.done)}, redis ${per(b0.redis, b1.redis, b.done)}, emulator ${per(b0.emulator, b1.emulator, b.done)}`);
    base.push(b.cpuMs / b.done);
    log(
      `round ${r + 1}: product ${s.claimed} checks in ${(s.durationMs / 1000).toFixed(2)} s, ${(s.cpuMs / s.claimed).toFixed(3)} ms CPU/check (${s.errors} errors); ` +
        `baseline ${b.done} in ${(b.durationMs / 1000).toFixed(2)} s, ${(b.cpuMs / b.done).toFixed(3)} ms CPU/check; rate ratio ${(s.claimed / s.durationMs / (b.done / b.durationMs)).toFixed(2)}x`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  log(`median CPU per check: product ${median(product).toFixed(3)} ms, baseline ${median(base).toFixed(3)} ms (${(median(product) / median(base)).toFixed(2)}x)`);
  if (profile) {
    log(`product:\n${formatSummary(summarizeProfiles(dir, 30, (f) => f === "app.cpuprofile"))}`);
    log(`baseline:\n${formatSummary(summarizeProfiles(dir, 30, (f) => f === "baseline.cpuprofile"))}`);
    // Kept for a closer look (the run's directory is removed at the end).
    const stamp = Date.now();
    for (const side of ["app", "baseline"]) {
      const kept = join(tmpdir(), `sweep-cpu-${stamp}-${side}.cpuprofile`);
      copyFileSync(join(dir, `${side}.cpuprofile`), kept);
      log(`profile kept at ${kept}`);
    }
  }
  await app.stop();
  if (threadProfiles) log(`whole-run profiles of every thread in ${cpuProfDir}`);
} finally {
  await ctx.close();
}
