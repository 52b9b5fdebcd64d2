import { expect, type Locator, type Page } from "@playwright/test";

// Flows several specs share: sign up through the form, connect a sandbox built-in through its
// consent page, connect the catalog's OIDC provider through oidc-provider's dev login.

/**
 * Gives this browser context its own client address (X-Forwarded-For, believed from loopback by
 * the e2e server's TRUSTED_PROXIES): sign-ups are throttled per address, 50 an hour, and the
 * suite signs up more people than that. Call before a sign-up form is submitted.
 */
export async function asNewClient(page: Page): Promise<void> {
  const byte = () => Math.floor(Math.random() * 254) + 1;
  await page.context().setExtraHTTPHeaders({ "x-forwarded-for": `198.18.${byte()}.${byte()}` });
}

/**
 * Signs up a fresh user through the form and waits for the dashboard. Returns the email.
 * `origin`: a server of the spec's own instead of the configured one.
 */
export async function signUp(page: Page, { name, tag, origin = "" }: { name: string; tag: string; origin?: string }): Promise<string> {
  const email = `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  await asNewClient(page);
  await page.goto(`${origin}/signup`);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  return email;
}

/** Connects a sandbox built-in (Slack, HubSpot, Google, Salesforce): Connect, then Allow. */
export async function connectSandbox(page: Page, name: string): Promise<Locator> {
  // Exact: with several connections the provider's card holds one article per connection, named
  // by the connection's label, and a label may contain the provider's name (HubSpot's
  // "acme-sandbox.hubspot.com").
  const card = page.getByRole("article", { name, exact: true });
  await card.getByRole("link", { name: "Connect", exact: true }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(card.getByText("Healthy", { exact: true })).toBeVisible();
  return card;
}

/** Connects the catalog provider "Acme ID" through oidc-provider's development login and consent pages. */
export async function connectAcme(page: Page): Promise<Locator> {
  const card = page.getByRole("article", { name: "Acme ID", exact: true });
  await card.getByRole("link", { name: "Connect", exact: true }).click();
  await page.locator('input[name="login"]').fill("alice");
  await page.locator('input[name="password"]').fill("any password");
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await expect(card.getByText("Healthy", { exact: true })).toBeVisible();
  return card;
}
