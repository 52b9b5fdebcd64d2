#!/usr/bin/env node
// Screenshots for the README, taken from a running Switchboard in sandbox mode:
//   node scripts/screenshots.mjs [URL]        (or SWITCHBOARD_URL; default http://localhost:3000)
// It signs up a new user, connects three sandbox providers, uses the sandbox fault controls to
// put the cards in different states (an incident opens), adds an alert channel, and writes
// docs/screenshots/*.png: the dashboard, four cards, a detail page, /incidents, Settings → Alerts,
// a card with two connections. Start the instance with HEALTH_SCHEDULER=off (e.g.
// `HEALTH_SCHEDULER=off DATA_DIR=$(mktemp -d) PORT=4790 PUBLIC_URL=http://localhost:4790 node api/dist/main.js`),
// so only the script's own checks change the cards while it works. The browser is
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

// Exact: from two connections on, a provider's card holds one article per connection, named by
// its label (HubSpot's is its portal, "acme-sandbox.hubspot.com").
const card = (name) => page.getByRole("article", { name, exact: true });
/** Dismisses toasts until none has come for 1.5 s (live events may arrive late on a busy machine). */
async function settle() {
  for (let quiet = 0, round = 0; quiet < 3 && round < 40; round += 1) {
    await page.waitForTimeout(500);
    const buttons = await page.getByRole("button", { name: "Dismiss message" }).all();
    for (const button of buttons) await button.click().catch(() => {});
    quiet = buttons.length ? 0 : quiet + 1;
  }
  await page.mouse.move(0, 0);
}
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
  const { integrations } = await graphql("{ integrations(first: 200) { nodes { id providerId } } }");
  const idOf = (providerId) => integrations.nodes.find((i) => i.providerId === providerId).id;
  const check = (providerId) => graphql("mutation ($id: ID!) { testIntegration(id: $id) { status } }", { id: idOf(providerId) });

  // A few healthy checks first, so the history has something to compare with.
  for (let i = 0; i < 3; i += 1) for (const p of ["slack", "hubspot", "google"]) await check(p);

  // HubSpot fails once: "Failing 1 of 3". Google fails until the threshold: Unhealthy (an
  // incident is open). Salesforce stays unconnected: a compact card.
  await control("hubspot", { mode: "server_error" });
  await check("hubspot");
  await control("google", { mode: "server_error" });
  for (let i = 0; i < 4; i += 1) await check("google");
  await card("HubSpot").getByText("Failing 1 of 3", { exact: true }).waitFor();
  await badge("Google", "Unhealthy").waitFor();

  // Dismiss the toasts ("Connected to …", the transitions) until no new one comes for a while.
  await settle();

  await page.screenshot({ path: join(out, "dashboard.png"), fullPage: true });
  for (const [name, state] of [["Slack", "healthy"], ["HubSpot", "failing"], ["Google", "unhealthy"], ["Salesforce", "not-connected"]]) {
    await card(name).screenshot({ path: join(out, `card-${state}.png`) });
  }

  await card("Google").getByRole("link", { name: /History and uptime/ }).click();
  await page.getByRole("region", { name: "Check log", exact: true }).waitFor();
  await page.getByRole("figure").first().getByRole("img").waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(out, "detail.png"), fullPage: true });

  await page.goto("/incidents");
  await page.getByRole("heading", { name: "Incidents", level: 1 }).waitFor();
  await page.getByRole("table").first().waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(out, "incidents.png"), fullPage: true });

  // An alert channel: the Slack emulator's incoming webhook, tested once.
  const { alertSetup } = await graphql("{ alertSetup { sandboxWebhookUrl } }");
  const { createAlertChannel } = await graphql(
    "mutation ($url: String!) { createAlertChannel(kind: SLACK_WEBHOOK, name: \"#ops alerts\", webhookUrl: $url) { id } }",
    { url: alertSetup.sandboxWebhookUrl },
  );
  await graphql("mutation ($id: ID!) { sendTestAlert(id: $id) { status } }", { id: createAlertChannel.id });
  await page.goto("/settings/alerts");
  await page.getByRole("button", { name: "Send test" }).first().waitFor();
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(out, "alerts.png"), fullPage: true });

  // A second Slack workspace ("Add another", the emulator's workspace picker): the Slack card
  // then holds one article per connection, with the provider's counts.
  await page.goto("/dashboard/integrations");
  await card("Slack").getByRole("link", { name: "Add another", exact: true }).click();
  await page.getByLabel("Workspace").selectOption({ label: "Globex Sandbox" });
  await page.getByRole("button", { name: "Allow" }).click();
  await page.waitForURL(/\/dashboard\/integrations/);
  await card("Globex Sandbox").getByText("Healthy", { exact: true }).waitFor();
  await settle();
  await card("Slack").screenshot({ path: join(out, "card-two-connections.png") });

  const names = ["dashboard", "card-healthy", "card-failing", "card-unhealthy", "card-not-connected", "detail", "incidents", "alerts", "card-two-connections"];
  console.log(`wrote ${names.map((n) => `docs/screenshots/${n}.png`).join(", ")}`);
} finally {
  // Leave the sandbox as it was found.
  await Promise.allSettled(["hubspot", "google"].map((provider) => control(provider, { mode: "ok" })));
  await browser.close();
}
