import { AxeBuilder } from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { asNewClient } from "./support/flows.ts";

// axe on every page, with content in it (a connection, a test result, a key, a webhook with a
// delivery), in the light and the dark colour scheme: no serious or critical violation.

async function expectNoSeriousViolations(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const report = serious.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).join("\n  ")}`).join("\n");
  expect(serious, `${label}:\n${report}`).toEqual([]);
}

for (const colorScheme of ["light", "dark"] as const) {
  test(`every page passes axe (${colorScheme})`, async ({ page, baseURL }) => {
    test.setTimeout(120_000);
    await page.emulateMedia({ colorScheme });

    await page.goto("/login");
    await expect(page.getByRole("button", { name: "Sign in" })).toBeEnabled();
    await expectNoSeriousViolations(page, "login");

    await asNewClient(page);
    await page.goto("/signup");
    await expect(page.getByRole("button", { name: "Create account" })).toBeEnabled();
    await expectNoSeriousViolations(page, "signup");
    await page.getByLabel("Name").fill("Ally Axe");
    await page.getByLabel("Email").fill(`axe-${colorScheme}-${Date.now()}@example.test`);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(/\/dashboard\/integrations$/);
    await expect(page.getByRole("article", { name: "Slack" })).toBeVisible();
    await expectNoSeriousViolations(page, "dashboard, nothing connected");

    const slack = page.getByRole("article", { name: "Slack" });
    await slack.getByRole("link", { name: "Connect", exact: true }).click();
    await page.getByRole("button", { name: "Allow" }).click();
    await expect(slack.getByText("Healthy", { exact: true })).toBeVisible();
    await slack.getByRole("button", { name: "Test connection" }).click();
    await expect(slack.getByText(/Test result: Healthy/)).toBeVisible();
    await expectNoSeriousViolations(page, "dashboard with a connection, a test result and a toast");

    await slack.getByRole("button", { name: "Disconnect" }).click();
    await expect(page.getByRole("dialog", { name: "Disconnect Slack?" })).toBeVisible();
    await expectNoSeriousViolations(page, "disconnect dialog");
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();

    await slack.getByRole("link", { name: /History and uptime/ }).click();
    await expect(page.getByRole("region", { name: "Check log", exact: true })).toBeVisible();
    await expect(page.getByRole("figure").getByRole("img")).toBeVisible();
    await expectNoSeriousViolations(page, "integration detail");

    await page.goto("/settings/api-keys");
    await page.getByLabel("Name").fill("axe-key");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.getByRole("row").filter({ hasText: "axe-key" })).toBeVisible();
    await expectNoSeriousViolations(page, "settings: API keys, with a new key shown once");

    await page.goto("/settings/webhooks");
    await page.getByLabel("URL").fill(`${baseURL}/healthz`);
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await expect(page.getByText("Copy the signing secret now")).toBeVisible();
    await page.getByRole("button", { name: "Send test event" }).click();
    await expect(page.getByRole("row").filter({ hasText: "webhook.test" })).toBeVisible();
    await expectNoSeriousViolations(page, "settings: webhooks");

    await page.goto("/settings/members");
    await expect(page.getByRole("row").filter({ hasText: "Ally Axe" })).toBeVisible();
    await expectNoSeriousViolations(page, "settings: members");

    await page.goto("/settings/audit-log");
    await expect(page.getByRole("row").filter({ hasText: "Created an API key" })).toBeVisible();
    await expectNoSeriousViolations(page, "settings: audit log");

    await page.goto("/dashboard/integrations/00000000-0000-0000-0000-000000000000");
    await expect(page.getByText("No such integration in this workspace.")).toBeVisible();
    await expectNoSeriousViolations(page, "detail of a missing integration");

    const response = await page.goto("/no-such-page");
    expect(response?.status()).toBe(404);
    await expectNoSeriousViolations(page, "error page");
  });
}
