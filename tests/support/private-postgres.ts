import { execFile, execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./app.ts";

// A throwaway Postgres cluster of one test file's own (initdb + pg_ctl in a temp dir, its own
// port and socket dir), for faults that would disturb every other test file on the shared
// server: an immediate-mode restart is a crash of every backend followed by crash recovery.
// As root, the binaries run as the `postgres` OS user (initdb refuses root).

export type PrivatePostgres = {
  /** postgresql://postgres@127.0.0.1:PORT/postgres (trust auth). */
  url: string;
  port: number;
  dir: string;
  /** The postmaster's pid (changes with every restart). */
  pid(): number;
  /** `pg_ctl restart -m immediate`: every backend is killed without a checkpoint; start-up runs crash recovery. */
  restartImmediate(): Promise<void>;
  /** `pg_ctl stop -m immediate` (a crash), without starting again. */
  stopImmediate(): Promise<void>;
  /** Starts a stopped cluster (crash recovery first, after stopImmediate) and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops it (immediate) and deletes the directory. */
  destroy(): Promise<void>;
};

type RunAs = { uid: number; gid: number } | null;

function findBinDir(): string | null {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
  } catch {
    // no pg_config on the PATH; try Debian's layout below
  }
  try {
    const versions = readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // not Debian
  }
  return candidates.find((dir) => ["initdb", "pg_ctl", "postgres"].every((b) => existsSync(join(dir, b)))) ?? null;
}

/** Who runs the binaries: ourselves, or the `postgres` OS user when we are root. */
function findRunAs(): { runAs: RunAs } | { problem: string } {
  if (process.getuid?.() !== 0) return { runAs: null };
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) return { problem: "running as root and there is no `postgres` OS user to run initdb as" };
  const [, , uid, gid] = line.split(":");
  return { runAs: { uid: Number(uid), gid: Number(gid) } };
}

let cached: { binDir: string; runAs: RunAs } | string | undefined;

/** null when a private cluster can be made here; otherwise why not. */
export function privatePostgresProblem(): string | null {
  if (cached === undefined) {
    const binDir = findBinDir();
    const who = findRunAs();
    if (!binDir) cached = "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found via `pg_config --bindir` or /usr/lib/postgresql/*/bin";
    else if ("problem" in who) cached = who.problem;
    else cached = { binDir, runAs: who.runAs };
  }
  return typeof cached === "string" ? cached : null;
}

/**
 * Whether tests that need a private cluster can run. On CI a missing piece is a failure, never a
 * skip; on a developer machine the tests are skipped with the reason printed.
 */
export function requirePrivatePostgres(): boolean {
  const problem = privatePostgresProblem();
  if (!problem) return true;
  if (process.env.CI) throw new Error(`A private Postgres cluster is needed: ${problem}.`);
  console.warn(`\n⚠ SKIPPING private-Postgres tests: ${problem}.\n`);
  return false;
}

function run(binDir: string, runAs: RunAs, binary: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(join(binDir, binary), args, { timeout: timeoutMs, cwd: "/", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", LC_ALL: "C" }, ...(runAs ?? {}) }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${binary} ${args.join(" ")} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const live = new Set<{ data: string; dir: string }>();
let exitHook = false;

/** Makes, starts and returns a fresh cluster. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const problem = privatePostgresProblem();
  if (problem) throw new Error(problem);
  const { binDir, runAs } = cached as { binDir: string; runAs: RunAs };
  const dir = mkdtempSync(join(tmpdir(), "sb-pg-"));
  chmodSync(dir, 0o700);
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const data = join(dir, "data");
  const port = await freePort();
  const entry = { data, dir };
  live.add(entry);
  if (!exitHook) {
    exitHook = true;
    // A test run that dies must not leave clusters behind: SIGQUIT is Postgres' immediate shutdown.
    process.once("exit", () => {
      for (const e of live) {
        try {
          process.kill(Number(readFileSync(join(e.data, "postmaster.pid"), "utf8").split("\n")[0]), "SIGQUIT");
        } catch {
          // already gone
        }
        rmSync(e.dir, { recursive: true, force: true });
      }
    });
  }
  const ctl = (args: string[]) => run(binDir, runAs, "pg_ctl", ["-D", data, ...args]);
  const options = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses=127.0.0.1", "-c fsync=off", "-c max_connections=60", "-c shared_buffers=16MB"].join(" ");
  const start = () => ctl(["-w", "-t", "60", "-l", join(dir, "log"), "-o", options, "start"]).then(() => undefined);
  try {
    await run(binDir, runAs, "initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
    await start();
  } catch (error) {
    live.delete(entry);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    pid: () => Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]),
    async restartImmediate() {
      // restart reuses the options the cluster was started with (postmaster.opts).
      await ctl(["-w", "-t", "60", "-l", join(dir, "log"), "-m", "immediate", "restart"]);
    },
    async stopImmediate() {
      await ctl(["-w", "-m", "immediate", "stop"]);
    },
    start,
    async destroy() {
      await ctl(["-w", "-m", "immediate", "stop"]).catch(() => {});
      live.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The cluster's server log (what recovery said), for failure messages. */
export function privatePostgresLog(pg: PrivatePostgres): string {
  try {
    return readFileSync(join(pg.dir, "log"), "utf8");
  } catch {
    return "";
  }
}
