import { expect, test } from "@playwright/test";
import { connectAcme, signUp } from "./support/flows.ts";

// Connecting, testing and disconnecting from the dashboard, in a real browser, against real
// OAuth servers: the catalog's OIDC provider (oidc-provider) and the built-in sandbox emulators.

test("connect, test and disconnect a catalog OIDC provider", async ({ page }) => {
  await signUp(page, { name: "Casey Connect", tag: "connect" });
  const card = await connectAcme(page);
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

const BUILT_INS = [
  { name: "Slack", account: "Acme Sandbox" },
  { name: "HubSpot", account: "acme-sandbox.hubspot.com" },
  { name: "Google", account: "sandy@example.com" },
  { name: "Salesforce", account: null },
] as const;

for (const provider of BUILT_INS) {
  test(`connect ${provider.name} through its sandbox consent page`, async ({ page }) => {
    await signUp(page, { name: "Casey Connect", tag: "connect" });
    const card = page.getByRole("article", { name: provider.name, exact: true });
    // The tag, not Salesforce's Org option of the same name.
    await expect(card.getByTitle(/built-in emulator/)).toHaveText("Sandbox");
    await card.getByRole("link", { name: "Connect", exact: true }).click();
    await expect(page.getByRole("button", { name: "Allow" })).toBeVisible();
    await page.getByRole("button", { name: "Allow" }).click();

    await expect(page).toHaveURL(/\/dashboard\/integrations$/);
    await expect(page.getByRole("status").filter({ hasText: `Connected to ${provider.name}` })).toBeVisible();
    await expect(card.getByText("Connected", { exact: true })).toBeVisible();
    await expect(card.getByText("Healthy", { exact: true })).toBeVisible();
    if (provider.account) await expect(card.getByText(provider.account)).toBeVisible();
  });
}

test("a denial at the provider comes back as a readable message, and nothing is connected", async ({ page }) => {
  await signUp(page, { name: "Casey Connect", tag: "connect" });
  const card = page.getByRole("article", { name: "Google" });
  await card.getByRole("link", { name: "Connect", exact: true }).click();
  await page.getByRole("button", { name: "Deny" }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await expect(page.getByRole("status").filter({ hasText: "Could not connect to Google" })).toBeVisible();
  await expect(card.getByText("Not connected", { exact: true })).toBeVisible();
});

test("the callback answers 303 without the code, with no-referrer and no-store", async ({ page }) => {
  await signUp(page, { name: "Casey Connect", tag: "connect" });
  const response = await page.request.get("/api/integrations/oauth/callback/google?code=secret-code-value&state=forged-state", { maxRedirects: 0 });
  expect(response.status()).toBe(303);
  const location = response.headers()["location"]!;
  expect(location).not.toContain("secret-code-value");
  expect(location).toContain("error=invalid_state");
  expect(response.headers()["referrer-policy"]).toBe("no-referrer");
  expect(response.headers()["cache-control"]).toContain("no-store");
});
