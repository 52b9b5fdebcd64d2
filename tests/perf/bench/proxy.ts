import { createHash, randomBytes, randomUUID } from "node:crypto";
import { request } from "node:http";
import { loadavg } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { sealTokens } from "@switchboard/api/domain/integrations/tokens";
import { freePort } from "../../support/app.ts";
import { startHost, type Host } from "../lib/child.ts";
import type { RunContext } from "../lib/context.ts";
import { combine, load, type LoadResult } from "../lib/load.ts";
import { CHUNK, patternChunk } from "../lib/pattern.ts";
import { comparePerRequest, formatAllocations, formatSummary, summarizeProfiles } from "../lib/profile.ts";
import { insertConnections, insertIntegrations, issueSandboxTokens, seedWorkspaces, writeCatalog, type SandboxProvider } from "../lib/seed.ts";
import { percentile, sleep } from "../lib/stats.ts";

// Benchmark 9 (issue 15): the provider proxy.
//
// (a) Proxied calls against direct calls to the same emulator in the same run. The emulator is
// this benchmark's own emulator process (hosts/emulator-host.ts, its own event loop; not the
// run's, which holds the other benchmarks' tokens), which this benchmark's catalog
// (PROVIDERS_FILE) makes the built-ins' API base, so "direct" is the emulator's own
// capacity and "proxied" is one app process (hosts/app-host.ts) in front of it: the API key's
// one statement, the connection's row, the token opened by the vault, the call over a kept-alive
// socket, the answer relayed (Slack's read first: its HTTP 200 can refuse the token). The
// direct side sends the connection's own token, read through the product's
// POST /api/connections/{id}/token with a `credentials` key. Both are driven from this process,
// alternating: first in a closed loop with autocannon (16 connections, each sending its next
// call when the last is answered: requests/s, the proxy's capacity; the latency there follows
// from it, connections / requests/s, so it is shown for reference), then open loop at a fixed
// rate both sides sustain (half the proxied closed-loop rate; calls evenly spaced and timed from
// when each was due, lib/load.ts openLoop): the latency the proxy adds, judged at p99. A bare
// node:http pass-through (hosts/bare-proxy-host.ts) runs both loads too: the extra hop alone.
//
// (b) A 100 MB answer through the proxy, read by a slow client: a catalog oauth2 provider whose
// apiBaseUrl is a plain node:http server in its own process (hosts/upstream-host.ts) writing
// the answer only as fast as its socket takes it; a fresh app process; its memory sampled
// inside it (app-host memWatchStart/Stop) against its idle peak after a warm-up and a full
// collection. The bytes are checked (count and SHA-256 of the pattern).

export type ProxyCallCase = { provider: SandboxProvider; name: string; path: string; /** The emulator answers API calls after this long (its "slow" fault), as a provider some distance away would. */ delayMs?: number };

export const PROXY_CALL_CASES: ProxyCallCase[] = [
  // Slack's auth.test (GET; the bot token's identity, no scope needed): Slack answers a refused
  // token with HTTP 200 and {"ok":false}, so the proxy reads every small JSON answer before it
  // relays it (api/src/http/proxy-signals.ts).
  { provider: "slack", name: "Slack auth.test (GET)", path: "auth.test" },
  // Google's OIDC userinfo: judged on its status and headers, streamed straight through.
  { provider: "google", name: "Google userinfo (GET)", path: "oauth2/v3/userinfo" },
  // The same Slack call with the emulator answering after 20 ms (the sweep benchmarks' "20 ms
  // emulator"): a real provider is at least that far away, and then a call's time is mostly the
  // provider's, not the CPU of either side.
  { provider: "slack", name: "Slack auth.test (GET), the emulator answering after 20 ms", path: "auth.test", delayMs: 20 },
  // And Google's userinfo 20 ms away: the other relay path (the answer streamed through, not
  // read first), so the judged cases cover both (issue 15 item 7, decided 2026-12-07: the targets
  // are judged against a provider some distance away; the cases above, an in-memory answer, are
  // the proxy's own cost, reported beside the bare pass-through's).
  { provider: "google", name: "Google userinfo (GET), the emulator answering after 20 ms", path: "oauth2/v3/userinfo", delayMs: 20 },
];

export type ProxyCallResult = {
  name: string;
  /** The emulator's added answer time (ms), 0 when it answers at once. */
  delayMs: number;
  /** The emulator path both sides call (the direct URL's path). */
  endpoint: string;
  connections: number;
  closed: { proxied: LoadResult; direct: LoadResult; /** hosts/bare-proxy-host.ts in the same closed loop (a reference) */ bare?: LoadResult };
  /** requests/s of the fixed-rate rounds (both sides) */
  rate: number;
  fixed: { proxied: LoadResult; direct: LoadResult; /** hosts/bare-proxy-host.ts at the same rate: the extra hop alone (a reference) */ bare?: LoadResult };
  /** Calls the emulator counted during the proxied rounds, against the answers the client got. */
  reached: { emulator: number; answered: number };
  /** The app process's CPU per proxied call over the closed-loop rounds (ms). */
  appCpuMsPerCall: number;
  /** The bare pass-through's CPU per call over its closed-loop rounds (ms): the least a proxy spends. */
  bareCpuMsPerCall?: number;
  /** The app's event-loop delay (p99, max, ms) and GC pauses over the fixed-rate proxied rounds: where added latency is the app's own. */
  appLoop?: { p99: number; max: number; gcCount: number; gcMaxMs: number; gcTotalMs: number; cpuPercent: number };
  /** The emulator process's CPU per direct call over the closed-loop rounds (ms): what answering costs. */
  emulatorCpuMsPerCall: number;
  /** The machine's 1-minute load average when the case began and when it ended (a shared machine). */
  loadAverage: [number, number];
  bytes: { proxied: number; direct: number };
};

export type Memory = { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };

export type ProxyStreamResult = {
  framing: "length" | "chunked";
  bytes: number;
  received: number;
  digestOk: boolean;
  status: number;
  seconds: number;
  /** the reader's pace (bytes/s) */
  readerRate: number;
  idle: Memory;
  peak: Memory;
  samples: number;
  /** The most the provider had written beyond what the reader had read, sampled every 50 ms (bytes). */
  maxAhead: number;
};

export type ProxyResult = {
  calls: ProxyCallResult[];
  stream: ProxyStreamResult[];
  streamIdleSamples: number;
  /** With --profile: per case, CPU per call by package, the app (proxied) against the emulator (direct), from one extra closed-loop round each. */
  profiles?: Record<string, string>;
};

type App = Host & { url: string; origin: string };

const MB = 1024 * 1024;

/** Everything benchmark 9 measures; starts and stops its own app processes and upstream. */
export async function benchProxy(
  ctx: RunContext,
  options: {
    connections: number;
    seconds: number;
    rounds: number;
    /** Rounds at the fixed rate (open loop): its p99 is the judged figure, so it gets more calls (at 2 x 5 s, one stall of another process on this machine decided it). */
    fixedRounds: number;
    warmupSeconds: number;
    streamBytes: number;
    readerRate: number;
    log: (m: string) => void;
    /** CPU-profile one extra closed-loop round per case (not in the figures) into this folder. */
    profileDir?: string;
  },
): Promise<ProxyResult> {
  const { log } = options;
  // The upstream for (b) first: its address goes into the catalog every app of this benchmark reads.
  const upstreamPort = await freePort();
  const upstreamToken = `perf-upstream-${randomBytes(12).toString("hex")}`;
  const upstream = await startHost("upstream", "upstream-host.ts", { PORT: String(upstreamPort), EXPECTED_TOKEN: upstreamToken });
  ctx.hosts.add(upstream);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  // (a)'s provider: an emulator process of this benchmark's own, not the run's. The run's emulator
  // holds every benchmark's grants (100,000 bulk Slack tokens for 4b, 10,000 from the seeding),
  // and its major collections (23 ms and more) paused whichever side was being measured at that
  // moment: a burst of 50 slow calls in one round decided the p99 (found 2026-12-06 with a trace
  // of every process's GC pauses beside each call's latency; benchmark 9's p99 1.70x in a full
  // run, 1.14x in one with the same emulator and the GC landing in a direct round). Both sides
  // still call the same emulator.
  const emulatorPort = await freePort();
  const emulator = await startHost("emulator-proxy", "emulator-host.ts", { PORT: String(emulatorPort) });
  ctx.hosts.add(emulator);
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const catalogDir = join(ctx.dir, "proxy-catalog");
  mkdirSync(catalogDir, { recursive: true });
  const catalog = JSON.parse(readFileSync(writeCatalog(catalogDir, emulatorUrl), "utf8")) as Record<string, unknown>;
  catalog.bulkexport = {
    type: "oauth2",
    name: "Bulk export API",
    authorizationUrl: `${upstreamUrl}/authorize`,
    tokenUrl: `${upstreamUrl}/token`,
    apiBaseUrl: `${upstreamUrl}/api`,
    clientId: "perf-bulkexport",
    clientSecret: "perf-bulkexport-secret",
    scopes: ["read"],
  };
  const catalogFile = join(ctx.dir, "providers-proxy.json");
  writeFileSync(catalogFile, JSON.stringify(catalog));

  // One workspace with a Slack and a Google connection (tokens from the emulator's own consent
  // flow) and one to the upstream, stored as the product stores connections.
  const [ws] = await seedWorkspaces(ctx.db, "proxy", 1);
  const issued = [...(await issueSandboxTokens(emulatorUrl, "slack", 1)), ...(await issueSandboxTokens(emulatorUrl, "google", 1))];
  const sandboxConns = await insertConnections(ctx.db, ctx.vault, issued.map((tokens) => ({ workspace: ws!, tokens })), { due: null });
  const bulkId = randomUUID();
  const now = Date.now();
  await insertIntegrations(ctx.db, [
    {
      id: bulkId,
      workspaceId: ws!.workspaceId,
      providerId: "bulkexport",
      accountId: "bulk-1",
      label: "Exports",
      status: "CONNECTED",
      healthStatus: "HEALTHY",
      lastHealthCheckAt: new Date(now - 60_000),
      nextHealthCheckAt: null,
      connectedAt: new Date(now - 3_600_000),
      connectedById: ws!.ownerId,
      requestedScopes: ["read"],
      grantedScopes: ["read"],
      account: { id: "bulk-1", name: "Exports" },
      // No expiry: the proxy sends the stored token as it is (no refresh in the way).
      ...sealTokens(ctx.vault, bulkId, { accessToken: upstreamToken }),
    },
  ]);

  const out: ProxyResult = { calls: [], stream: [], streamIdleSamples: 0 };
  try {
    // ── (a) proxied vs direct ──
    // Default limits (PROXY_MAX_CONCURRENT_PER_CONNECTION 50). Until 2026-12-06 this run lifted
    // it: calls whose client left while the key was checked (autocannon ends a round with calls
    // in flight) kept their slot for good; fixed and tested in tests/integration/proxy.test.ts.
    // LOG_LEVEL as deployed (PERF_PROXY_LOG_LEVEL, default info: a line per proxied call, issue
    // 15 item 6), written to a file as a deployment's log collector would take it off a pipe.
    const app = await ctx.startApp("proxy", { PROVIDERS_FILE: catalogFile, LOG_LEVEL: process.env.PERF_PROXY_LOG_LEVEL ?? "info" }, { stdoutFile: join(ctx.dir, "proxy-app.log") });
    try {
      const proxyKey = await app.call<string>("apiKey", { userId: ws!.ownerId, workspaceId: ws!.workspaceId, permissions: ["proxy"] });
      const credentialsKey = await app.call<string>("apiKey", { userId: ws!.ownerId, workspaceId: ws!.workspaceId, permissions: ["credentials"] });
      // PERF_PROXY_CASES=<text>: only the cases whose name contains it (a quicker look at one).
      const only = process.env.PERF_PROXY_CASES;
      for (const c of PROXY_CALL_CASES.filter((c) => !only || c.name.includes(only))) {
        await emulator.call("setFault", { provider: c.provider, fault: c.delayMs ? { mode: "slow", delayMs: c.delayMs } : { mode: "ok" } });
        const loadBefore = loadavg()[0]!;
        const conn = sandboxConns.find((x) => x.providerId === c.provider)!;
        // The token the direct side sends: the product's own answer to a credentials read.
        const tokenRes = await fetch(`${app.url}/api/connections/${conn.id}/token`, { method: "POST", headers: { authorization: `Bearer ${credentialsKey}` } });
        const token = (await tokenRes.json()) as { access_token?: string };
        if (tokenRes.status !== 200 || !token.access_token) throw new Error(`${c.name}: the credentials read answered ${tokenRes.status} ${JSON.stringify(token).slice(0, 300)}`);
        const directUrl = `${emulatorUrl}/sandbox/${c.provider}${c.provider === "slack" ? "/api" : ""}/${c.path}`;
        const proxiedUrl = `${app.url}/proxy/${conn.id}/${c.path}`;
        const directHeaders = { authorization: `Bearer ${token.access_token}` };
        const proxiedHeaders = { authorization: `Bearer ${proxyKey}` };
        // Both answer the same thing, or the comparison means nothing.
        const [p, d] = await Promise.all([fetch(proxiedUrl, { headers: proxiedHeaders }), fetch(directUrl, { headers: directHeaders })]);
        const [pb, db] = await Promise.all([p.json(), d.json()]);
        if (p.status !== 200 || d.status !== 200 || p.headers.get("x-switchboard-proxy-error") || !isDeepStrictEqual(pb, db) || (c.provider === "slack" && (pb as { ok?: boolean }).ok !== true)) {
          throw new Error(`${c.name}: proxied and direct answers differ: ${p.status} ${JSON.stringify(pb).slice(0, 300)} vs ${d.status} ${JSON.stringify(db).slice(0, 300)}`);
        }
        const apiCalls = async () => ((await emulator.call("stats")) as Record<string, { apiCalls: number }>)[c.provider]!.apiCalls;
        const reached = { emulator: 0, answered: 0 };
        let appCpuUs = 0;
        let emulatorCpuUs = 0;
        let bareCpuUs = 0;
        let appLoop: ProxyCallResult["appLoop"];
        // The reference: a bare pass-through in front of the same emulator path (both loads).
        const barePort = await freePort();
        const bare = await startHost(`bare-proxy-${c.provider}`, "bare-proxy-host.ts", { PORT: String(barePort), TARGET: directUrl.slice(0, directUrl.length - c.path.length), TOKEN: token.access_token });
        ctx.hosts.add(bare);
        const bareUrl = `http://127.0.0.1:${barePort}/proxy/${conn.id}/${c.path}`;
        const run = async (side: "proxied" | "direct" | "bare", seconds: number, rate?: number, count = true) => {
          if (side === "bare") {
            if (!rate && count) await bare.call("cpuMark");
            const r = await load({ url: bareUrl, method: "GET", headers: {}, connections: options.connections, seconds, rate });
            if (!rate && count) bareCpuUs += await bare.call<number>("cpuSince");
            return r;
          }
          if (side === "direct") {
            if (!rate && count) await emulator.call("cpuMark");
            const r = await load({ url: directUrl, method: "GET", headers: directHeaders, connections: options.connections, seconds, rate });
            if (!rate && count) emulatorCpuUs += await emulator.call<number>("cpuSince");
            return r;
          }
          const before = await apiCalls();
          if (!rate && count) await app.call("cpuMark");
          if (rate && count) await app.call("eldStart");
          const r = await load({ url: proxiedUrl, method: "GET", headers: proxiedHeaders, connections: options.connections, seconds, rate });
          if (!rate && count) appCpuUs += await app.call<number>("cpuSince");
          if (rate && count) {
            const l = await app.call<{ p99: number; max: number; gc: { count: number; maxMs: number; totalMs: number }; cpuPercent: number }>("eldStop");
            // The worse of the rounds.
            if (!appLoop || l.p99 > appLoop.p99) appLoop = { p99: l.p99, max: l.max, gcCount: l.gc.count, gcMaxMs: l.gc.maxMs, gcTotalMs: l.gc.totalMs, cpuPercent: l.cpuPercent };
          }
          if (count) {
            reached.emulator += (await apiCalls()) - before;
            reached.answered += r.requests;
          }
          return r;
        };
        log(`  ${c.name}: warm-up`);
        await run("direct", options.warmupSeconds, undefined, false);
        await run("proxied", options.warmupSeconds, undefined, false);
        const rounds = async (rate?: number) => {
          const prox: LoadResult[] = [];
          const dir: LoadResult[] = [];
          for (let r = 0; r < (rate ? options.fixedRounds : options.rounds); r++) {
            // Alternate the order so drift on a shared machine hits both sides alike.
            if (r % 2 === 0) {
              dir.push(await run("direct", options.seconds, rate));
              prox.push(await run("proxied", options.seconds, rate));
            } else {
              prox.push(await run("proxied", options.seconds, rate));
              dir.push(await run("direct", options.seconds, rate));
            }
          }
          return { proxied: combine(prox), direct: combine(dir) } as { proxied: LoadResult; direct: LoadResult; bare?: LoadResult };
        };
        const closed = await rounds();
        // A rate both sides sustain: half of what the proxy served in the closed loop.
        const rate = Math.max(10, Math.floor(closed.proxied.rps / 2 / 10) * 10);
        log(`  ${c.name}: closed loop ${closed.proxied.rps.toFixed(0)} vs ${closed.direct.rps.toFixed(0)} req/s (${(closed.proxied.rps / closed.direct.rps).toFixed(2)}x), p99 ${closed.proxied.p99.toFixed(1)} vs ${closed.direct.p99.toFixed(1)} ms; now at ${rate} req/s`);
        const fixed: ProxyCallResult["fixed"] = await rounds(rate);
        {
          const answer = await fetch(bareUrl);
          if (!isDeepStrictEqual(await answer.json(), db)) throw new Error(`${c.name}: the bare pass-through answers differently`);
          await run("bare", options.warmupSeconds, undefined, false);
          const b: LoadResult[] = [];
          const bc: LoadResult[] = [];
          for (let r = 0; r < Math.max(options.rounds, options.fixedRounds); r++) {
            if (r < options.rounds) bc.push(await run("bare", options.seconds));
            if (r < options.fixedRounds) b.push(await run("bare", options.seconds, rate));
          }
          closed.bare = combine(bc);
          fixed.bare = combine(b);
          ctx.hosts.delete(bare);
          await bare.stop();
        }
        {
          const ps = [50, 75, 90, 95, 98, 99, 99.9];
          for (const [label, r] of Object.entries({ "closed proxied": closed.proxied, "closed direct": closed.direct, "closed bare": closed.bare, "fixed proxied": fixed.proxied, "fixed direct": fixed.direct, "fixed bare": fixed.bare }))
            if (r) log(`    ${label.padEnd(15)} ${ps.map((p) => `p${p} ${percentile(r.latencies, p).toFixed(1)}`).join("  ")}  max ${r.latencies.reduce((a, b) => Math.max(a, b), 0).toFixed(1)} ms`);
        }
        // On failures, what a few calls answer now (the bench reports it rather than guessing).
        const failed: string[] = [];
        if ([closed.proxied, closed.direct, fixed.proxied, fixed.direct].some((r) => r.non2xx + r.errors > 0)) {
          for (let i = 0; i < 40 && failed.length < 3; i++) {
            const res = await fetch(proxiedUrl, { headers: proxiedHeaders });
            const text = await res.text();
            if (res.status !== 200) failed.push(`${res.status} ${res.headers.get("x-switchboard-proxy-error") ?? ""} ${text.slice(0, 200)}`);
          }
        }
        for (const [label, r] of Object.entries({ "closed proxied": closed.proxied, "closed direct": closed.direct, "fixed proxied": fixed.proxied, "fixed direct": fixed.direct })) {
          if (r.non2xx + r.errors > 0) throw new Error(`${c.name}: failed requests (${label}: ${r.non2xx} non-2xx, ${r.errors} errors; statuses ${JSON.stringify(r.statuses)})${failed.length ? `; a failed answer: ${failed.join(" | ")}` : ""}`);
        }
        log(`  ${c.name}: at ${rate} req/s p99 ${fixed.proxied.p99.toFixed(1)} vs ${fixed.direct.p99.toFixed(1)} ms (${(fixed.proxied.p99 / fixed.direct.p99).toFixed(2)}x), p50 ${fixed.proxied.p50.toFixed(1)} vs ${fixed.direct.p50.toFixed(1)} ms; a bare pass-through p99 ${fixed.bare?.p99.toFixed(1)} ms, p50 ${fixed.bare?.p50.toFixed(1)} ms (closed loop ${closed.bare?.rps.toFixed(0)} req/s, p99 ${closed.bare?.p99.toFixed(1)} ms); CPU per call: the app ${(appCpuUs / 1000 / Math.max(1, closed.proxied.requests)).toFixed(3)} ms, the bare pass-through ${(bareCpuUs / 1000 / Math.max(1, closed.bare?.requests ?? 1)).toFixed(3)} ms; the app's event-loop delay p99 ${appLoop?.p99.toFixed(1)} ms (max ${appLoop?.max.toFixed(1)}), GC ${appLoop?.gcCount} pauses, longest ${appLoop?.gcMaxMs.toFixed(1)} ms, CPU ${appLoop?.cpuPercent.toFixed(0)}% of a core; load average ${loadavg()[0]!.toFixed(1)}; the load generator's own event-loop delay at the fixed rate: p99 ${fixed.proxied.client?.loopP99.toFixed(1)} / ${fixed.direct.client?.loopP99.toFixed(1)} ms, max ${fixed.proxied.client?.loopMax.toFixed(1)} / ${fixed.direct.client?.loopMax.toFixed(1)} ms (proxied / direct rounds)`);
        if (options.profileDir) {
          const dir = join(options.profileDir, `${c.provider}-${c.delayMs ?? 0}`);
          mkdirSync(dir, { recursive: true });
          await app.call("profileStart");
          const prox = await run("proxied", options.seconds, undefined, false);
          await app.call("profileStop", { file: join(dir, "app.cpuprofile") });
          // Allocations per call, garbage included: how often the young generation is collected.
          await app.call("heapProfileStart");
          const heapRun = await run("proxied", options.seconds, undefined, false);
          await app.call("heapProfileStop", { file: join(dir, "app.heapprofile") });
          await emulator.call("profileStart");
          const dir2 = await run("direct", options.seconds, undefined, false);
          await emulator.call("profileStop", { file: join(dir, "emulator.cpuprofile") });
          (out.profiles ??= {})[`9. proxy, ${c.name}: the app per proxied call vs the emulator per direct call`] = comparePerRequest(
            { label: "app", summary: summarizeProfiles(dir, 14, (f) => f === "app.cpuprofile"), requests: prox.requests },
            { label: "emulator", summary: summarizeProfiles(dir, 14, (f) => f === "emulator.cpuprofile"), requests: dir2.requests },
          ) + "\n" + formatSummary(summarizeProfiles(dir, 14, (f) => f === "app.cpuprofile"));
          out.profiles[`9. proxy, ${c.name}: what the app allocates per proxied call`] = formatAllocations(join(dir, "app.heapprofile"), heapRun.requests);
          log(`profile: ${c.name}\n${out.profiles[`9. proxy, ${c.name}: the app per proxied call vs the emulator per direct call`]}\n${out.profiles[`9. proxy, ${c.name}: what the app allocates per proxied call`]}`);
        }
        out.calls.push({
          name: c.name,
          delayMs: c.delayMs ?? 0,
          endpoint: new URL(directUrl).pathname,
          connections: options.connections,
          closed,
          rate,
          fixed,
          reached,
          appCpuMsPerCall: appCpuUs / 1000 / Math.max(1, closed.proxied.requests),
          bareCpuMsPerCall: closed.bare ? bareCpuUs / 1000 / Math.max(1, closed.bare.requests) : undefined,
          appLoop,
          emulatorCpuMsPerCall: emulatorCpuUs / 1000 / Math.max(1, closed.direct.requests),
          loadAverage: [loadBefore, loadavg()[0]!],
          bytes: { proxied: Math.round(closed.proxied.bytesPerRequest), direct: Math.round(closed.direct.bytesPerRequest) },
        });
      }
    } finally {
      await app.stop();
      ctx.hosts.delete(emulator);
      await emulator.stop();
    }

    // ── (b) 100 MB through the proxy, read slowly ──
    const streamer = await ctx.startApp("proxy-stream", { PROVIDERS_FILE: catalogFile });
    try {
      const key = await streamer.call<string>("apiKey", { userId: ws!.ownerId, workspaceId: ws!.workspaceId, permissions: ["proxy"] });
      const base = `${streamer.url}/proxy/${bulkId}`;
      // Warm-up: the route, the key, the upstream's socket, a small streamed answer of each framing.
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${base}/small`, { headers: { authorization: `Bearer ${key}` } });
        if (res.status !== 200) throw new Error(`proxy to the upstream answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
      for (const framing of ["length", "chunked"] as const) await readSlowly(`${base}/big?bytes=${MB}&framing=${framing}`, key, 0, upstream);
      await streamer.call("heap"); // two full collections
      await sleep(500);
      await streamer.call("memWatchStart", { intervalMs: 10 });
      await sleep(1000);
      const idle = await streamer.call<{ peak: Memory; samples: number }>("memWatchStop");
      out.streamIdleSamples = idle.samples;
      for (const framing of ["length", "chunked"] as const) {
        await streamer.call("memWatchStart", { intervalMs: 10 });
        const read = await readSlowly(`${base}/big?bytes=${options.streamBytes}&framing=${framing}`, key, options.readerRate, upstream);
        const watched = await streamer.call<{ peak: Memory; samples: number }>("memWatchStop");
        out.stream.push({ framing, bytes: options.streamBytes, ...read, digestOk: read.digest === patternDigest(options.streamBytes), readerRate: options.readerRate, idle: idle.peak, peak: watched.peak, samples: watched.samples });
        log(`  ${options.streamBytes / MB} MB (${framing}): ${read.received} bytes in ${read.seconds.toFixed(1)} s, rss +${((watched.peak.rss - idle.peak.rss) / MB).toFixed(1)} MB, heap +${((watched.peak.heapUsed - idle.peak.heapUsed) / MB).toFixed(1)} MB, arrayBuffers +${((watched.peak.arrayBuffers - idle.peak.arrayBuffers) / MB).toFixed(1)} MB, provider ahead by at most ${(read.maxAhead / MB).toFixed(1)} MB`);
      }
      const refused = (await upstream.call<{ refused: number }>("progress")).refused;
      if (refused > 0) throw new Error(`the upstream refused ${refused} requests: the proxy sent another token than the connection's`);
    } finally {
      await streamer.stop();
    }
  } finally {
    ctx.hosts.delete(upstream);
    await upstream.stop();
  }
  return out;
}

/** SHA-256 of the first `bytes` bytes of the upstream's pattern. */
function patternDigest(bytes: number): string {
  const h = createHash("sha256");
  for (let k = 0, left = bytes; left > 0; k++, left -= CHUNK) h.update(left < CHUNK ? patternChunk(k).subarray(0, left) : patternChunk(k));
  return h.digest("hex");
}

/**
 * GETs `url` and reads the answer at `rate` bytes/s (0: as fast as it comes), pausing the
 * socket whenever it is ahead of that pace, so backpressure has to reach the provider. Samples
 * how far the provider's writing is ahead of this reader every 50 ms.
 */
async function readSlowly(url: string, key: string, rate: number, upstream: Host): Promise<{ status: number; received: number; digest: string; seconds: number; maxAhead: number }> {
  const { hostname, port, pathname, search } = new URL(url);
  // Only this answer's bytes count: the provider's counter shows the last answer's until this one begins.
  const before = (await upstream.call<{ transfers: number }>("progress")).transfers;
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    let received = 0;
    let maxAhead = 0;
    let sampling = true;
    const started = performance.now();
    const sampler = (async () => {
      while (sampling) {
        const p = await upstream.call<{ transfers: number; written: number }>("progress").catch(() => null);
        if (p && p.transfers === before + 1) maxAhead = Math.max(maxAhead, p.written - received);
        await sleep(50);
      }
    })();
    const req = request({ hostname, port, path: pathname + search, method: "GET", headers: { authorization: `Bearer ${key}` }, agent: false }, (res) => {
      res.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
        if (!rate) return;
        const due = (received / rate) * 1000 - (performance.now() - started);
        if (due > 5) {
          res.pause();
          setTimeout(() => res.resume(), due);
        }
      });
      res.on("end", () => {
        sampling = false;
        void sampler.then(() => resolve({ status: res.statusCode ?? 0, received, digest: hash.digest("hex"), seconds: (performance.now() - started) / 1000, maxAhead }));
      });
      res.on("error", (e) => {
        sampling = false;
        reject(e);
      });
    });
    req.on("error", (e) => {
      sampling = false;
      reject(e);
    });
    req.end();
  });
}
