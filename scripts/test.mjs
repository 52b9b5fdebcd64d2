#!/usr/bin/env node
// The README's test command: every test, on a fresh machine with Node 20 and npm.
//   1. install, generate, build (the end-to-end tests drive the built product)
//   2. type-check api and web
//   3. make sure Postgres and Redis are up (CI and development machines have them; they are
//      started if installed but stopped) and Debian's Chromium is installed (apt-get, when root)
//   4. vitest: web component tests (happy-dom), unit tests beside the code, and integration,
//      security and reliability tests on real Postgres, PGlite and Redis
//   5. Playwright: end-to-end in Chromium against the built server on the embedded database
// On CI (CI=true) a missing Postgres or browser fails the run; elsewhere those tests are
// skipped with the reason printed.
import { spawnSync, execFileSync } from "node:child_process";
import { existsSync, readFileSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { build, install, log, main, pnpm, root, run } from "./lib.mjs";

const CI = Boolean(process.env.CI);
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function canConnect(port, host = "127.0.0.1") {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(2000);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}

async function ensurePostgres() {
  if (process.env.TEST_DATABASE_URL || (await canConnect(5432))) return;
  if (existsSync("/etc/postgresql")) {
    const version = readdirSync("/etc/postgresql")[0];
    log(`Postgres is not answering on 127.0.0.1:5432; starting cluster ${version}/main`);
    spawnSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], { stdio: "inherit" });
    for (let i = 0; i < 30 && !(await canConnect(5432)); i++) await new Promise((r) => setTimeout(r, 500));
  }
  if (!(await canConnect(5432))) {
    const message = "Postgres is not reachable on 127.0.0.1:5432 and could not be started; set TEST_DATABASE_URL to run the Postgres tests.";
    if (CI) throw new Error(message);
    console.warn(`⚠ ${message} They will be skipped.`);
  }
}

async function ensureRedis() {
  if (process.env.TEST_REDIS_URL || (await canConnect(6379))) return;
  try {
    execFileSync("which", ["redis-server"], { stdio: "ignore" });
    log("Redis is not answering on 127.0.0.1:6379; starting redis-server");
    spawnSync("redis-server", ["--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "", "--appendonly", "no"], { stdio: "inherit" });
    for (let i = 0; i < 20 && !(await canConnect(6379)); i++) await new Promise((r) => setTimeout(r, 250));
  } catch {}
  if (!(await canConnect(6379))) {
    const message = "Redis is not reachable on 127.0.0.1:6379 and could not be started; set TEST_REDIS_URL to run the cross-replica tests.";
    if (CI) throw new Error(message);
    console.warn(`⚠ ${message} They will be skipped.`);
  }
}

function ensureChromium() {
  if (existsSync(CHROMIUM)) return true;
  const isRoot = process.getuid?.() === 0;
  let hasApt = false;
  try {
    execFileSync("which", ["apt-get"], { stdio: "ignore" });
    hasApt = true;
  } catch {}
  if (isRoot && hasApt) {
    log("installing Debian's Chromium for the end-to-end tests (apt-get install -y chromium)");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
  }
  if (existsSync(CHROMIUM)) return true;
  const message = `Chromium is not installed at ${CHROMIUM} (install Debian's package: sudo apt-get install -y chromium, or set CHROMIUM_PATH).`;
  if (CI) throw new Error(message);
  console.warn(`⚠ ${message} The end-to-end tests will be skipped.`);
  return false;
}

function counts(file, kind) {
  if (!existsSync(file)) return null;
  const report = JSON.parse(readFileSync(file, "utf8"));
  if (kind === "vitest") return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
  const s = report.stats;
  return { passed: s.expected, failed: s.unexpected + (s.flaky ?? 0), skipped: s.skipped };
}

main(async () => {
  const started = Date.now();
  install();
  build();
  log("type-checking api and web");
  pnpm(["-r", "--workspace-concurrency=1", "run", "typecheck"]);
  await ensurePostgres();
  await ensureRedis();
  const browser = ensureChromium();

  const reports = mkdtempSync(join(tmpdir(), "sb-reports-"));
  const vitestReport = join(reports, "vitest.json");
  const playwrightReport = join(reports, "playwright.json");
  let failure;
  log("web component tests (vitest, happy-dom)");
  const webReport = join(reports, "web-vitest.json");
  try {
    run(join(root, "web/node_modules/.bin/vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${webReport}`], { cwd: join(root, "web") });
  } catch (error) {
    failure = error;
  }
  log("unit and integration tests (vitest)");
  try {
    run(join(root, "tests/node_modules/.bin/vitest"), ["run", "--config", "tests/vitest.config.ts", "--reporter=default", "--reporter=json", `--outputFile.json=${vitestReport}`]);
  } catch (error) {
    failure = error;
  }
  if (browser) {
    log("end-to-end tests (Playwright in Chromium)");
    try {
      run(join(root, "tests/node_modules/.bin/playwright"), ["test", "--config", "tests/playwright.config.ts"], {
        env: { PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport, CHROMIUM_PATH: CHROMIUM },
      });
    } catch (error) {
      failure ??= error;
    }
  }
  const all = [counts(webReport, "vitest"), counts(vitestReport, "vitest"), counts(playwrightReport, "playwright")].filter(Boolean);
  const total = all.reduce((a, c) => ({ passed: a.passed + c.passed, failed: a.failed + c.failed, skipped: a.skipped + c.skipped }), { passed: 0, failed: 0, skipped: 0 });
  console.log(`\nTests finished in ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  if (failure) throw failure;
  if (total.passed === 0) throw new Error("no test ran");
});
