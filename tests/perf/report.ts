import type { ReadResult } from "./bench/graphql-read.ts";
import type { SqlCountRow } from "./bench/sql-count.ts";
import type { FanoutResult } from "./bench/fanout.ts";
import type { SweepResult } from "./bench/sweep.ts";
import type { ReplicaSweepResult } from "./bench/replica-sweep.ts";
import type { StampedeResult } from "./bench/stampede.ts";
import type { EldResult } from "./bench/event-loop.ts";
import type { ScaleOutRun } from "./bench/scale-out.ts";
import type { UptimeHistoryResult } from "./bench/uptime-history.ts";
import type { ProxyResult } from "./bench/proxy.ts";
import { findings } from "./findings.ts";

export const COMMAND = "api/node_modules/.bin/tsx tests/perf/run.ts";

export type Results = {
  /** When the run ended (epoch ms): --report-only renders the run's time, not its own. */
  finishedAt?: number;
  read?: ReadResult[];
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
};

export type Row = { benchmark: string; system: string; baseline: string; ratio: string; target: string; met: boolean | null };

const n = (x: number, d = 1) => (Number.isFinite(x) ? x.toLocaleString("en", { maximumFractionDigits: d, minimumFractionDigits: 0 }) : "n/a");
const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : "n/a");

/** A growth with its sign: "+1.2", "−9.2" (the peak can be under the idle peak when pages went back to the OS). */
const signed = (v: number): string => `${v < 0 ? "−" : "+"}${n(Math.abs(v))}`;

export function rows(r: Results): Row[] {
  const out: Row[] = [];
  for (const c of r.read ?? []) {
    const t = c.target ?? { rps: 0.75, p95: 1.3, p99: 1.5 };
    const rps = c.system.rps / c.baseline.rps;
    const p95 = c.system.p95 / c.baseline.p95;
    const p99 = c.system.p99 / c.baseline.p99;
    out.push({ benchmark: `1. GraphQL read, ${c.name}: requests/s`, system: n(c.system.rps), baseline: n(c.baseline.rps), ratio: x(rps), target: `≥ ${t.rps}x`, met: rps >= t.rps });
    out.push({ benchmark: `1. GraphQL read, ${c.name}: p95`, system: `${n(c.system.p95)} ms`, baseline: `${n(c.baseline.p95)} ms`, ratio: x(p95), target: `≤ ${t.p95}x`, met: p95 <= t.p95 });
    out.push({ benchmark: `1. GraphQL read, ${c.name}: p99`, system: `${n(c.system.p99)} ms`, baseline: `${n(c.baseline.p99)} ms`, ratio: x(p99), target: `≤ ${t.p99}x`, met: p99 <= t.p99 });
  }
  if (r.sql) {
    const equal = r.sql.filter((s) => s.equal && s.errors.length === 0);
    out.push({
      benchmark: `2. SQL statements per dashboard query, 10 vs 1,000 connections (${r.sql.length} queries)`,
      system: r.sql.map((s) => `${s.operation} ${s.small}/${s.large}`).join(", "),
      baseline: "n/a",
      ratio: "n/a",
      target: "equal for every query",
      met: equal.length === r.sql.length,
    });
  }
  for (const f of r.fanout ?? []) {
    const all = f.system.received === f.system.expected && f.baseline.received === f.baseline.expected;
    out.push({ benchmark: `3. fan-out to ${n(f.size, 0)} subscribers: all received`, system: `${n(f.system.received, 0)}/${n(f.system.expected, 0)}`, baseline: `${n(f.baseline.received, 0)}/${n(f.baseline.expected, 0)}`, ratio: "n/a", target: "all", met: all });
    const p99 = f.system.p99 / f.baseline.p99;
    out.push({ benchmark: `3. fan-out to ${n(f.size, 0)} subscribers: p99 delivery`, system: `${n(f.system.p99)} ms`, baseline: `${n(f.baseline.p99)} ms`, ratio: x(p99), target: "≤ 1.5x", met: p99 <= 1.5 });
    const cpu = f.system.cpuMsPerEvent / f.baseline.cpuMsPerEvent;
    out.push({ benchmark: `3. fan-out to ${n(f.size, 0)} subscribers: server CPU per event`, system: `${n(f.system.cpuMsPerEvent)} ms`, baseline: `${n(f.baseline.cpuMsPerEvent)} ms`, ratio: x(cpu), target: "≤ 2.5x", met: cpu <= 2.5 });
  }
  const biggest = r.fanout?.at(-1);
  if (biggest) {
    out.push({
      benchmark: `3. heap per idle subscription (${n(biggest.size, 0)} sockets, one subscription each)`,
      system: `${n(biggest.system.heapPerSocketBytes / 1024)} KB`,
      baseline: `${n(biggest.baseline.heapPerSocketBytes / 1024)} KB (raw socket)`,
      ratio: x(biggest.system.heapPerSocketBytes / biggest.baseline.heapPerSocketBytes),
      target: "≤ 10 KB",
      met: biggest.system.heapPerSocketBytes <= 10 * 1024,
    });
  }
  if (r.sweep) {
    const s = r.sweep;
    const ratio = s.system.perSecond / s.baseline.perSecond;
    out.push({ benchmark: `4. health sweep, ${n(s.connections, 0)} due connections: checks/s`, system: n(s.system.perSecond), baseline: `${n(s.baseline.perSecond)} (emulator capacity)`, ratio: x(ratio), target: "≥ 0.7x", met: ratio >= 0.7 });
    out.push({ benchmark: "4. health sweep: connections checked twice", system: `${n(s.checkedTwice, 0)} (${n(s.checkedOnce, 0)} once)`, baseline: "n/a", ratio: "n/a", target: "0", met: s.checkedTwice === 0 && s.checkedOnce === s.connections });
  }
  if (r.replicaSweep) {
    const s = r.replicaSweep;
    const ratio = s.system.perSecond / s.baseline.perSecond;
    out.push({
      benchmark: `4. health sweep, ${n(s.connections, 0)} due connections across ${s.replicas} replicas: checks/s`,
      system: n(s.system.perSecond),
      baseline: `${n(s.baseline.perSecond)} (emulator capacity, ${s.baseline.processes} bare loops × ${s.concurrency})`,
      ratio: x(ratio),
      target: "≥ 0.8x",
      met: ratio >= 0.8,
    });
    out.push({ benchmark: `4. health sweep across ${s.replicas} replicas: connections checked twice`, system: `${n(s.checkedTwice, 0)} (${n(s.checkedOnce, 0)} once)`, baseline: "n/a", ratio: "n/a", target: "0", met: s.checkedTwice === 0 && s.checkedOnce === s.connections });
  }
  if (r.stampede) {
    const d = r.stampede.defaults;
    out.push({
      benchmark: `5. refresh stampede, ${d.requests} concurrent requests / ${d.connections} expired connections / 2 processes (default settings)`,
      system: `${d.refreshRequests} token requests; ${d.healthy}/${d.requests} answered`,
      baseline: "n/a",
      ratio: "n/a",
      target: `exactly ${d.connections}, all answered`,
      met: d.refreshRequests === d.connections && d.healthy === d.requests,
    });
    const w = r.stampede.waves;
    const refreshes = w.reduce((a, b) => a + b.refreshRequests, 0);
    const conns = w.reduce((a, b) => a + b.connections, 0);
    const healthy = w.reduce((a, b) => a + b.healthy, 0);
    const reqs = w.reduce((a, b) => a + b.requests, 0);
    out.push({
      benchmark: `5. refresh stampede, ${reqs} requests / ${conns} connections in ${w.length} waves, DATABASE_POOL_SIZE=${r.stampede.pool}`,
      system: `${refreshes} token requests; ${healthy}/${reqs} answered`,
      baseline: "n/a",
      ratio: "n/a",
      target: `exactly ${conns}`,
      met: refreshes === conns && healthy === reqs,
    });
  }
  for (const e of r.eld ?? []) {
    out.push({
      benchmark: `6. event-loop delay p99, ${e.label}`,
      system: `${n(e.p99)} ms (max ${n(e.max)})`,
      baseline: e.idle ? `${n(e.idle.p99)} ms (max ${n(e.idle.max)}), an idle Node process in the same window` : "n/a",
      ratio: e.idle ? x(e.p99 / Math.max(1, e.idle.p99)) : "n/a",
      target: "< 20 ms",
      met: e.p99 < 20,
    });
  }
  if (r.scale) {
    const base = r.scale[0]!;
    for (const s of r.scale) {
      const grows = s === base ? null : s.perSecond > (r.scale[r.scale.indexOf(s) - 1]!.perSecond);
      out.push({
        benchmark: `7. scale-out, ${s.replicas} replica${s.replicas > 1 ? "s" : ""}: sweep checks/s`,
        system: n(s.perSecond),
        baseline: s === base ? "n/a" : `${n(base.perSecond)} (1 replica)`,
        ratio: s === base ? "1.00x" : x(s.perSecond / base.perSecond),
        target: s === base ? "reference" : "grows with replicas",
        met: grows,
      });
      out.push({
        benchmark: `7. scale-out, ${s.replicas} replica${s.replicas > 1 ? "s" : ""}: subscribers with exactly their workspace's events; checked twice`,
        system: `${s.subscribersRight}/${s.subscribers}; ${s.checkedTwice} twice (${n(s.checkedOnce, 0)} once)`,
        baseline: "n/a",
        ratio: "n/a",
        target: "all; 0",
        met: s.subscribersRight === s.subscribers && s.checkedTwice === 0,
      });
    }
  }
  if (r.uptime) {
    const u = r.uptime;
    const ratio = u.rollup.days90.p50 / u.rollup.days14.p50;
    out.push({
      benchmark: `8. 30-day uptime of ${u.connections} connections with 14 vs 90 days of history: p50 (rollups)`,
      system: `${n(u.rollup.days90.p50, 2)} ms (90 days, ${n(u.rawRows.days90, 0)} raw checks)`,
      baseline: `${n(u.rollup.days14.p50, 2)} ms (14 days, ${n(u.rawRows.days14, 0)} raw checks)`,
      ratio: x(ratio),
      target: "≤ 1.2x",
      met: ratio <= 1.2,
    });
    out.push({
      benchmark: "8. the same from raw checks (the statement before rollups), for reference: p50",
      system: `${n(u.raw.days90.p50, 2)} ms (90 days)`,
      baseline: `${n(u.raw.days14.p50, 2)} ms (14 days)`,
      ratio: x(u.raw.days90.p50 / u.raw.days14.p50),
      target: "reference",
      met: null,
    });
  }
  for (const c of r.proxy?.calls ?? []) {
    const rps = c.closed.proxied.rps / c.closed.direct.rps;
    const p99 = c.closed.proxied.p99 / c.closed.direct.p99;
    const fixed = c.fixed.proxied.p99 / c.fixed.direct.p99;
    // Issue 15 item 7's targets are judged against a provider some distance away (the cases with
    // delayMs). Against an in-memory answer no proxy meets them on this machine (the bare
    // pass-through does not: its rows below), so those rows are the proxy's own cost, for reference.
    const judged = c.delayMs > 0;
    const instant = judged ? "" : " (the emulator answering at once: the proxy's own cost, for reference)";
    out.push({ benchmark: `9. proxy, ${c.name}, proxied vs direct: requests/s (closed loop, ${c.connections} connections)${instant}`, system: n(c.closed.proxied.rps), baseline: `${n(c.closed.direct.rps)} (direct)`, ratio: x(rps), target: judged ? "≥ 0.8x" : "reference", met: judged ? rps >= 0.8 : null });
    // The added latency is judged where both sides get the same calls at the same times (open
    // loop); in the closed loop each side sets its own pace, so its latency is connections /
    // requests/s, judged by the row above (shown for reference).
    out.push({ benchmark: `9. proxy, ${c.name}, proxied vs direct: p99 at a fixed ${n(c.rate, 0)} requests/s (open loop, evenly spaced: the added latency)${instant}`, system: `${n(c.fixed.proxied.p99)} ms`, baseline: `${n(c.fixed.direct.p99)} ms (direct)`, ratio: x(fixed), target: judged ? "≤ 1.3x" : "reference", met: judged ? fixed <= 1.3 : null });
    out.push({ benchmark: `9. proxy, ${c.name}, proxied vs direct: p99 in the closed loop (each side at its own capacity), for reference`, system: `${n(c.closed.proxied.p99)} ms`, baseline: `${n(c.closed.direct.p99)} ms (direct)`, ratio: x(p99), target: "reference", met: null });
    if (c.fixed.bare)
      out.push({
        benchmark: `9. proxy, ${c.name}: a bare node:http pass-through (no key, statement or vault) vs direct, p99 at the same ${n(c.rate, 0)} requests/s, for reference`,
        system: `${n(c.fixed.bare.p99)} ms`,
        baseline: `${n(c.fixed.direct.p99)} ms (direct)`,
        ratio: x(c.fixed.bare.p99 / c.fixed.direct.p99),
        target: "reference",
        met: null,
      });
    if (c.closed.bare)
      out.push({
        benchmark: `9. proxy, ${c.name}: the bare pass-through vs direct in the closed loop, p99 (requests/s ${n(c.closed.bare.rps, 0)} vs ${n(c.closed.direct.rps, 0)}), for reference`,
        system: `${n(c.closed.bare.p99)} ms`,
        baseline: `${n(c.closed.direct.p99)} ms (direct)`,
        ratio: x(c.closed.bare.p99 / c.closed.direct.p99),
        target: "reference",
        met: null,
      });
    if (c.bareCpuMsPerCall)
      out.push({
        benchmark: `9. proxy, ${c.name}: CPU per call in the closed loop, the app vs the bare pass-through, for reference`,
        system: `${n(c.appCpuMsPerCall, 3)} ms`,
        baseline: `${n(c.bareCpuMsPerCall, 3)} ms (bare)`,
        ratio: x(c.appCpuMsPerCall / c.bareCpuMsPerCall),
        target: "reference",
        met: null,
      });
  }
  for (const s of r.proxy?.stream ?? []) {
    const growth = s.peak.rss - s.idle.rss;
    const all = s.status === 200 && s.received === s.bytes && s.digestOk;
    out.push({
      benchmark: `9. proxy, a ${n(s.bytes / 1024 / 1024, 0)} MB answer (${s.framing === "length" ? "Content-Length" : "chunked"}) read at ${n(s.readerRate / 1024 / 1024, 0)} MB/s: the app's peak growth over idle; bytes received`,
      system: `rss ${signed(growth / 1024 / 1024)} MB, heap ${signed((s.peak.heapUsed - s.idle.heapUsed) / 1024 / 1024)} MB; ${n(s.received, 0)} bytes${all ? ", digest equal" : s.digestOk ? "" : ", digest DIFFERS"}`,
      baseline: `idle rss ${n(s.idle.rss / 1024 / 1024)} MB, heap ${n(s.idle.heapUsed / 1024 / 1024)} MB`,
      ratio: "n/a",
      target: `< 32 MB; ${n(s.bytes, 0)} bytes`,
      met: growth < 32 * 1024 * 1024 && all,
    });
  }
  return out;
}

function textTable(list: Row[]): string {
  const head = ["benchmark", "system", "baseline", "ratio", "target", "met?"];
  const data = list.map((r) => [r.benchmark, r.system, r.baseline, r.ratio, r.target, r.met === null ? "-" : r.met ? "yes" : "NO"]);
  const widths = head.map((h, i) => Math.min(70, Math.max(h.length, ...data.map((d) => d[i]!.length))));
  const line = (cells: string[]) => cells.map((c, i) => (c.length > widths[i]! ? c.slice(0, widths[i]! - 1) + "…" : c.padEnd(widths[i]!))).join(" | ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("-+-"), ...data.map(line)].join("\n");
}

export function renderReport(r: Results, sizes: Record<string, unknown>): { table: string; markdown: string } {
  const list = rows(r);
  const md: string[] = [];
  md.push("# Performance", "");
  md.push("Every figure below is a ratio against the simplest program that does the same work, measured in the same run on the same machine, because these machines are shared and absolute times drift. The HTTP load comes from a process of its own (`tests/perf/hosts/load-host.ts`), not from the runner, whose heap holds the seeded data. Written by the benchmark suite (`tests/perf/`); do not edit by hand, run it again.", "");
  md.push("```sh", `${COMMAND}            # everything, about ${Math.round((r.seconds ?? 0) / 60)} minutes here; rewrites this file`, `${COMMAND} --profile  # the same, plus CPU profiles of the product processes (evidence below)`, `${COMMAND} --only=read,page,proxy  # a subset (writes tests/perf/.last-partial.md instead)`, "tests/node_modules/.bin/vitest run --config tests/perf/vitest.config.ts  # benchmark 2 as a test", "```", "");
  md.push(`Measured ${new Date(r.finishedAt ?? Date.now()).toISOString().slice(0, 16).replace("T", " ")} UTC on a shared 2-core machine (Node ${process.version}, PostgreSQL and Redis local), ${r.seconds ?? "?"} s for the whole run.`, "");
  md.push("| benchmark | system | baseline | ratio | target | met? |", "|---|---|---|---|---|---|");
  for (const row of list) md.push(`| ${row.benchmark} | ${row.system} | ${row.baseline} | ${row.ratio} | ${row.target} | ${row.met === null ? "–" : row.met ? "yes" : "**no**"} |`);
  md.push("", findings(r, sizes));
  if (Object.keys(r.profiles).length > 0) {
    md.push("", "## CPU profiles of this run (`--profile`)", "");
    for (const [label, text] of Object.entries(r.profiles)) md.push(`### ${label}`, "", "```", text, "```", "");
  }
  return { table: textTable(list), markdown: md.join("\n") + "\n" };
}
