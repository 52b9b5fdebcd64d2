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
  { name: "Salesforce", account: "Acme Sandbox Org" },
] as const;

for (const provider of BUILT_INS) {
  test(`connect ${provider.name} through its sandbox consent page`, async ({ page }) => {
    await signUp(page, { name: "Casey Connect", tag: "connect" });
    // As the public contract finds a card: by the provider's name, without `exact`.
    const card = page.getByRole("article", { name: provider.name });
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

test("one connection per provider: each card is the one article its provider's name finds, holding the connection's controls", async ({ page }) => {
  test.setTimeout(120_000);
  await signUp(page, { name: "Casey Connect", tag: "connect-all" });
  for (const { name } of BUILT_INS) {
    // Without `exact`, as the public contract's tests find a card: a label such as HubSpot's
    // "acme-sandbox.hubspot.com" holds the provider's name, so a connection that had an article
    // of its own would be found too (a strict-mode violation).
    const card = page.getByRole("article", { name });
    await card.getByRole("link", { name: "Connect", exact: true }).click();
    await page.getByRole("button", { name: "Allow" }).click();
    await expect(page).toHaveURL(/\/dashboard\/integrations$/);
    await expect(card.getByText("Healthy", { exact: true })).toBeVisible();
  }
  await expect(page.getByText("4 connected · all healthy")).toBeVisible();

  for (const reloaded of [false, true]) {
    if (reloaded) await page.reload();
    for (const { name, account } of BUILT_INS) {
      const card = page.getByRole("article", { name });
      await expect(card).toHaveCount(1);
      await expect(card.getByRole("article")).toHaveCount(0);
      await expect(card.getByText("Connected", { exact: true })).toBeVisible();
      await expect(card.getByText("Healthy", { exact: true })).toBeVisible();
      await expect(card.getByText(/^Last checked/)).toBeVisible();
      await expect(card.getByRole("button", { name: "Test connection" })).toBeEnabled();
      await expect(card.getByRole("button", { name: "Disconnect" })).toBeEnabled();
      await expect(card.getByRole("link", { name: "Add another", exact: true })).toBeVisible();
      await expect(card.getByText("1 connection", { exact: true })).toBeVisible();
      await expect(card.getByRole("link", { name: new RegExp(`^${account.replace(/[.]/g, "\\.")}`) })).toBeVisible();
    }
  }

  // A test from the card tests that connection, and says so in the card.
  const hubspot = page.getByRole("article", { name: "HubSpot" });
  await hubspot.getByRole("button", { name: "Test connection" }).click();
  await expect(hubspot.getByText(/Test result: Healthy/)).toBeVisible();
});

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
