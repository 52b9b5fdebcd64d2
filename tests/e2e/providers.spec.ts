import { AxeBuilder } from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { signUp } from "./support/flows.ts";

// What is particular to each built-in provider, through the sandbox emulators in a real
// browser: Google's RFC 9207 `iss` on the redirect, Salesforce's org choice (sandbox login host,
// My Domain), and a scope left unticked at Slack's consent.

const CALLBACK = "/api/integrations/oauth/callback/";

/** Every navigation to a provider's callback route, in order (redirect hops included). */
function recordCallbacks(page: Page, provider: string): string[] {
  const seen: string[] = [];
  page.on("request", (request) => {
    if (request.isNavigationRequest() && new URL(request.url()).pathname === `${CALLBACK}${provider}`) seen.push(request.url());
  });
  return seen;
}

async function expectConnected(page: Page, name: string) {
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await expect(page.getByRole("status").filter({ hasText: `Connected to ${name}` })).toBeVisible();
  const card = page.getByRole("article", { name });
  await expect(card.getByText("Connected", { exact: true })).toBeVisible();
  return card;
}

test("Google: the redirect carries iss and authuser, and the connection is accepted", async ({ page }) => {
  await signUp(page, { name: "Gale Google", tag: "providers" });
  const callbacks = recordCallbacks(page, "google");
  const card = page.getByRole("article", { name: "Google" });
  await card.getByRole("link", { name: "Connect", exact: true }).click();
  await page.getByRole("button", { name: "Allow" }).click();

  await expectConnected(page, "Google");
  await expect(card.getByText("Healthy", { exact: true })).toBeVisible();
  expect(callbacks).toHaveLength(1);
  expect(callbacks[0]).toContain("iss=https%3A%2F%2Faccounts.google.com");
  expect(callbacks[0]).toMatch(/[?&]authuser=/);
});

test("Salesforce: a sandbox org signs in at the test login host", async ({ page }) => {
  await signUp(page, { name: "Sal Sandbox", tag: "providers" });
  const card = page.getByRole("article", { name: "Salesforce" });
  const connect = card.getByRole("link", { name: "Connect", exact: true });
  await expect(card.getByLabel("Org", { exact: true })).toHaveValue("production");
  await expect(connect).toHaveAttribute("href", "/api/integrations/oauth/authorize?provider=salesforce&org=production");

  await card.getByLabel("Org", { exact: true }).selectOption({ label: "Sandbox" });
  await expect(connect).toHaveAttribute("href", "/api/integrations/oauth/authorize?provider=salesforce&org=sandbox");
  await connect.click();
  await expect(page.getByRole("button", { name: "Allow" })).toBeVisible();
  expect(new URL(page.url()).pathname).toContain("/sandbox/salesforce/test/");
  await page.getByRole("button", { name: "Allow" }).click();

  await expectConnected(page, "Salesforce");
  // The only connection: shown in the provider's card, no article of its own.
  await expect(card.getByRole("article")).toHaveCount(0);
  await expect(card.getByText("Acme UAT Sandbox")).toBeVisible();
  await expect(card.getByText("Org: Sandbox")).toBeVisible();
  // Connected: nothing to choose for this connection (a reconnect goes back to its own org); the
  // card's Org choice, still offered, is for "Add another".
  await expect(card.getByLabel("Org", { exact: true })).toHaveValue("production");
  await expect(card.getByRole("link", { name: "Reconnect", exact: true })).toHaveCount(0);
  await expect(card.getByRole("link", { name: "Add another", exact: true })).toHaveAttribute("href", "/api/integrations/oauth/authorize?provider=salesforce&org=production");
});

test("Salesforce: My Domain refuses a Lightning address, then connects through the org's own host", async ({ page }) => {
  await signUp(page, { name: "Myra Domain", tag: "providers" });
  const card = page.getByRole("article", { name: "Salesforce" });
  const connect = card.getByRole("link", { name: "Connect", exact: true });
  await card.getByLabel("Org", { exact: true }).selectOption({ label: "My Domain" });
  const field = card.getByRole("textbox", { name: "My Domain" });
  await expect(field).toBeVisible();
  await expect(card.getByText("acme or https://acme.my.salesforce.com")).toBeVisible();

  await field.fill("acme.lightning.force.com");
  await expect(card.getByText(/Use the My Domain URL instead: https:\/\/acme\.my\.salesforce\.com/)).toBeVisible();
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await expect(connect).toHaveAttribute("aria-disabled", "true");
  await expect(connect).not.toHaveAttribute("href");
  await expect(connect).toHaveAttribute("title", /Use the My Domain URL instead/);

  // The form with its refusal shown passes axe like the rest of the dashboard.
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]).analyze();
  expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual([]);

  await field.fill("acme");
  await expect(card.getByText(/Use the My Domain URL instead/)).toHaveCount(0);
  await expect(connect).toHaveAttribute("href", "/api/integrations/oauth/authorize?provider=salesforce&org=acme");
  await connect.click();
  await expect(page.getByRole("button", { name: "Allow" })).toBeVisible();
  expect(new URL(page.url()).pathname).toContain("/sandbox/salesforce/my/acme/");
  await page.getByRole("button", { name: "Allow" }).click();

  await expectConnected(page, "Salesforce");
  await expect(card.getByText("Acme Sandbox Org")).toBeVisible();
});

test("Slack: a scope left unticked at consent shows as missing, with a way to grant it", async ({ page }) => {
  await signUp(page, { name: "Scopey Slack", tag: "providers" });
  const card = page.getByRole("article", { name: "Slack" });
  await card.getByRole("link", { name: "Connect", exact: true }).click();
  await page.getByRole("checkbox", { name: "chat:write", exact: true }).uncheck();
  await page.getByRole("button", { name: "Allow" }).click();

  await expectConnected(page, "Slack");
  await expect(card.getByText("Missing chat:write", { exact: true })).toBeVisible();
  const grant = card.getByRole("link", { name: "Reconnect to grant" });
  await expect(grant).toBeVisible();
  // A reconnect of this connection: the API asks for the same workspace again.
  await expect(grant).toHaveAttribute("href", /^\/api\/integrations\/oauth\/authorize\?provider=slack&integration=[\w-]+$/);

  // It leads to a new consent, where the scope can be granted this time.
  await grant.click();
  await expect(page.getByRole("checkbox", { name: "chat:write", exact: true })).toBeChecked();
  await page.getByRole("button", { name: "Allow" }).click();
  await expectConnected(page, "Slack");
  await expect(card.getByText("All scopes granted")).toBeVisible();
  await expect(card.getByRole("link", { name: "Reconnect to grant" })).toHaveCount(0);
});
