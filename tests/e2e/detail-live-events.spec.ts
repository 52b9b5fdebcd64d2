import { expect, test, type Page } from "@playwright/test";
import { connectSandbox, signUp } from "./support/flows.ts";

// The detail page and the Incidents page follow health events from the events' own data: each
// event carries what the page shows of its connection (header, uptime, the rollups behind the
// bars and the latency chart, the check log's first page, incidents), so a live event costs the
// page no HTTP request. Before, the detail page sent three per event and /incidents one.

/** A GraphQL call with the page's cookies, as an API client in the same session: not the page's own request. */
async function graphql<T>(page: Page, baseURL: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await page.request.post("/graphql", { data: { query, variables }, headers: { origin: baseURL } });
  expect(response.ok(), await response.text()).toBe(true);
  const body = (await response.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

/** Every request the page sends to the API from now on. */
function countRequests(page: Page): string[] {
  const requests: string[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/graphql") requests.push(`${request.method()} ${request.postData() ?? ""}`);
  });
  return requests;
}

test("the detail page takes a failed check from its event: state, log, uptime, latency marks and incident, no request", async ({ page, baseURL }) => {
  test.setTimeout(90_000);
  await signUp(page, { name: "Dora Detail", tag: "detail-live" });
  const card = await connectSandbox(page, "HubSpot");
  const { integrations } = await graphql<{ integrations: { nodes: { id: string; providerId: string }[] } }>(page, baseURL!, "{ integrations { nodes { id providerId } } }");
  const id = integrations.nodes.find((i) => i.providerId === "hubspot")!.id;

  await card.getByRole("link", { name: /History and uptime/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "HubSpot" })).toBeVisible();
  const log = page.getByRole("region", { name: "Check log", exact: true });
  await expect(log.getByRole("row").filter({ hasText: "On connect" })).toBeVisible();
  const incidents = page.locator("section", { has: page.getByRole("heading", { name: "Incidents", exact: true }) });
  await expect(incidents.getByText(/No incidents/)).toBeVisible();
  const uptime24h = page.locator(".uptime-row", { has: page.getByRole("heading", { name: "Last 24 hours" }) }).locator(".uptime-value");
  await expect(uptime24h).toHaveText(/100%/);

  const requests = countRequests(page);
  const control = (mode: string) => page.request.post("/sandbox/_control", { data: { provider: "hubspot", fault: { mode } }, headers: { origin: baseURL! } });
  expect((await control("server_error")).ok()).toBe(true);
  try {
    const { testIntegration } = await graphql<{ testIntegration: { status: string } }>(page, baseURL!, "mutation ($id: ID!) { testIntegration(id: $id) { status } }", { id });
    expect(testIntegration.status).not.toBe("HEALTHY");

    // The API's check reaches the log, the 24 h uptime, the chart and the incidents.
    await expect(log.getByRole("row").filter({ hasText: "Manual" }).first()).toContainText(/provider_error|PROVIDER_ERROR/i, { timeout: 5_000 });
    await expect(uptime24h).not.toHaveText(/100%/);
    await expect(page.getByRole("figure").locator("figcaption")).toContainText(/\d+ failed checks? in \d+ hours?, marked below the line/);
    await expect(incidents.getByRole("row").filter({ hasText: "Ongoing" })).toHaveCount(1);
    await expect(page.getByRole("list", { name: "Last 24 hours" }).getByRole("listitem").last()).toContainText(/failed/);

    // ...from the events alone, not even a late request.
    await page.waitForTimeout(1_500);
    expect(requests).toEqual([]);
  } finally {
    expect((await control("ok")).ok()).toBe(true);
  }
  // Recovery closes the incident, again without a request.
  await expect(incidents.getByRole("row").filter({ hasText: "Ongoing" })).toHaveCount(0, { timeout: 20_000 });
  expect(requests).toEqual([]);

  // The 7 d and 30 d views draw the same rollups; switching ranges asks for nothing.
  await page.getByRole("radio", { name: "30 d" }).check();
  await expect(page.getByRole("figure").locator("figcaption")).toContainText(/answered in 30 d: average \d+ ms\..*failed checks? in \d+ days?/);
  expect(requests).toEqual([]);
});

test("the Incidents page adds, extends and closes an incident from events, with no request", async ({ page, baseURL }) => {
  test.setTimeout(90_000);
  await signUp(page, { name: "Ian Incidents", tag: "incidents-live" });
  await connectSandbox(page, "Slack");
  await page.goto("/incidents");
  await expect(page.getByText("No incidents yet.")).toBeVisible();

  const requests = countRequests(page);
  const control = (mode: string) => page.request.post("/sandbox/_control", { data: { provider: "slack", fault: { mode } }, headers: { origin: baseURL! } });
  const row = page.getByRole("region", { name: /Incidents/ }).getByRole("row").filter({ hasText: "Slack" });
  expect((await control("server_error")).ok()).toBe(true);
  try {
    await expect(row.filter({ hasText: "Ongoing" })).toHaveCount(1, { timeout: 20_000 });
    await expect(page.getByText("1 incident shown, 1 ongoing.")).toBeVisible();
  } finally {
    expect((await control("ok")).ok()).toBe(true);
  }
  await expect(row.filter({ hasText: "Ongoing" })).toHaveCount(0, { timeout: 20_000 });
  await expect(row).toHaveCount(1);
  await expect(page.getByText("1 incident shown, 0 ongoing.")).toBeVisible();
  await page.waitForTimeout(1_000);
  expect(requests).toEqual([]);
});
