// The performance benchmark suite (issue 7). One command, from the repository root:
//
//   api/node_modules/.bin/tsx tests/perf/run.ts [--only=read,page,sql,fanout,sweep,stampede,eld,offloop,scale,sweep100k,uptime,proxy] [--profile] [--report-only]
//
// Each benchmark runs against its bare baseline in the same run (machines are shared; only
// ratios mean something), prints a table and writes docs/performance.md. Needs Postgres
// (127.0.0.1:5432 or TEST_DATABASE_URL) and Redis (127.0.0.1:6379 or TEST_REDIS_URL). Every
// server runs in a child process of this one and is stopped at the end, on success or failure.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killAll, root, type Host } from "./lib/child.ts";
import { createRunContext, signUp, type RunContext } from "./lib/context.ts";
import { insertConnections, issueSandboxTokens, seedReadWorkspace, seedWorkspaces, type Connection } from "./lib/seed.ts";
import { round } from "./lib/stats.ts";
import { comparePerRequest, formatSummary, summarizeProfiles } from "./lib/profile.ts";
import { allPageBodies, benchGraphqlRead, dashboardBody, DASHBOARD_QUERY, webDashboardQuery, type ReadCase, type ReadResult } from "./bench/graphql-read.ts";
import { benchReplicaSweep, type ReplicaSweepResult } from "./bench/replica-sweep.ts";
import { measureSqlCounts, type SqlCountRow } from "./bench/sql-count.ts";
import { benchFanout, type FanoutResult } from "./bench/fanout.ts";
import { benchSweep, type SweepResult } from "./bench/sweep.ts";
import { benchStampede, type StampedeResult } from "./bench/stampede.ts";
import { benchChecksOffLoop, benchEventLoop, type EldResult } from "./bench/event-loop.ts";
import { benchScaleOut, type ScaleOutRun } from "./bench/scale-out.ts";
import { benchUptimeHistory, type UptimeHistoryResult } from "./bench/uptime-history.ts";
import { benchProxy, type ProxyResult } from "./bench/proxy.ts";
import { renderReport, type Row } from "./report.ts";

const args = process.argv.slice(2);
const ALL = ["read", "page", "sql", "fanout", "sweep", "stampede", "eld", "offloop", "scale", "sweep100k", "uptime", "proxy"];
const only = new Set(args.find((a) => a.startsWith("--only="))?.slice(7).split(",") ?? ALL);
for (const o of only) if (!ALL.includes(o)) throw new Error(`--only=${o}: not one of ${ALL.join(", ")}`);
const everything = ALL.every((b) => only.has(b));
const profile = args.includes("--profile");
// PERF_* variables shrink a size while developing a benchmark (a partial run reports the sizes it used).
const size = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SIZES = {
  smallConnections: 4,
  readConnections: 1000,
  readPageSize: 200,
  pageConnections: size("PERF_PAGE_CONNECTIONS", 10_000),
  historyPerConnection: 30,
  sweep: { slack: 9300, hubspot: 500, google: 200 },
  stampede: 50,
  fanout: [1000, 5000],
  fanoutEvents: 4,
  scaleOut: 2000,
  eldSweep: 2000,
  replicaSweep: { connections: size("PERF_REPLICA_SWEEP", 100_000), replicas: 3, workspaces: 1000, baselineCalls: size("PERF_REPLICA_SWEEP_BASELINE", 30_000) },
  proxy: { connections: 16, streamMB: size("PERF_PROXY_STREAM_MB", 100), readerMBps: 25 },
};
const started = Date.now();
const log = (m: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}`);

type Results = {
  read?: ReadResult[];
  /** Whether benchmark 1's copy of the dashboard's query is the text web/src/lib/graphql/documents.ts sends. */
  readQueryIsWeb?: boolean;
  sql?: SqlCountRow[];
  fanout?: FanoutResult[];
  sweep?: SweepResult;
  replicaSweep?: ReplicaSweepResult;
  stampede?: { defaults: StampedeResult; waves: StampedeResult[]; pool: number };
  eld?: EldResult[];
  scale?: ScaleOutRun[];
  uptime?: UptimeHistoryResult;
  proxy?: ProxyResult;
  profiles: Record<string, string>;
  seconds?: number;
  /** When the run ended (epoch ms; report.ts prints it). */
  finishedAt?: number;
};
const results: Results = { profiles: {} };
let current: RunContext | null = null;

/** With --profile: runs `fn` again on a fresh app process and profiles its CPU during `fn` only. */
type Window = { start(): Promise<void>; stop(): Promise<void> };
async function profiled(ctx: RunContext, label: string, fn: (app: Host & { url: string; origin: string }, window: Window) => Promise<unknown>): Promise<void> {
  if (!profile) return;
  const dir = join(ctx.dir, `prof-${label.replace(/\W+/g, "-")}`);
  mkdirSync(dir, { recursive: true });
  const app = await ctx.startApp(`profiled-${Object.keys(results.profiles).length}`);
  let started = false;
  const window: Window = {
    start: async () => {
      started = true;
      await app.call("profileStart");
    },
    stop: async () => {
      if (started) await app.call("profileStop", { file: join(dir, "app.cpuprofile") });
      started = false;
    },
  };
  try {
    await fn(app, window);
  } finally {
    await app.stop();
  }
  results.profiles[label] = formatSummary(summarizeProfiles(dir));
  log(`profile: ${label}\n${results.profiles[label]}`);
}

async function main() {
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => {
      killAll();
      void (current?.close() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  if (only.has("sql")) {
    log("2. SQL statements per dashboard query (10 and 1,000 connections)");
    results.sql = await measureSqlCounts({ small: 10, large: SIZES.readConnections });
  }
  if (only.has("uptime")) {
    log("8. 30-day uptime of 50 connections with 14 vs 90 days of raw history");
    results.uptime = await benchUptimeHistory({ log });
  }
  // sql and uptime bring their own databases; everything else shares the seeded run context
  const needsRun = [...only].some((o) => o !== "sql" && o !== "uptime");
  if (!needsRun) return;
  // Only the 100,000-connection sweep needs the emulator to start with bulk Slack tokens.
  const ctx = await createRunContext({ bulkSlack: only.has("sweep100k") ? SIZES.replicaSweep.connections : 0 });
  current = ctx;
  try {
    // The common data (every benchmark but sweep100k uses it; the read benchmarks have it as the
    // other workspaces' rows, so the workspace filter is exercised).
    const common = [...only].some((o) => o !== "sql" && o !== "uptime" && o !== "sweep100k" && o !== "proxy");
    let sweepConns: Connection[] = [];
    let sweepWs: Awaited<ReturnType<typeof seedWorkspaces>> = [];
    let stampConns: Connection[] = [];
    const keys = new Map<string, string>();
    const app = await ctx.startApp("app");
    let appStopped = false;
    let small: Awaited<ReturnType<typeof signUp>> | null = null;
    let largeKey = "";
    let pageUser: Awaited<ReturnType<typeof signUp>> | null = null;
    if (common) {
      log("seeding: sandbox tokens through the emulator's consent flow, workspaces, connections, history");
      const sweepTokens = [
        ...(await issueSandboxTokens(ctx.emulatorUrl, "slack", SIZES.sweep.slack)),
        ...(await issueSandboxTokens(ctx.emulatorUrl, "hubspot", SIZES.sweep.hubspot)),
        ...(await issueSandboxTokens(ctx.emulatorUrl, "google", SIZES.sweep.google)),
      ];
      const stampedeTokens = await issueSandboxTokens(ctx.emulatorUrl, "hubspot", SIZES.stampede);
      sweepWs = await seedWorkspaces(ctx.db, "sweep", sweepTokens.length);
      sweepConns = await insertConnections(ctx.db, ctx.vault, sweepTokens.map((tokens, i) => ({ workspace: sweepWs[i]!, tokens })), { due: null });
      const stampWs = await seedWorkspaces(ctx.db, "stamp", SIZES.stampede);
      stampConns = await insertConnections(ctx.db, ctx.vault, stampedeTokens.map((tokens, i) => ({ workspace: stampWs[i]!, tokens })), { due: null });
      const [largeWs] = await seedWorkspaces(ctx.db, "read", 1);
      await seedReadWorkspace(ctx.db, ctx.vault, largeWs!, { connections: SIZES.readConnections, logs: SIZES.historyPerConnection });
      small = await signUp(app, ctx.db, "small");
      await seedReadWorkspace(ctx.db, ctx.vault, small.workspace, { connections: SIZES.smallConnections, logs: SIZES.historyPerConnection });
      largeKey = await app.call<string>("apiKey", { userId: largeWs!.ownerId, workspaceId: largeWs!.workspaceId });
      for (const w of stampWs) keys.set(w.workspaceId, await app.call<string>("apiKey", { userId: w.ownerId, workspaceId: w.workspaceId }));
      if (only.has("page")) {
        pageUser = await signUp(app, ctx.db, "page");
        await seedReadWorkspace(ctx.db, ctx.vault, pageUser.workspace, { connections: SIZES.pageConnections, logs: SIZES.historyPerConnection });
      }
      await ctx.db.query("ANALYZE");
      log(`seeded ${(sweepConns.length + stampConns.length + SIZES.readConnections + SIZES.smallConnections + (pageUser ? SIZES.pageConnections : 0)).toLocaleString("en")} connections`);
    }
    const largeHeaders = { authorization: `Bearer ${largeKey}` };
    const largePages = common ? await allPageBodies(app.url, { ...largeHeaders }, SIZES.readPageSize) : [];
    const readTarget = { rps: 0.75, p95: 1.3, p99: 1.5 };
    const nodesOf = (answers: any[]) => answers.flatMap((a) => a.integrations.nodes as { id: string }[]);
    const smallCase: ReadCase | null = small && {
      kind: "small",
      name: `dashboard's first page, workspace of ${SIZES.smallConnections} connections (session cookie)`,
      headers: { cookie: small.cookie },
      connections: 16,
      bodies: [dashboardBody()],
      check: ([a]) => (a.integrations.nodes.length === SIZES.smallConnections && a.integrations.totalCount === SIZES.smallConnections ? null : `expected ${SIZES.smallConnections} connections, got ${a.integrations.nodes.length} of ${a.integrations.totalCount}`),
      target: { ...readTarget, rps: 0.8 },
    };
    const largeCase: ReadCase = {
      kind: "large",
      name: `${SIZES.readConnections.toLocaleString("en")} connections in pages of ${SIZES.readPageSize} (API key)`,
      headers: largeHeaders,
      connections: 4,
      bodies: largePages,
      check: (answers) => {
        const ids = nodesOf(answers).map((n) => n.id);
        return ids.length === SIZES.readConnections && new Set(ids).size === ids.length && answers.every((a) => a.integrations.totalCount === SIZES.readConnections) ? null : `expected ${SIZES.readConnections} distinct connections over ${answers.length} pages, got ${ids.length} (${new Set(ids).size} distinct)`;
      },
      target: readTarget,
    };
    const pageCase: ReadCase | null = pageUser && {
      kind: "page",
      name: `dashboard's first page of 50, workspace of ${SIZES.pageConnections.toLocaleString("en")} connections (session cookie)`,
      headers: { cookie: pageUser.cookie },
      connections: 16,
      bodies: [dashboardBody()],
      check: ([a]) => {
        const total = (a.integrationCounts as { total: number }[]).reduce((x, c) => x + c.total, 0);
        return a.integrations.nodes.length === 50 && a.integrations.totalCount === SIZES.pageConnections && a.integrations.pageInfo.hasNextPage && total === SIZES.pageConnections ? null : `expected 50 of ${SIZES.pageConnections} with more to come, got ${a.integrations.nodes.length} of ${a.integrations.totalCount}, counts ${total}`;
      },
      target: readTarget,
    };
    const readCases = [...(only.has("read") ? [smallCase!, largeCase] : []), ...(pageCase ? [pageCase] : [])];

    if (readCases.length > 0) {
      results.readQueryIsWeb = (await webDashboardQuery()) === DASHBOARD_QUERY;
      if (!results.readQueryIsWeb) log("  NOTE: web/src/lib/graphql/documents.ts DASHBOARD_QUERY is no longer bench/graphql-read.ts's copy: the read measures the copy; update it and hosts/bare-read-host.ts");
      log(`1. GraphQL read vs bare node:http + the same SQL: ${readCases.map((c) => c.name).join("; ")}`);
      results.read = await benchGraphqlRead(ctx, app, readCases, { seconds: 5, rounds: 2, warmupSeconds: 2 });
      for (const r of results.read) log(`  ${r.name}: ${r.system.rps.toFixed(1)} vs ${r.baseline.rps.toFixed(1)} req/s (${(r.system.rps / r.baseline.rps).toFixed(2)}x), p95 ${r.system.p95.toFixed(1)} vs ${r.baseline.p95.toFixed(1)} ms, p99 ${r.system.p99.toFixed(1)} vs ${r.baseline.p99.toFixed(1)} ms`);
      if (profile) {
        for (const [i, c] of readCases.entries()) {
          const dir = join(ctx.dir, `prof-read-${i}`);
          mkdirSync(dir, { recursive: true });
          const [res] = await benchGraphqlRead(ctx, app, [c], { seconds: 5, rounds: 1, warmupSeconds: 1, profileDir: dir });
          const label = `1. GraphQL read, ${c.name}: product vs bare baseline`;
          results.profiles[label] = comparePerRequest(
            { label: "product", summary: summarizeProfiles(dir, 14, (f) => f === "app.cpuprofile"), requests: res!.system.requests },
            { label: "baseline", summary: summarizeProfiles(dir, 14, (f) => f === "bare.cpuprofile"), requests: res!.baseline.requests },
          );
          log(`profile: ${label}\n${results.profiles[label]}`);
        }
      }
    }
    if (only.has("proxy")) {
      const { connections, streamMB, readerMBps } = SIZES.proxy;
      log(`9. the provider proxy: proxied vs direct calls to the emulator; ${streamMB} MB through it to a reader at ${readerMBps} MB/s`);
      const profileDir = profile ? join(ctx.dir, "prof-proxy") : undefined;
      results.proxy = await benchProxy(ctx, { connections, seconds: 5, rounds: 2, fixedRounds: 4, warmupSeconds: 2, streamBytes: streamMB * 1024 * 1024, readerRate: readerMBps * 1024 * 1024, log, profileDir });
      Object.assign(results.profiles, results.proxy.profiles ?? {});
    }
    const who = small ? { cookie: small.cookie, workspaceId: small.workspace.workspaceId } : null;
    if (only.has("fanout")) {
      log("3. subscription fan-out vs raw ws broadcast");
      const fan = await ctx.startApp("fanout");
      results.fanout = await benchFanout(ctx, fan, who!, SIZES.fanout, SIZES.fanoutEvents);
      await fan.stop();
      await profiled(ctx, "3. fan-out to 1,000 subscribers (product process)", (p, w) => benchFanout(ctx, p, who!, [1000], 3, w));
    }
    if (only.has("sweep")) {
      log(`4. health sweep of ${sweepConns.length.toLocaleString("en")} connections vs the emulator's capacity`);
      const sweeper = await ctx.startApp("sweeper");
      results.sweep = await benchSweep(ctx, sweeper, sweepConns, 16); // HEALTH_CHECK_CONCURRENCY default
      await sweeper.stop();
      await profiled(ctx, "4. health sweep of 2,000 connections (product process)", async (p, w) => {
        await w.start();
        await benchSweep(ctx, p, sweepConns.slice(0, 2000), 16);
        await w.stop();
      });
    }
    if (only.has("stampede")) {
      log("5. refresh stampede from two processes");
      // With the default pool (10 connections per process).
      const a = await ctx.startApp("stampede-a");
      const b = await ctx.startApp("stampede-b");
      const defaults = await benchStampede(ctx, [a, b], stampConns, keys, 4, 20_000);
      await a.kill();
      await b.kill();
      // With a pool larger than the connections refreshing at once per process, in two waves so
      // two processes stay under Postgres's max_connections (100).
      const pool = 30;
      const a2 = await ctx.startApp("stampede-a2", { DATABASE_POOL_SIZE: String(pool) });
      const b2 = await ctx.startApp("stampede-b2", { DATABASE_POOL_SIZE: String(pool) });
      const half = Math.ceil(stampConns.length / 2);
      const waves = [await benchStampede(ctx, [a2, b2], stampConns.slice(0, half), keys, 4), await benchStampede(ctx, [a2, b2], stampConns.slice(half), keys, 4)];
      await a2.stop();
      await b2.stop();
      results.stampede = { defaults, waves, pool };
    }
    const reads = { small: dashboardBody(), large: largePages };
    if (only.has("eld")) {
      log("6. event-loop delay under everything at once");
      const input = { small: who!, largeKey, reads, sweep: sweepConns.filter((c) => c.providerId === "slack").slice(0, SIZES.eldSweep), stampede: stampConns.slice(0, 25), keys, seconds: 10 };
      results.eld = [];
      for (const governed of [false, true])
        for (const withLarge of [true, false]) {
          const host = await ctx.startApp(`eld-${withLarge}-${governed}`, { DATABASE_POOL_SIZE: "30", ...(governed ? { HEALTH_CHECK_WORKER: "inline", HEALTH_CHECK_MAX_LOOP_DELAY_MS: "20" } : {}) });
          results.eld.push(await benchEventLoop(ctx, host, { ...input, withLarge, governed }));
          await host.stop();
        }
    }
    if (only.has("offloop")) {
      // 6b: the serving thread's delay during a sweep of every seeded connection, checks in a
      // worker thread vs on the serving thread, in the same run.
      log(`6. event-loop delay: a ${sweepConns.length.toLocaleString("en")}-connection sweep with checks off the loop vs inline`);
      results.eld ??= [];
      for (const mode of ["thread", "eager", "inline", "none"] as const) {
        const env = { thread: { HEALTH_CHECK_WORKER: "thread" }, eager: { HEALTH_CHECK_WORKER: "thread", HEALTH_CHECK_MAX_LOOP_DELAY_MS: "0" }, inline: { HEALTH_CHECK_WORKER: "inline", HEALTH_CHECK_MAX_LOOP_DELAY_MS: "0" }, none: {} }[mode];
        const host = await ctx.startApp(`offloop-${mode}`, env);
        const r = await benchChecksOffLoop(ctx, host, { small: who!, readBody: reads.small, sweep: sweepConns, mode, seconds: 30 });
        log(`  ${mode}: p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms, ${r.swept} swept in ${r.sweepSeconds} s (${r.checkedOnce} once, ${r.checkedTwice} twice), ${r.reads} reads (p99 ${r.readP99.toFixed(1)} ms), ${r.events} events, app CPU ${r.cpuPercent.toFixed(0)}%`);
        results.eld.push(r);
        await host.stop();
      }
    }
    if (only.has("scale")) {
      log("7. scale-out: 1, 2, 3 replicas on one Postgres and one Redis");
      const slack = sweepConns.filter((c) => c.providerId === "slack").slice(0, SIZES.scaleOut);
      const watched = [];
      for (const c of slack.slice(0, 5)) {
        const w = sweepWs.find((x) => x.workspaceId === c.workspaceId)!;
        watched.push({ workspaceId: w.workspaceId, integrationId: c.id, key: await app.call<string>("apiKey", { userId: w.ownerId, workspaceId: w.workspaceId }) });
      }
      await app.stop();
      appStopped = true;
      results.scale = await benchScaleOut(ctx, { connections: slack, watched, stranger: { key: largeKey }, replicas: [1, 2, 3], subscribersPerWorkspace: 10 });
    }
    if (!appStopped) await app.stop();
    if (only.has("sweep100k")) {
      const { connections: count, replicas, workspaces } = SIZES.replicaSweep;
      log(`4b. seeding ${count.toLocaleString("en")} Slack connections in ${workspaces.toLocaleString("en")} workspaces (bulk tokens, one INSERT per 5,000 rows)`);
      const ws = await seedWorkspaces(ctx.db, "fleet", workspaces);
      // Several connections per provider per workspace (issue 14): count / workspaces each.
      const conns = await insertConnections(ctx.db, ctx.vault, ctx.bulkSlackTokens.map((tokens, i) => ({ workspace: ws[i % workspaces]!, tokens })), { due: null });
      log(`4b. health sweep of ${count.toLocaleString("en")} connections by ${replicas} replicas vs the emulator's capacity`);
      results.replicaSweep = await benchReplicaSweep(ctx, { connections: conns, workspaces, replicas, concurrency: 16, baselineCalls: SIZES.replicaSweep.baselineCalls, log });
      const r = results.replicaSweep;
      log(`  ${n0(r.system.perSecond)} checks/s (${n0(r.system.seconds)} s) vs ${n0(r.baseline.perSecond)} calls/s: ${(r.system.perSecond / r.baseline.perSecond).toFixed(2)}x; ${r.checkedOnce} once, ${r.checkedTwice} twice; claimed ${r.system.claimedPerReplica.join(", ")}, CPU s ${r.system.cpuSecondsPerReplica.map((c) => c.toFixed(1)).join(", ")}; auth.test calls ${r.calls.system} vs ${r.calls.baseline}; outcomes ${JSON.stringify(r.outcomes)}`);
    }
  } finally {
    await ctx.close();
  }
}

const n0 = (x: number) => Math.round(x).toLocaleString("en");

const resultsFile = join(root, "tests/perf/.last-results.json");
if (args.includes("--report-only")) {
  // Re-renders docs/performance.md from the last full run's figures (for edits of the prose).
  Object.assign(results, JSON.parse(readFileSync(resultsFile, "utf8")));
} else {
  try {
    await main();
  } finally {
    killAll();
  }
  results.seconds = Math.round((Date.now() - started) / 1000);
  results.finishedAt = Date.now();
  const noLatencies = (l: { latencies: number[] }) => ({ ...l, latencies: [] });
  if (everything)
    writeFileSync(
      resultsFile,
      JSON.stringify({
        ...results,
        read: results.read?.map((c) => ({ ...c, system: noLatencies(c.system), baseline: noLatencies(c.baseline) })),
        proxy: results.proxy && { ...results.proxy, calls: results.proxy.calls.map((c) => ({ ...c, closed: { proxied: noLatencies(c.closed.proxied), direct: noLatencies(c.closed.direct), ...(c.closed.bare ? { bare: noLatencies(c.closed.bare) } : {}) }, fixed: { proxied: noLatencies(c.fixed.proxied), direct: noLatencies(c.fixed.direct), ...(c.fixed.bare ? { bare: noLatencies(c.fixed.bare) } : {}) } })) },
      }),
    );
}
const { table, markdown } = renderReport(results as never, SIZES);
console.log("\n" + table);
if (everything || args.includes("--report-only")) {
  writeFileSync(join(root, "docs/performance.md"), markdown);
  console.log(`\nwrote docs/performance.md (${results.seconds} s)`);
} else {
  writeFileSync(join(root, "tests/perf/.last-partial.md"), markdown);
  console.log(`\npartial run (--only): wrote tests/perf/.last-partial.md, not docs/performance.md (${results.seconds} s)`);
}
