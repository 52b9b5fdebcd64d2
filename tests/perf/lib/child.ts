import { spawn, type ChildProcess } from "node:child_process";
import { openSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

// Every server a benchmark measures runs in a child process of its own, so the load generator
// and the clients in the parent never share its event loop or its CPU accounting. The child
// answers requests over the IPC channel: { id, cmd, args } → { id, ok, result | error }.

export const root = join(import.meta.dirname, "../../..");

export type Host = {
  name: string;
  pid: number;
  /** What the child announced when it was ready (its port, for servers). */
  ready: Record<string, unknown>;
  call<T = any>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
  /** SIGKILL, for a process that is stuck (its database sessions end with it). */
  kill(): Promise<void>;
  stderr(): string;
};

const running = new Set<ChildProcess>();

/** Kills every child still running (the run's last step, and on a crash). */
export function killAll(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

export async function startHost(name: string, file: string, env: Record<string, string>, options: { timeoutMs?: number; nodeArgs?: string[]; /** The host's stdout (its log lines) to this file instead of a pipe this process reads. */ stdoutFile?: string } = {}): Promise<Host> {
  // `--import tsx` resolves from the api package (cwd), which has tsx; --expose-gc lets hosts
  // measure heap after a full collection.
  const child = spawn(process.execPath, ["--expose-gc", "--max-old-space-size=4096", ...(options.nodeArgs ?? []), "--import", "tsx", join(root, "tests/perf/hosts", file)], {
    cwd: join(root, "api"),
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", options.stdoutFile ? openSync(options.stdoutFile, "a") : "pipe", "pipe", "ipc"],
  });
  running.add(child);
  let err = "";
  child.stderr!.on("data", (c) => {
    err += c;
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  child.stdout?.on("data", (c) => process.env.PERF_VERBOSE && process.stdout.write(`[${name}] ${c}`));
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.on("exit", (code, signal) => {
      exited = true;
      running.delete(child);
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${name} exited (${code ?? signal}) during a call: ${err.slice(-1500)}`));
      }
      pending.clear();
      resolve();
    }),
  );
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${options.timeoutMs ?? 60_000} ms: ${err.slice(-1500)}`)), options.timeoutMs ?? 60_000);
    child.on("message", (m: any) => {
      if (m?.ready) {
        clearTimeout(timer);
        resolve(m.ready);
      } else if (typeof m?.id === "number") {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(`${name}.${m.cmd}: ${m.error}`));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready: ${err.slice(-2000)}`));
    });
  });
  return {
    name,
    pid: child.pid!,
    ready,
    stderr: () => err,
    call(cmd, args, timeoutMs = 300_000) {
      if (exited) return Promise.reject(new Error(`${name} is not running`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}.${cmd} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        child.send({ id, cmd, args });
      });
    },
    async kill() {
      if (exited) return;
      child.kill("SIGKILL");
      await exitedPromise;
    },
    async stop() {
      if (exited) return;
      const grace = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.send({ id: 0, cmd: "stop" });
      await exitedPromise;
      clearTimeout(grace);
    },
  };
}

/** The child side: serve `handlers` over IPC, announce `ready`, exit on "stop". */
let cpuMarked = process.cpuUsage();
/** Starts this process's CPU count over (the cpuMark command, and hosts whose commands start a measurement). */
export function markCpu(): void {
  cpuMarked = process.cpuUsage();
}

export function serveIpc(own: Record<string, (args: any) => unknown>, onStop: () => Promise<void>): void {
  // Every host can profile its CPU or sample its allocations over a measurement window (start-up
  // excluded), for --profile.
  let inspector: Session | null = null;
  const open = (): Session => {
    inspector = new Session();
    inspector.connect();
    return inspector;
  };
  /** Writes a profile the inspector returned and ends the session. */
  const save = (file: string, profile: unknown): true => {
    writeFileSync(file, JSON.stringify(profile));
    inspector!.disconnect();
    inspector = null;
    return true;
  };
  const handlers: Record<string, (args: any) => unknown> = {
    cpuMark: () => {
      markCpu();
      return true;
    },
    /** CPU microseconds (user + system) of this process since the last mark. */
    cpuSince: () => {
      const d = process.cpuUsage(cpuMarked);
      return d.user + d.system;
    },
    profileStart: async () => {
      const session = open();
      await session.post("Profiler.enable");
      await session.post("Profiler.setSamplingInterval", { interval: 250 });
      await session.post("Profiler.start");
      return true;
    },
    profileStop: async ({ file }: { file: string }) => save(file, (await inspector!.post("Profiler.stop")).profile),
    /** Allocation sampling (garbage included): where a request's allocations come from. */
    heapProfileStart: async () => {
      const session = open();
      await session.post("HeapProfiler.enable");
      await session.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      return true;
    },
    heapProfileStop: async ({ file }: { file: string }) => save(file, (await inspector!.post("HeapProfiler.stopSampling")).profile),
    ...own,
  };
  process.on("message", async (m: any) => {
    if (m?.cmd === "stop") {
      await onStop().catch(() => {});
      process.exit(0);
    }
    const handler = handlers[m?.cmd];
    try {
      if (!handler) throw new Error(`no command ${m?.cmd}`);
      const result = await handler(m.args);
      process.send!({ id: m.id, cmd: m.cmd, ok: true, result });
    } catch (error) {
      process.send!({ id: m.id, cmd: m.cmd, ok: false, error: (error as Error)?.stack ?? String(error) });
    }
  });
  // The parent going away (crash, Ctrl-C) must not leave servers behind.
  process.on("disconnect", () => void onStop().finally(() => process.exit(0)));
}
