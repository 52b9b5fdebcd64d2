import { expect, test, type Page } from "@playwright/test";

// Connecting, testing and disconnecting from the dashboard, in a real browser, against real
// OAuth servers: the catalog's OIDC provider (oidc-provider) and the built-in sandbox emulators.

async function signUp(page: Page) {
  await page.goto("/signup");
  await page.getByLabel("Name").fill("Casey Connect");
  await page.getByLabel("Email").fill(`connect-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`);
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
}

test("connect, test and disconnect a catalog OIDC provider", async ({ page }) => {
  await signUp(page);
  const card = page.getByRole("article", { name: "Acme ID" });
  await card.getByRole("link", { name: "Connect", exact: true }).click();

  // oidc-provider's development login and consent pages.
  await page.locator('input[name="login"]').fill("alice");
  await page.locator('input[name="password"]').fill("any password");
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click();

  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await expect(page.getByRole("status").filter({ hasText: "Connected to Acme ID" })).toBeVisible();
  await expect(card.getByText("Connected", { exact: true })).toBeVisible();
  await expect(card.getByText("alice@acme.example")).toBeVisible();
  await expect(card.getByText("Healthy", { exact: true })).toBeVisible();

  await card.getByRole("button", { name: "Test connection" }).click();
  await expect(card.getByText("Healthy", { exact: true })).toBeVisible();

  await card.getByRole("button", { name: "Disconnect" }).click();
  await page.getByRole("button", { name: "Disconnect", exact: true }).last().click();
  await expect(card.getByText("Not connected", { exact: true })).toBeVisible();
});
