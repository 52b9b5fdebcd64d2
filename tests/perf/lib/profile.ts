import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// Reads the .cpuprofile files `node --cpu-prof` wrote and sums self time by package (or source
// file of this repository) and by function: the evidence for "where did the CPU go".

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

function bucket(url: string): string {
  if (!url) return "(native / idle / gc)";
  const pnpm = /node_modules\/\.pnpm\/((?:@[^+/]+\+)?[^@/]+)@/.exec(url);
  if (pnpm) return pnpm[1]!.replace("+", "/");
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const repo = /\/work\/main\/(.+)$/.exec(url.replace(/^file:\/\//, ""));
  if (repo) return repo[1]!.replace(/\/[^/]+$/, "/");
  if (url.startsWith("node:")) return "node (core)";
  return url;
}

export type ProfileSummary = { totalMs: number; byPackage: { name: string; ms: number; share: number }[]; byFunction: { name: string; ms: number; share: number }[] };

export function summarizeProfiles(dir: string, top = 12, only?: (file: string) => boolean): ProfileSummary {
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile") && (!only || only(f)))) {
    const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as Profile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
    for (const [id, ms] of self) {
      const node = nodes.get(id)!;
      const fn = node.callFrame.functionName || "(anonymous)";
      if (fn === "(idle)" || fn === "(program)") continue;
      total += ms;
      const pkg = fn === "(garbage collector)" ? "(garbage collector)" : bucket(node.callFrame.url);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms);
      const key = `${fn} (${pkg}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ""})`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    }
  }
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: total ? ms / total : 0 }));
  return { totalMs: Math.round(total), byPackage: list(byPackage), byFunction: list(byFunction) };
}

export function formatSummary(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return [
    `CPU samples: ${s.totalMs} ms (idle excluded)`,
    "by package / source folder (self time):",
    ...s.byPackage.map((p) => `  ${pct(p.share).padStart(6)}  ${p.name}`),
    "by function (self time):",
    ...s.byFunction.map((p) => `  ${pct(p.share).padStart(6)}  ${p.name}`),
  ].join("\n");
}

/** CPU milliseconds per request by package, two profiles side by side (product vs baseline). */
export function comparePerRequest(a: { label: string; summary: ProfileSummary; requests: number }, b: { label: string; summary: ProfileSummary; requests: number }): string {
  const names = [...new Set([...a.summary.byPackage.map((p) => p.name), ...b.summary.byPackage.map((p) => p.name)])];
  const per = (s: ProfileSummary, r: number, name: string) => (s.byPackage.find((p) => p.name === name)?.ms ?? 0) / Math.max(1, r);
  const rows = names
    .map((name) => ({ name, a: per(a.summary, a.requests, name), b: per(b.summary, b.requests, name) }))
    .sort((x, y) => y.a - y.b - (x.a - x.b));
  return [
    `CPU ms per request: ${a.label} ${(a.summary.totalMs / Math.max(1, a.requests)).toFixed(2)}, ${b.label} ${(b.summary.totalMs / Math.max(1, b.requests)).toFixed(2)} (${a.requests} and ${b.requests} requests profiled)`,
    `by package (self time per request; top ${a.summary.byPackage.length} of each side):`,
    `  ${"package".padEnd(40)} ${a.label.padStart(10)} ${b.label.padStart(10)}`,
    ...rows.map((r) => `  ${r.name.slice(0, 40).padEnd(40)} ${r.a.toFixed(3).padStart(10)} ${r.b.toFixed(3).padStart(10)}`),
  ].join("\n");
}

type HeapNode = { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: HeapNode[] };

/**
 * A sampling heap profile (HeapProfiler.startSampling with collected objects included, lib/child.ts
 * heapProfileStart): bytes allocated per request, garbage included, by package and by function.
 * What a request allocates decides how often the young generation is collected.
 */
export function formatAllocations(file: string, requests: number, top = 12): string {
  const { head } = JSON.parse(readFileSync(file, "utf8")) as { head: HeapNode };
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode) => {
    const pkg = bucket(node.callFrame.url);
    const fn = `${node.callFrame.functionName || "(anonymous)"} (${pkg}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ""})`;
    total += node.selfSize;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.selfSize);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(head);
  const kb = (bytes: number) => `${(bytes / 1024 / Math.max(1, requests)).toFixed(2).padStart(6)} KB`;
  const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, bytes]) => `  ${kb(bytes)}  ${name}`);
  return [`Allocated per request (sampled, garbage included): ${kb(total).trim()} (${requests} requests)`, "by package / source folder:", ...list(byPackage), "by function (self):", ...list(byFunction)].join("\n");
}
