#!/usr/bin/env node
// Screenshots for the README, taken from a running Switchboard in sandbox mode:
//   node scripts/screenshots.mjs [URL]        (or SWITCHBOARD_URL; default http://localhost:3000)
// It signs up a new user, connects the four sandbox providers, uses the sandbox fault controls
// to put one card in each health state, and writes docs/screenshots/*.png. The browser is
// Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium); Playwright comes from tests/.
// Faults are set on the shared sandbox, so run it against a demo instance, not one in use.
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { chromium } = createRequire(join(root, "tests/package.json"))("@playwright/test");

const base = (process.argv[2] ?? process.env.SWITCHBOARD_URL ?? "http://localhost:3000").replace(/\/$/, "");
const out = join(root, "docs/screenshots");
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 900 }, colorScheme: "light", reducedMotion: "reduce" });
const page = await context.newPage();
page.setDefaultTimeout(60_000);

const control = async (provider, fault) => {
  const response = await page.request.post("/sandbox/_control", { data: { provider, fault }, headers: { origin: base } });
  if (!response.ok()) throw new Error(`sandbox control for ${provider}: HTTP ${response.status()} ${await response.text()}`);
};

async function graphql(query, variables = {}) {
  const response = await page.request.post("/graphql", { data: { query, variables }, headers: { origin: base } });
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

const card = (name) => page.getByRole("article", { name });
const badge = (name, label) => card(name).getByText(label, { exact: true });

try {
  await page.goto("/signup");
  await page.getByLabel("Name").fill("Sam Sample");
  await page.getByLabel("Email").fill(`screenshots-${Date.now()}@example.test`);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/dashboard\/integrations$/);

  for (const provider of ["slack", "hubspot", "google"]) await control(provider, { mode: "ok" });
  for (const name of ["Slack", "HubSpot", "Google"]) {
    await card(name).getByRole("link", { name: "Connect", exact: true }).click();
    await page.getByRole("button", { name: "Allow" }).click();
    await page.waitForURL(/\/dashboard\/integrations$/);
    await badge(name, "Healthy").waitFor();
  }
  const { integrations } = await graphql("{ integrations { id providerId } }");
  const idOf = (providerId) => integrations.find((i) => i.providerId === providerId).id;
  const check = (providerId) => graphql("mutation ($id: ID!) { testIntegration(id: $id) { status } }", { id: idOf(providerId) });

  // A few healthy checks first, so the history has something to compare with.
  for (let i = 0; i < 3; i += 1) for (const p of ["slack", "hubspot", "google"]) await check(p);

  // HubSpot answers, but slowly: Degraded. Google fails until the threshold: Unhealthy.
  // Salesforce stays unconnected: Unknown.
  await control("hubspot", { mode: "slow", delayMs: 2500 });
  await check("hubspot");
  await control("google", { mode: "server_error" });
  for (let i = 0; i < 4; i += 1) await check("google");
  await badge("HubSpot", "Degraded").waitFor();
  await badge("Google", "Unhealthy").waitFor();

  // Dismiss the "Connected to …" toast; the live page has settled.
  for (const button of await page.getByRole("button", { name: "Dismiss message" }).all()) await button.click();
  await page.mouse.move(0, 0);
  await page.waitForTimeout(500);

  await page.screenshot({ path: join(out, "dashboard.png"), fullPage: true });
  for (const [name, state] of [["Slack", "healthy"], ["HubSpot", "degraded"], ["Google", "unhealthy"], ["Salesforce", "unknown"]]) {
    await card(name).screenshot({ path: join(out, `card-${state}.png`) });
  }

  await card("Google").getByRole("link", { name: /History and uptime/ }).click();
  await page.getByRole("region", { name: "Check log", exact: true }).waitFor();
  await page.getByRole("figure").getByRole("img").waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(out, "detail.png"), fullPage: true });

  console.log(`wrote ${["dashboard", "card-healthy", "card-degraded", "card-unhealthy", "card-unknown", "detail"].map((n) => `docs/screenshots/${n}.png`).join(", ")}`);
} finally {
  // Leave the sandbox as it was found.
  await Promise.allSettled(["hubspot", "google"].map((provider) => control(provider, { mode: "ok" })));
  await browser.close();
}
