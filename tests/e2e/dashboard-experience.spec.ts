import { expect, test } from "@playwright/test";
import { connectSandbox as connect, signUp } from "./support/flows.ts";

// What a person new to Switchboard meets: cards with logos and facts, toasts for OAuth
// outcomes, Test all, the detail page with uptime, latency and the check log, loading errors
// with a retry, keyboard use and a 360 px screen.

test("a card shows its logo, facts, the sandbox controls, and the OAuth outcome as a toast", async ({ page }) => {
  await signUp(page, { name: "Dana Dashboard", tag: "cards" });
  const slack = page.getByRole("article", { name: "Slack" });
  await expect(slack.locator("svg").first()).toBeVisible();
  await expect(slack.getByText("Messages and channels of a Slack workspace")).toBeVisible();
  // Compact until connected: no health rows yet.
  await expect(slack.getByText(/Last checked/)).toHaveCount(0);
  // One sandbox notice for the page (dashboard-filters.spec.ts), none on the cards.
  await expect(slack.getByRole("link", { name: /Sandbox controls/ })).toHaveCount(0);
  const controls = page.getByRole("link", { name: /Sandbox controls/ });
  await expect(controls).toHaveAttribute("href", "/sandbox");
  await expect(controls).toHaveAttribute("target", "_blank");
  expect((await page.request.get("/sandbox")).status()).toBe(200);

  await slack.getByRole("link", { name: "Connect", exact: true }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Connected to Slack" })).toBeVisible();
  // The outcome leaves the address bar, so a reload does not repeat it.
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await expect(slack.getByText("Connected", { exact: true })).toBeVisible();
  await expect(slack.getByText(/All scopes granted/)).toBeVisible();
  await expect(slack.getByText(/Last checked\s+just now|seconds ago/)).toBeVisible();
  await expect(slack.getByRole("list", { name: /^Latest \d+ checks?$/ }).getByRole("listitem")).not.toHaveCount(0);
  await expect(slack.getByText(/^Uptime \(24 h\): \d/)).toBeVisible();
  await expect(slack.getByText(/^Latency: \d/)).toBeVisible();
  // Slack's only connection is shown in Slack's card itself, with no article of its own (so the
  // card is the one article whose name holds "Slack"); the account line names the workspace and
  // links where it lives.
  await expect(slack.getByRole("article")).toHaveCount(0);
  await expect(page.getByRole("article", { name: "Slack" })).toHaveCount(1);
  const account = slack.getByRole("link", { name: /^Acme Sandbox/ });
  await expect(account).toHaveAttribute("rel", "noopener noreferrer");
  await expect(account).toHaveAttribute("href", /^https?:\/\/acme-sandbox\.slack\.com/);

  await page.getByRole("status").getByRole("button", { name: "Dismiss message" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Connected to Slack" })).toHaveCount(0);

  const google = page.getByRole("article", { name: "Google" });
  await google.getByRole("link", { name: "Connect", exact: true }).click();
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Could not connect to Google: access was denied at the provider." })).toBeVisible();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
});

test("Test all shows its progress and a summary; a failing provider shows what to do next", async ({ page, baseURL }) => {
  await signUp(page, { name: "Dana Dashboard", tag: "testall" });
  await connect(page, "Slack");
  const hubspot = await connect(page, "HubSpot");

  await page.getByRole("button", { name: "Test all" }).click();
  await expect(page.getByText(/Tested 2 connections: 2 healthy\./)).toBeVisible();

  const control = (mode: string) => page.request.post("/sandbox/_control", { data: { provider: "hubspot", fault: { mode } }, headers: { origin: baseURL! } });
  expect((await control("server_error")).ok()).toBe(true);
  try {
    await hubspot.getByRole("button", { name: "Test connection" }).click();
    await expect(hubspot.getByText(/Test result: (Degraded|Unhealthy)/)).toBeVisible();
    await expect(hubspot.getByText(/Next step: /)).toBeVisible();
    await expect(hubspot.getByText(/Next step: None/)).toHaveCount(0);
    // The provider's own answer, and where to read about its outages.
    await expect(hubspot.getByText(/^HubSpot answered 5\d\d at (GET|POST) \//)).toBeVisible();
    const statusPage = hubspot.getByRole("link", { name: /HubSpot status page/ });
    await expect(statusPage).toHaveAttribute("rel", "noopener noreferrer");
    await expect(statusPage).toHaveAttribute("target", "_blank");
    // The test panel closes, and focus goes back to the button that opened it.
    await hubspot.getByRole("button", { name: "Close" }).click();
    await expect(hubspot.getByText(/Test result:/)).toHaveCount(0);
    await expect(hubspot.getByRole("button", { name: "Test connection" })).toBeFocused();
  } finally {
    expect((await control("ok")).ok()).toBe(true);
  }
});

test("the detail page: uptime bars, latency, the check log, and a test that reveals each step", async ({ page }) => {
  await signUp(page, { name: "Dana Dashboard", tag: "detail" });
  const slack = await connect(page, "Slack");
  await slack.getByRole("link", { name: /History and uptime/ }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations\/[^/]+$/);

  await expect(page.getByRole("heading", { level: 1, name: "Slack" })).toBeVisible();
  await expect(page.getByText("Connected", { exact: true })).toBeVisible();
  for (const window of ["Last 24 hours", "Last 7 days", "Last 30 days"]) {
    const bars = page.getByRole("list", { name: window });
    await expect(bars.getByRole("listitem")).not.toHaveCount(0);
    await expect(bars.getByRole("listitem").last()).toContainText(/all up/);
  }
  await expect(page.getByText("100%").first()).toBeVisible();
  await expect(page.getByRole("figure").getByRole("img", { name: /Latency of the last \d+ checks?/ })).toBeVisible();
  const log = page.getByRole("region", { name: "Check log", exact: true });
  await expect(log.getByRole("row").filter({ hasText: "On connect" })).toBeVisible();

  await page.getByRole("button", { name: "Test connection" }).click();
  // The steps come one after another, then the result.
  await expect(page.getByText("Token", { exact: true })).toBeVisible();
  await expect(page.getByText("Scopes", { exact: true }).last()).toBeVisible();
  await expect(page.getByText(/Test result: Healthy, \d+ ms/)).toBeVisible();
  await expect(log.getByRole("row").filter({ hasText: "Manual" }).first()).toBeVisible();

  await page.getByRole("link", { name: "Back to integrations" }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
});

test("a failed load says so and recovers with Retry", async ({ page }) => {
  await signUp(page, { name: "Dana Dashboard", tag: "retry" });
  let failing = true;
  await page.route("**/graphql", async (route) => {
    const body = route.request().postDataJSON() as { operationName?: string } | null;
    if (failing && body?.operationName === "Dashboard") return route.fulfill({ status: 503, contentType: "text/plain", body: "unavailable" });
    return route.continue();
  });
  await page.reload();
  const alert = page.getByRole("alert").filter({ hasText: "Could not load integrations" });
  await expect(alert).toBeVisible();
  failing = false;
  await alert.getByRole("button", { name: "Retry" }).click();
  await expect(page.getByRole("article", { name: "Slack" })).toBeVisible();
  await expect(alert).toHaveCount(0);
});

test("keyboard only: connect, confirm a disconnect, and move through the settings", async ({ page }) => {
  await signUp(page, { name: "Dana Dashboard", tag: "keys" });
  const slack = await connect(page, "Slack");
  const disconnect = slack.getByRole("button", { name: "Disconnect" });
  await disconnect.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Disconnect Slack?" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(disconnect).toBeFocused();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Disconnect", exact: true })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(slack.getByText("Not connected", { exact: true })).toBeVisible();

  await page.goto("/settings/api-keys");
  await page.getByLabel("Name").focus();
  await page.keyboard.type("keyboard-key");
  await page.keyboard.press("Enter");
  await expect(page.getByText(/You will not see it again/)).toBeVisible();
  const revoke = page.getByRole("row").filter({ hasText: "keyboard-key" }).getByRole("button", { name: /Revoke/ });
  await revoke.focus();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("row").filter({ hasText: "keyboard-key" })).toHaveCount(0);
});

test("usable at 360 px: nothing scrolls sideways", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await signUp(page, { name: "Dana Dashboard", tag: "narrow" });
  const slack = await connect(page, "Slack");
  const noSideways = async () => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await noSideways();
  await slack.getByRole("link", { name: /History and uptime/ }).click();
  await expect(page.getByRole("region", { name: "Check log", exact: true })).toBeVisible();
  await noSideways();
  for (const tab of ["api-keys", "webhooks", "members", "audit-log"]) {
    await page.goto(`/settings/${tab}`);
    await expect(page.getByRole("navigation", { name: "Settings" })).toBeVisible();
    await noSideways();
  }
});
