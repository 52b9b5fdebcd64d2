import { expect, test, type Page } from "@playwright/test";
import { asNewClient } from "./support/flows.ts";

const PROVIDERS = ["Slack", "HubSpot", "Google", "Salesforce"];

function uniqueEmail(tag: string) {
  return `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

async function signUp(page: Page, email: string, password = "correct horse battery") {
  await asNewClient(page);
  await page.goto("/signup");
  await page.getByLabel("Name").fill("Erin Example");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
}

test("sign up, land on the dashboard, and see the four built-in providers not connected", async ({ page }) => {
  await signUp(page, uniqueEmail("signup"));
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await expect(page.getByRole("navigation").getByRole("link", { name: "Integrations" })).toBeVisible();

  // The four built-ins (sandbox here) and the catalog's "Acme ID" of the e2e PROVIDERS_FILE.
  const cards = page.getByRole("article");
  await expect(cards).toHaveCount(5);
  await expect(page.getByRole("article", { name: "Acme ID" })).toBeVisible();
  for (const name of PROVIDERS) {
    const card = page.getByRole("article", { name });
    await expect(card).toBeVisible();
    await expect(card.getByText("Not connected", { exact: true })).toBeVisible();
    // The tag, not Salesforce's Org option of the same name.
    await expect(card.getByTitle(/built-in emulator/)).toHaveText("Sandbox");
    await expect(card.getByRole("link", { name: "Connect", exact: true }).or(card.getByRole("button", { name: "Connect", exact: true }))).toBeVisible();
    // Not connected yet: a compact card, without the health rows and buttons of a connection.
    await expect(card.getByText("Unknown", { exact: true })).toHaveCount(0);
    await expect(card.getByText(/Last checked/)).toHaveCount(0);
    await expect(card.getByRole("button", { name: "Test connection" })).toHaveCount(0);
    await expect(card.getByRole("button", { name: "Disconnect" })).toHaveCount(0);
  }
});

test("signed-out pages redirect to sign-in, and signing in lands on the dashboard", async ({ page }) => {
  const email = uniqueEmail("signin");
  await signUp(page, email, "another good password");
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);

  await page.goto("/dashboard/integrations");
  await expect(page).toHaveURL(/\/login/);

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page).toHaveURL(/\/login/);

  await page.getByLabel("Password").fill("another good password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await expect(page.getByRole("article", { name: "Slack" })).toBeVisible();
});

test("GraphQL answers 401 to a browser without a session", async ({ request }) => {
  const res = await request.post("/graphql", { data: { query: "{ providers { id } }" } });
  expect(res.status()).toBe(401);
});
