import { AxeBuilder } from "@axe-core/playwright";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { signUp } from "./support/flows.ts";

// Several connections to one provider in one workspace (issue 14), in a real browser against the
// sandbox emulators: two Salesforce orgs (production and its sandbox) and two Slack workspaces
// (the consent page's "Workspace" picker), each connection an article of its own inside its
// provider's card once there are two (a provider's only connection is shown in its card itself,
// so the card stays the one article its name finds); test and disconnect one alone; a reconnect
// that signs in to another account changes nothing; connecting an account again renews its
// connection instead of adding a twin; "Load more" pages the list; a label is renamed from the
// detail page.

async function expectNoSeriousViolations(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const report = serious.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).join("\n  ")}`).join("\n");
  expect(serious, `${label}:\n${report}`).toEqual([]);
}

/** A provider's card. Exact: its connections' articles may carry the provider's name in theirs. */
const providerCard = (page: Page, name: string) => page.getByRole("article", { name, exact: true });
/** A connection's article inside its provider's card (one of two or more), named by the connection's label. */
const connectionCard = (card: Locator, label: string) => card.getByRole("article", { name: label, exact: true });

/** The connection's id, from its "History and uptime" link (in its article, or in a card with one connection). */
async function idOf(connection: Locator): Promise<string> {
  const href = await connection.getByRole("link", { name: /History and uptime/ }).getAttribute("href");
  return href!.split("/").pop()!;
}

/** Connect (or Add another) on a provider's card, through the sandbox consent page. */
async function connect(page: Page, provider: string, { control, org, workspace }: { control: "Connect" | "Add another"; org?: "Production" | "Sandbox"; workspace?: string }) {
  const card = providerCard(page, provider);
  if (org) await card.getByLabel("Org", { exact: true }).selectOption({ label: org });
  await card.getByRole("link", { name: control, exact: true }).click();
  await expect(page.getByRole("button", { name: "Allow" })).toBeVisible();
  if (workspace) await page.getByLabel("Workspace").selectOption({ label: workspace });
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
}

test("two Salesforce orgs and two Slack workspaces, each its own connection", async ({ page }) => {
  test.setTimeout(180_000);
  await signUp(page, { name: "Mona Multi", tag: "multi" });

  // Salesforce: the production org, then "Add another" for its sandbox.
  const salesforce = providerCard(page, "Salesforce");
  await connect(page, "Salesforce", { control: "Connect", org: "Production" });
  await expect(page.getByRole("status").filter({ hasText: "Connected to Salesforce" })).toBeVisible();
  // The only connection: in the card itself, no article of its own.
  await expect(salesforce.getByText("Healthy", { exact: true })).toBeVisible();
  await expect(salesforce.getByText("Org: Production")).toBeVisible();
  await expect(salesforce.getByRole("article")).toHaveCount(0);
  await expect(page.getByRole("article", { name: "Salesforce" })).toHaveCount(1);
  await expect(salesforce.getByText("1 connection", { exact: true })).toBeVisible();
  // Now "Add another", with the same org choice as Connect.
  await expect(salesforce.getByRole("link", { name: "Connect", exact: true })).toHaveCount(0);
  await connect(page, "Salesforce", { control: "Add another", org: "Sandbox" });
  // Two: one article each, named by its label.
  const uat = connectionCard(salesforce, "Acme UAT Sandbox");
  const production = connectionCard(salesforce, "Acme Sandbox Org");
  await expect(uat.getByText("Healthy", { exact: true })).toBeVisible();
  await expect(uat.getByText("Org: Sandbox")).toBeVisible();
  await expect(production.getByText("Org: Production")).toBeVisible();
  await expect(salesforce.getByRole("article")).toHaveCount(2);
  await expect(salesforce.getByText("2 connections", { exact: true })).toBeVisible();

  // Slack: two workspaces, chosen on the consent page.
  const slack = providerCard(page, "Slack");
  await connect(page, "Slack", { control: "Connect", workspace: "Acme Sandbox" });
  await connect(page, "Slack", { control: "Add another", workspace: "Globex Sandbox" });
  const acme = connectionCard(slack, "Acme Sandbox");
  const globex = connectionCard(slack, "Globex Sandbox");
  await expect(acme.getByText("Healthy", { exact: true })).toBeVisible();
  await expect(globex.getByText("Healthy", { exact: true })).toBeVisible();
  await expect(slack.getByText("2 connections", { exact: true })).toBeVisible();
  await expect(slack.getByRole("article")).toHaveCount(2);
  await expect(page.getByText("4 connected · all healthy")).toBeVisible();
  const acmeId = await idOf(acme);
  const globexId = await idOf(globex);
  expect(acmeId).not.toBe(globexId);
  // Headings in order: the provider (h2), each connection (h3), its last checks (h4).
  await expect(slack.getByRole("heading", { level: 3 })).toHaveText(["Acme Sandbox", "Globex Sandbox"]);
  await expectNoSeriousViolations(page, "dashboard with two connections per provider");

  // Each connection has its own controls: testing one tests that one only.
  await expect(globex.getByRole("button", { name: "Test connection" })).toHaveCount(1);
  await globex.getByRole("button", { name: "Test connection" }).click();
  await expect(globex.getByText(/Test result: Healthy/)).toBeVisible();
  await expect(acme.getByText(/Test result/)).toHaveCount(0);

  // Disconnecting one leaves the other connected.
  await acme.getByRole("button", { name: "Disconnect" }).click();
  const dialog = page.getByRole("dialog", { name: "Disconnect Slack?" });
  await expect(dialog).toContainText("revoke the tokens of Acme Sandbox");
  await dialog.getByRole("button", { name: "Disconnect", exact: true }).click();
  await expect(slack.getByText(/^Disconnected Acme Sandbox \(Slack\): /)).toBeVisible();
  await expect(acme).toHaveCount(0);
  // One left: shown in Slack's card itself, no longer an article of its own.
  await expect(slack.getByRole("article")).toHaveCount(0);
  await expect(slack.getByText("Connected", { exact: true })).toBeVisible();
  await expect(slack.getByRole("link", { name: /^Globex Sandbox/ })).toBeVisible();
  expect(await idOf(slack)).toBe(globexId);
  await expect(slack.getByText("1 connection", { exact: true })).toBeVisible();
  await expect(page.getByText("3 connected · all healthy")).toBeVisible();
  // Focus moves on from the gone button to what comes next: "Add another".
  await expect(slack.getByRole("link", { name: "Add another", exact: true })).toBeFocused();

  // Reconnecting Globex but signing in to Acme at Slack: refused, nothing changes.
  await page.goto(`/api/integrations/oauth/authorize?provider=slack&integration=${globexId}`);
  await page.getByLabel("Workspace").selectOption({ label: "Acme Sandbox" });
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await expect(page.getByRole("status").filter({ hasText: "Could not connect to Slack: you signed in to a different account than the connection you were reconnecting" })).toBeVisible();
  await expect(slack.getByText("1 connection", { exact: true })).toBeVisible();
  await expect(slack.getByRole("link", { name: /^Globex Sandbox/ })).toBeVisible();
  expect(await idOf(slack)).toBe(globexId);
  // A connection that is not in the workspace: said so, before any consent page.
  await page.goto("/api/integrations/oauth/authorize?provider=slack&integration=00000000-0000-7000-8000-000000000000");
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await expect(page.getByRole("status").filter({ hasText: "Could not connect to Slack: that connection no longer exists in this workspace" })).toBeVisible();

  // "Add another" with the workspace already connected: the same connection, renewed, no twin.
  await connect(page, "Slack", { control: "Add another", workspace: "Globex Sandbox" });
  await expect(page.getByRole("status").filter({ hasText: "Connected to Slack" })).toBeVisible();
  await expect(slack.getByRole("article")).toHaveCount(0);
  await expect(slack.getByText("1 connection", { exact: true })).toBeVisible();
  expect(await idOf(slack)).toBe(globexId);
  // The disconnected workspace connected again: its old connection comes back (same id, same history).
  await connect(page, "Slack", { control: "Add another", workspace: "Acme Sandbox" });
  await expect(acme.getByText("Healthy", { exact: true })).toBeVisible();
  expect(await idOf(acme)).toBe(acmeId);
  expect(await idOf(globex)).toBe(globexId);
  await expect(slack.getByText("2 connections", { exact: true })).toBeVisible();
});

test("Load more pages the list; the counts and the summary are the whole workspace's", async ({ page }) => {
  test.setTimeout(120_000);
  await signUp(page, { name: "Paige Pager", tag: "multi-paging" });
  await connect(page, "Salesforce", { control: "Connect", org: "Production" });
  await connect(page, "Salesforce", { control: "Add another", org: "Sandbox" });
  await connect(page, "Slack", { control: "Connect", workspace: "Acme Sandbox" });
  await connect(page, "Slack", { control: "Add another", workspace: "Globex Sandbox" });
  await expect(page.getByText("4 connected · all healthy")).toBeVisible();

  // Two connections a page: the API's order is by provider id, so Salesforce's come first.
  await page.goto("/dashboard/integrations?pageSize=2");
  const slack = providerCard(page, "Slack");
  const salesforce = providerCard(page, "Salesforce");
  await expect(salesforce.getByRole("article")).toHaveCount(2);
  await expect(slack.getByRole("article")).toHaveCount(0);
  // Counts do not depend on what is loaded.
  await expect(slack.getByText("2 connections", { exact: true })).toBeVisible();
  await expect(slack.getByText("2 more connections not loaded yet.")).toBeVisible();
  await expect(slack.getByRole("link", { name: "Add another", exact: true })).toBeVisible();
  await expect(page.getByText("4 connected · all healthy")).toBeVisible();
  await expect(page.getByText("Showing 2 of 4 connections.")).toBeVisible();

  const more = page.getByRole("button", { name: "Load more" });
  await more.click();
  await expect(slack.getByRole("article")).toHaveCount(2);
  await expect(more).toHaveCount(0);
  await expect(slack.getByText(/not loaded yet/)).toHaveCount(0);
  // The keyboard carries on where the new connections start.
  await expect(connectionCard(slack, "Acme Sandbox").getByRole("heading", { name: "Acme Sandbox" })).toBeFocused();

  // The search is the API's: it finds one of Slack's two workspaces, and the card says why the
  // other is not shown.
  await page.getByRole("searchbox", { name: "Search" }).fill("globex");
  await expect(slack.getByText("1 more connection not matching the filters.")).toBeVisible();
  // The one shown is in Slack's card itself.
  await expect(slack.getByRole("article")).toHaveCount(0);
  await expect(slack.getByRole("link", { name: /^Globex Sandbox/ })).toBeVisible();
  await expect(salesforce).toHaveCount(0);
  await expect(page).toHaveURL(/[?&]q=globex(&|$)/);
  // Other filters are another list: its first page again.
  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(salesforce.getByRole("article")).toHaveCount(2);
  await expect(slack.getByRole("article")).toHaveCount(0);
  await expect(more).toBeVisible();

  // A phone's width: the nested cards do not scroll sideways.
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  // Three a page: Slack's first workspace alone is in its card; the next page brings the second,
  // and both become articles, focus on the new one's heading.
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto("/dashboard/integrations?pageSize=3");
  await expect(salesforce.getByRole("article")).toHaveCount(2);
  await expect(slack.getByRole("link", { name: /^Acme Sandbox/ })).toBeVisible();
  await expect(slack.getByRole("article")).toHaveCount(0);
  await expect(slack.getByText("1 more connection not loaded yet.")).toBeVisible();
  await expect(page.getByRole("article", { name: "Slack" })).toHaveCount(1);
  await more.click();
  await expect(slack.getByRole("article")).toHaveCount(2);
  await expect(connectionCard(slack, "Globex Sandbox").getByRole("heading", { name: "Globex Sandbox" })).toBeFocused();
  await expect(connectionCard(slack, "Acme Sandbox").getByText("Healthy", { exact: true })).toBeVisible();
});

test("a connection is renamed from its detail page, and the dashboard names it so", async ({ page }) => {
  await signUp(page, { name: "Rene Rename", tag: "multi-rename" });
  await connect(page, "Slack", { control: "Connect", workspace: "Globex Sandbox" });
  const slack = providerCard(page, "Slack");
  // Slack's only connection: in its card, which is the one article "Slack" finds.
  await expect(page.getByRole("article", { name: "Slack" })).toHaveCount(1);
  await slack.getByRole("link", { name: /History and uptime/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Slack" })).toBeVisible();

  await page.getByRole("button", { name: "Rename" }).click();
  const field = page.getByRole("textbox", { name: "Label" });
  await expect(field).toBeFocused();
  await expect(field).toHaveValue("Globex Sandbox");
  await expectNoSeriousViolations(page, "detail page, renaming");
  // Too long for the API: the error is shown, and the field keeps what was typed.
  await field.evaluate((input: HTMLInputElement) => input.removeAttribute("maxlength"));
  await field.fill("x".repeat(81));
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert")).toContainText("Could not rename the connection: A label has at most 80 characters.");
  await field.fill("Support team");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Support team", { exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Rename" })).toBeFocused();

  await page.getByRole("link", { name: "Back to integrations" }).click();
  await expect(slack.getByText("Label: Support team", { exact: true })).toBeVisible();
  // The workspace's own name is still there, below the new label.
  await expect(slack.getByRole("link", { name: /^Globex Sandbox/ })).toBeVisible();
  await expect(slack.getByRole("link", { name: /History and uptime/ })).toHaveAccessibleName("History and uptime of Support team (Slack)");

  // Emptied: back to the account's name.
  await slack.getByRole("link", { name: /History and uptime/ }).click();
  await page.getByRole("button", { name: "Rename" }).click();
  await page.getByRole("textbox", { name: "Label" }).fill("");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Globex Sandbox", { exact: true }).first()).toBeVisible();
  await page.getByRole("link", { name: "Back to integrations" }).click();
  await expect(slack.getByRole("link", { name: /History and uptime/ })).toHaveAccessibleName("History and uptime of Globex Sandbox (Slack)");
  await expect(slack.getByText(/^Label:/)).toHaveCount(0);

  // The audit log names the connection by provider and label.
  await page.goto("/settings/audit-log");
  await expect(page.getByRole("row").filter({ hasText: "Renamed a connection" }).first()).toContainText("Slack · Globex Sandbox");
});
