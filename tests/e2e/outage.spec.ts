import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { connectSandbox, signUp } from "./support/flows.ts";

// An outage as a person sees it, with the DEFAULT health settings (check every 300 s, retry
// after a failure every 30 s, scheduler tick 15 s, unhealthy after 3 failures): the owner sets
// a fault on /sandbox, and the card reads "Unhealthy" within two minutes, without a reload.
// Playwright's own server runs with short intervals for the other specs, so this file starts
// one of its own with nothing health-related set.

const root = join(import.meta.dirname, "../..");
const port = Number(process.env.E2E_OUTAGE_PORT ?? 3196);
const origin = `http://localhost:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), "sb-e2e-outage-"));

let server: ChildProcess | null = null;
let serverLog = "";

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const { DATABASE_URL: _db, REDIS_URL: _redis, PROVIDERS_FILE: _providers, ...env } = process.env;
  for (const name of Object.keys(env)) if (name.startsWith("HEALTH_")) delete env[name];
  server = spawn(process.execPath, [join(root, "api/dist/main.js")], {
    cwd: root,
    env: { ...env, PORT: String(port), PUBLIC_URL: origin, DATA_DIR: dataDir, LOG_LEVEL: "warn", NODE_ENV: "development" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  server.stderr?.on("data", (chunk: Buffer) => (serverLog = (serverLog + chunk.toString()).slice(-4000)));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`server exited ${server.exitCode}: ${serverLog}`);
    if (await fetch(`${origin}/readyz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error(`server not ready: ${serverLog}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

test.afterAll(async () => {
  const child = server;
  server = null;
  if (!child || child.exitCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
});

test("a fault set on /sandbox turns the card Unhealthy within two minutes with the default settings", async ({ page, context }) => {
  test.setTimeout(240_000);
  await signUp(page, { name: "Olga Outage", tag: "outage", origin });
  const card = await connectSandbox(page, "HubSpot");
  // A new connection is due at once; after the scheduler's first check (next tick) the next one
  // is the default interval away, and the card says when.
  await expect(card.locator(".next-check")).toHaveText(/^Next check (due now|in \d+ (seconds|minutes?)) Check now$/);
  await expect(card.locator(".next-check")).toHaveText(/^Next check in [45] minutes Check now$/, { timeout: 30_000 });
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

  // The owner, signed in, sets the fault on the sandbox controls page, in another tab.
  const controls = await context.newPage();
  await controls.goto(`${origin}/sandbox`);
  await controls.getByLabel("Fault for HubSpot").selectOption("server_error");
  await controls.getByRole("button", { name: "Apply to HubSpot" }).click();
  await expect(controls.getByRole("row", { name: /HubSpot/ })).toContainText("server_error");
  const faultAt = Date.now();
  await controls.close();

  // Checked at once (the next tick), then again every ~30 s: Failing 1 of 3 on the way.
  await expect(card.getByText(/^Failing [12] of 3$/)).toBeVisible({ timeout: 60_000 });
  await expect(card.getByText("Connected", { exact: true })).toBeVisible();
  await expect(card.getByText("Unhealthy", { exact: true })).toBeVisible({ timeout: 120_000 - (Date.now() - faultAt) });
  const elapsed = Date.now() - faultAt;
  expect(elapsed).toBeLessThan(120_000);
  test.info().annotations.push({ type: "unhealthy after", description: `${Math.round(elapsed / 1000)} s` });
  // One state, not a green "Connected" beside a red "Unhealthy".
  await expect(card.locator(".status")).not.toHaveClass(/status-ok/);
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
});
