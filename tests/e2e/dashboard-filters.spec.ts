import { expect, test } from "@playwright/test";
import { connectSandbox, signUp } from "./support/flows.ts";

// Search and filters on the dashboard: text over provider and account names, provider and state,
// kept in the address so a filtered view can be shared; an empty result says so and clears.

test("search and filter the cards, share the filtered address, and clear an empty result", async ({ page }) => {
  await signUp(page, { name: "Fay Filter", tag: "filter" });
  await connectSandbox(page, "Google");
  await connectSandbox(page, "Slack");
  // The providers' cards (a provider with several connections holds one article per connection,
  // whose headings are a level down).
  const cards = page.getByRole("article").filter({ has: page.getByRole("heading", { level: 2 }) });
  await expect(cards).toHaveCount(5);
  // Connected (healthy) cards before the ones not connected, each group in the catalog's order.
  await expect(cards.first()).toHaveAccessibleName(/^Slack/);
  await expect(cards.nth(1)).toHaveAccessibleName(/^Google/);
  await expect(page.getByText("2 connected · all healthy")).toBeVisible();

  // Text: a provider's name...
  const search = page.getByRole("searchbox", { name: "Search" });
  await search.fill("hub");
  await expect(cards).toHaveCount(1);
  await expect(page.getByRole("article", { name: "HubSpot", exact: true })).toBeVisible();
  await expect(page).toHaveURL(/\/dashboard\/integrations\?q=hub$/);
  // ...or the connected account's name (Google's sandbox user).
  await search.fill("sandy");
  await expect(cards).toHaveCount(1);
  await expect(page.getByRole("article", { name: "Google" })).toBeVisible();

  // State: the ones not connected.
  await search.fill("");
  await page.getByLabel("State", { exact: true }).selectOption({ label: "Not connected" });
  await expect(cards).toHaveCount(3);
  await expect(page.getByRole("article", { name: "Slack" })).toHaveCount(0);
  await expect(page).toHaveURL(/\?state=NOT_CONNECTED$/);

  // Provider and state together, with nothing to show: it says so, and "Clear filters" empties them.
  await page.getByLabel("Provider", { exact: true }).selectOption({ label: "Slack" });
  await expect(cards).toHaveCount(0);
  await expect(page.getByText("No integration matches these filters.")).toBeVisible();
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(cards).toHaveCount(5);
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await expect(search).toHaveValue("");
  await expect(page.getByLabel("State", { exact: true })).toHaveValue("");
  await expect(page.getByLabel("Provider", { exact: true })).toHaveValue("");

  // A shared address opens the same filtered view.
  await page.goto("/dashboard/integrations?provider=slack&state=HEALTHY");
  await expect(page.getByRole("article", { name: "Slack" })).toBeVisible();
  await expect(cards).toHaveCount(1);
  await expect(page.getByLabel("Provider", { exact: true })).toHaveValue("slack");
  await expect(page.getByLabel("State", { exact: true })).toHaveValue("HEALTHY");
  await page.goto("/dashboard/integrations?q=sandy");
  await expect(page.getByRole("searchbox", { name: "Search" })).toHaveValue("sandy");
  await expect(cards).toHaveCount(1);
});

test("the sandbox notice appears once, at the top of the page", async ({ page }) => {
  await signUp(page, { name: "Fay Filter", tag: "sandbox-notice" });
  const notice = page.locator(".sandbox-notice");
  await expect(notice).toHaveCount(1);
  await expect(notice).toContainText("Sandbox mode: Slack, HubSpot, Google, Salesforce are emulated");
  const link = notice.getByRole("link", { name: /Sandbox controls/ });
  await expect(link).toHaveAttribute("href", "/sandbox");
  await expect(link).toHaveAttribute("target", "_blank");
  // Above the cards.
  const noticeTop = (await notice.boundingBox())!.y;
  const firstCardTop = (await page.getByRole("article").first().boundingBox())!.y;
  expect(noticeTop).toBeLessThan(firstCardTop);
});
