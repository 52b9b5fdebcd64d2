// Shared steps of the README's commands. Plain Node (no dependencies), so they run on a fresh
// machine that has only Node 20 and npm: pnpm itself comes through npx when it is missing.
import { spawnSync, execFileSync } from "node:child_process";
import { existsSync, statSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PNPM_VERSION = "10.34.8";

// Progress goes to stderr, so a command's stdout carries only its result (`pnpm -s admin ...`).
export function log(message) {
  console.error(`\x1b[36m▸ ${message}\x1b[0m`);
}

export function run(command, args, options = {}) {
  const stdio = process.env.SB_STEPS_TO_STDERR ? ["inherit", 2, "inherit"] : "inherit";
  const result = spawnSync(command, args, { cwd: root, stdio, ...options, env: { ...process.env, ...options.env } });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    const error = new Error(`${command} ${args.join(" ")} exited with ${result.status ?? result.signal}`);
    error.exitCode = result.status ?? 1;
    throw error;
  }
}

let pnpmCommand;
/** [command, ...prefix] that runs the pinned pnpm. */
export function pnpmCmd() {
  if (pnpmCommand) return pnpmCommand;
  try {
    const version = execFileSync("pnpm", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (version === PNPM_VERSION) return (pnpmCommand = ["pnpm"]);
  } catch {}
  return (pnpmCommand = ["npx", "-y", `pnpm@${PNPM_VERSION}`]);
}

export function pnpm(args, options) {
  const [cmd, ...prefix] = pnpmCmd();
  run(cmd, [...prefix, ...args], options);
}

export function install() {
  log("installing dependencies (pnpm install --frozen-lockfile)");
  pnpm(["install", "--frozen-lockfile", "--reporter=append-only"], { env: { CI: process.env.CI ?? "" } });
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry === "generated" || entry.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

export function generate() {
  const out = join(root, "api/src/generated/prisma/client.ts");
  if (existsSync(out) && statSync(out).mtimeMs >= newestMtime(join(root, "prisma/schema.prisma"))) return;
  log("generating the Prisma client and Pothos types");
  run("node", [join(root, "scripts/generate.mjs")]);
}

/**
 * One build step. Quiet (`npm start`): its output (vite's table of chunk sizes...) is held back
 * and a one-line summary printed; when it fails, all of it is printed before the error.
 */
function buildStep(label, args, quiet) {
  if (!quiet) return pnpm(args);
  const started = Date.now();
  const [cmd, ...prefix] = pnpmCmd();
  const result = spawnSync(cmd, [...prefix, ...args], { cwd: root, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["inherit", "pipe", "pipe"] });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
    const error = new Error(`building ${label} failed (${cmd} ${[...prefix, ...args].join(" ")} exited with ${result.status ?? result.signal})`);
    error.exitCode = result.status ?? 1;
    throw error;
  }
  log(`built ${label} in ${Math.max(1, Math.round((Date.now() - started) / 1000))} s`);
}

export function build({ quiet = false } = {}) {
  generate();
  log("building the web app (SvelteKit) and the server bundle");
  buildStep("web", ["--filter", "@switchboard/web", "run", "build"], quiet);
  buildStep("server", ["--filter", "@switchboard/api", "run", "build"], quiet);
}

export function main(fn) {
  Promise.resolve()
    .then(fn)
    .catch((error) => {
      console.error(`\x1b[31m✖ ${error.message}\x1b[0m`);
      process.exit(error.exitCode ?? 1);
    });
}
