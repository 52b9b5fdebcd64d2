import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";

// The live path against a server this file owns, so it can stop and start it: Playwright's own
// webServer cannot be restarted. The scheduler is off here, so every change on screen comes
// from a check this test runs through the API.

const root = join(import.meta.dirname, "../..");
const port = Number(process.env.E2E_RESTART_PORT ?? 3198);
const origin = `http://localhost:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), "sb-e2e-restart-"));

let server: ChildProcess | null = null;
let serverLog = "";

function start(): ChildProcess {
  // Its own embedded database in its own folder: no DATABASE_URL, REDIS_URL or catalog file
  // from the environment may leak in.
  const { DATABASE_URL: _db, REDIS_URL: _redis, PROVIDERS_FILE: _providers, ...env } = process.env;
  const child = spawn(process.execPath, [join(root, "api/dist/main.js")], {
    cwd: root,
    env: {
      ...env,
      PORT: String(port),
      PUBLIC_URL: origin,
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      NODE_ENV: "development",
      HEALTH_SCHEDULER: "off",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.on("data", (chunk: Buffer) => (serverLog = (serverLog + chunk.toString()).slice(-4000)));
  return child;
}

async function waitReady(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null && server?.exitCode !== undefined) throw new Error(`server exited ${server.exitCode}: ${serverLog}`);
    try {
      if ((await fetch(`${origin}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`server not ready after ${timeoutMs} ms: ${serverLog}`);
}

async function stop(): Promise<void> {
  const child = server;
  server = null;
  if (!child || child.exitCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  server = start();
  await waitReady();
});

test.afterAll(async () => {
  await stop();
});

async function signUpAndConnectHubSpot(page: Page): Promise<string> {
  await page.goto(`${origin}/signup`);
  await page.getByLabel("Name").fill("Robin Restart");
  await page.getByLabel("Email").fill(`restart-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  const card = page.getByRole("article", { name: "HubSpot", exact: true });
  await card.getByRole("link", { name: "Connect", exact: true }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(card.getByText("Healthy", { exact: true })).toBeVisible();
  const { data } = await graphql<{ integrations: { nodes: { id: string; providerId: string }[] } }>(page, "{ integrations { nodes { id providerId } } }");
  return data.integrations.nodes.find((i) => i.providerId === "hubspot")!.id;
}

/** A GraphQL call with the signed-in page's cookies, as an API client in the same session. */
async function graphql<T>(page: Page, query: string, variables: Record<string, unknown> = {}): Promise<{ data: T }> {
  const response = await page.request.post(`${origin}/graphql`, { data: { query, variables }, headers: { origin } });
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()) as { data: T };
}

async function testFromApi(page: Page, id: string): Promise<string> {
  const { data } = await graphql<{ testIntegration: { status: string } }>(page, "mutation ($id: ID!) { testIntegration(id: $id) { status } }", { id });
  return data.testIntegration.status;
}

const LABELS: Record<string, string> = { HEALTHY: "Healthy", DEGRADED: "Degraded", UNHEALTHY: "Unhealthy", UNKNOWN: "Unknown" };

test("a check run from the API changes the open dashboard and detail page within a second", async ({ page }) => {
  const id = await signUpAndConnectHubSpot(page);
  const card = page.getByRole("article", { name: "HubSpot", exact: true });
  const fault = await page.request.post(`${origin}/sandbox/_control`, { data: { provider: "hubspot", fault: { mode: "server_error" } }, headers: { origin } });
  expect(fault.ok()).toBe(true);

  const status = await testFromApi(page, id);
  expect(status).toBe("DEGRADED");
  await expect(card.getByText("Degraded", { exact: true })).toBeVisible({ timeout: 1_000 });

  // The detail page follows its own integration's events the same way.
  await card.getByRole("link", { name: /History and uptime/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "HubSpot" })).toBeVisible();
  const rows = page.getByRole("region", { name: "Check log", exact: true }).getByRole("row");
  // The log has the connect check and the API's test; wait for both before counting.
  await expect(rows).toHaveCount(3);
  const before = await rows.count();
  await page.request.post(`${origin}/sandbox/_control`, { data: { provider: "hubspot", fault: { mode: "ok" } }, headers: { origin } });
  await testFromApi(page, id);
  // The card above must follow within a second; the log re-queries its page after the event, so
  // on a loaded CI machine it gets a little longer.
  await expect(rows).toHaveCount(before + 1, { timeout: 5_000 });
});

test("a server restart is recovered without a reload: banner, reconnect, refetch, live again", async ({ page }) => {
  test.setTimeout(120_000);
  const id = await signUpAndConnectHubSpot(page);
  const card = page.getByRole("article", { name: "HubSpot", exact: true });
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
  const banner = page.getByRole("status").filter({ hasText: "Reconnecting to the server…" });
  await expect(banner).toHaveCount(0);

  await stop();
  await expect(banner).toBeVisible({ timeout: 10_000 });

  // Once the socket is back the page fetches the cards again (events sent while it was away
  // are lost), without anyone touching it.
  const refetched = page.waitForRequest(
    (request) => request.url() === `${origin}/graphql` && request.method() === "POST" && request.postDataJSON()?.operationName === "Dashboard",
    { timeout: 30_000 },
  );
  server = start();
  await waitReady();
  await expect(banner).toBeHidden({ timeout: 15_000 });
  await refetched;

  // The sandbox kept its grants in DATA_DIR, so the connection survived the restart.
  expect(await testFromApi(page, id)).toBe("HEALTHY");
  // Live again: a failing provider's check reaches the card within a second. The page's own
  // session is an owner's, which the sandbox controls require.
  const fault = await page.request.post(`${origin}/sandbox/_control`, { data: { provider: "hubspot", fault: { mode: "server_error" } }, headers: { origin } });
  expect(fault.ok(), await fault.text()).toBe(true);
  try {
    const status = await testFromApi(page, id);
    expect(status).not.toBe("HEALTHY");
    await expect(card.getByText(LABELS[status]!, { exact: true })).toBeVisible({ timeout: 1_000 });
  } finally {
    await page.request.post(`${origin}/sandbox/_control`, { data: { provider: "hubspot", fault: { mode: "ok" } }, headers: { origin } });
  }
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
});
