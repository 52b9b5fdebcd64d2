import { AxeBuilder } from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { connectSandbox as connect, signUp } from "./support/flows.ts";

// Incidents as a person meets them: a provider fault opens one (listed as ongoing on the
// workspace's Incidents page and on the connection's detail page), and recovery closes it.

async function expectNoSeriousViolations(page: Page, label: string) {
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]).analyze();
    const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    const report = serious.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).join("\n  ")}`).join("\n");
    expect(serious, `${label} (${colorScheme}):\n${report}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

test("a failing provider opens an incident on /incidents and the detail page; recovery closes it", async ({ page, baseURL }) => {
  await signUp(page, { name: "Ines Incident", tag: "incidents" });
  await connect(page, "HubSpot");

  const control = (mode: string) => page.request.post("/sandbox/_control", { data: { provider: "hubspot", fault: { mode } }, headers: { origin: baseURL! } });
  const nav = page.getByRole("navigation", { name: "Main" });
  expect((await control("server_error")).ok()).toBe(true);
  try {
    await nav.getByRole("link", { name: "Incidents" }).click();
    await expect(page).toHaveURL(/\/incidents$/);
    await expect(nav.getByRole("link", { name: "Incidents" })).toHaveAttribute("aria-current", "page");
    await expect(page.getByRole("heading", { level: 1, name: "Incidents" })).toBeVisible();
    const table = page.getByRole("region", { name: /Incidents/ });
    const row = table.getByRole("row").filter({ hasText: "HubSpot" });
    // The scheduler checks the connection at once after a fault is set; the page follows live.
    await expect(row.filter({ hasText: "Ongoing" })).toHaveCount(1, { timeout: 20_000 });
    await expect(row).toContainText(/provider_error/i);
    await expectNoSeriousViolations(page, "incidents with an ongoing one");

    await row.getByRole("link", { name: "HubSpot" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "HubSpot" })).toBeVisible();
    const section = page.getByRole("region", { name: /Incidents of HubSpot/ });
    await expect(section.getByRole("row").filter({ hasText: "Ongoing" })).toHaveCount(1);
    await expect(page.getByRole("radio", { name: "24 h" })).toBeChecked();
    await page.getByRole("radio", { name: "7 d" }).check();
    await expect(page.getByRole("figure").getByText(/in 7 d/)).toBeVisible();
    await expectNoSeriousViolations(page, "detail page with an incident");
  } finally {
    expect((await control("ok")).ok()).toBe(true);
  }

  await page.goto("/incidents");
  const rows = page.getByRole("region", { name: /Incidents/ }).getByRole("row").filter({ hasText: "HubSpot" });
  await expect(rows).toHaveCount(1);
  await expect(rows.filter({ hasText: "Ongoing" })).toHaveCount(0, { timeout: 20_000 });
  await page.getByRole("checkbox", { name: "Ongoing only" }).check();
  await expect(page.getByText("No ongoing incidents.")).toBeVisible();
});
