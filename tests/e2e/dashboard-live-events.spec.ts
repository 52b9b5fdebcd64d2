import { expect, test, type Page } from "@playwright/test";
import { connectSandbox, signUp } from "./support/flows.ts";

// Events carry their data: a health event holds the connection as it is after the event, so an
// open dashboard patches one card from the event alone. One live event costs the page no HTTP
// request (the event itself comes over the websocket).

/** A GraphQL call with the page's cookies, as an API client in the same session: not the page's own request. */
async function graphql<T>(page: Page, baseURL: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await page.request.post("/graphql", { data: { query, variables }, headers: { origin: baseURL } });
  expect(response.ok(), await response.text()).toBe(true);
  const body = (await response.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

test("one live event changes its card and the page sends no HTTP request for it", async ({ page, baseURL }) => {
  test.setTimeout(90_000);
  // Frames the page's websocket receives that carry a HubSpot health event.
  const eventFrames: string[] = [];
  page.on("websocket", (socket) => {
    socket.on("framereceived", ({ payload }) => {
      const text = typeof payload === "string" ? payload : payload.toString("utf8");
      if (text.includes('"healthStatus"') && text.includes('"hubspot"')) eventFrames.push(text);
    });
  });

  await signUp(page, { name: "Eve Events", tag: "events" });
  const card = await connectSandbox(page, "HubSpot");
  const { integrations } = await graphql<{ integrations: { nodes: { id: string; providerId: string }[] } }>(page, baseURL!, "{ integrations { nodes { id providerId } } }");
  const id = integrations.nodes.find((i) => i.providerId === "hubspot")!.id;
  await expect(page.getByText("1 connected · healthy")).toBeVisible();
  await expect(page).toHaveTitle("Integrations · Switchboard");

  // From here on, count every HTTP request the page makes to the API.
  const requests: string[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/graphql") requests.push(`${request.method()} ${request.postData() ?? ""}`);
  });
  const framesBefore = eventFrames.length;

  const control = (mode: string) =>
    page.request.post("/sandbox/_control", { data: { provider: "hubspot", fault: { mode } }, headers: { origin: baseURL! } });
  expect((await control("server_error")).ok()).toBe(true);
  try {
    // One check, run from the API (not the page), publishes one event.
    const { testIntegration } = await graphql<{ testIntegration: { status: string } }>(
      page,
      baseURL!,
      "mutation ($id: ID!) { testIntegration(id: $id) { status } }",
      { id },
    );
    expect(testIntegration.status).not.toBe("HEALTHY");

    // The card, the summary and the tab title follow the event...
    await expect(card.getByText(/^Failing \d of \d$/)).toBeVisible({ timeout: 5_000 });
    await expect(page.getByText("1 connected · 1 needs attention")).toBeVisible();
    await expect(page).toHaveTitle("(1) Integrations · Switchboard");
    // ...which came over the websocket, carrying the card's fields,
    const frames = eventFrames.slice(framesBefore).map((text) => JSON.parse(text) as { payload: { data: { healthStatus: { integration: Record<string, unknown> } } } });
    expect(frames.length).toBeGreaterThan(0);
    const carried = frames.at(-1)!.payload.data.healthStatus.integration;
    expect(carried).toMatchObject({ id, providerId: "hubspot", status: "CONNECTED" });
    expect(carried).toHaveProperty("state");
    expect(carried).toHaveProperty("uptime");

    // ...and cost no HTTP request, not even a late one.
    await page.waitForTimeout(1_500);
    expect(requests).toEqual([]);
  } finally {
    expect((await control("ok")).ok()).toBe(true);
  }
});

test("a connection made or removed elsewhere joins or leaves the list from its event alone", async ({ page, context, baseURL }) => {
  await signUp(page, { name: "Eve Events", tag: "events-remove" });
  const card = await connectSandbox(page, "Slack");
  const { integrations } = await graphql<{ integrations: { nodes: { id: string; providerId: string }[] } }>(page, baseURL!, "{ integrations { nodes { id providerId } } }");
  const id = integrations.nodes.find((i) => i.providerId === "slack")!.id;

  const requests: string[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/graphql") requests.push(request.postData() ?? "");
  });
  // Disconnected and forgotten from the API, as another person or a script would.
  await graphql(page, baseURL!, "mutation ($id: ID!) { disconnectIntegration(id: $id, forget: true) { disconnected } }", { id });
  await expect(card.getByRole("link", { name: "Connect", exact: true })).toBeVisible({ timeout: 5_000 });
  await expect(page.getByText("Nothing connected yet")).toBeVisible();

  // Connected in another tab of the same person: the new connection's events add it here.
  const other = await context.newPage();
  await other.goto("/dashboard/integrations");
  await connectSandbox(other, "Google");
  await other.close();
  const google = page.getByRole("article", { name: "Google" });
  await expect(google.getByText("Healthy", { exact: true })).toBeVisible({ timeout: 5_000 });
  await expect(page.getByText("1 connected · healthy")).toBeVisible();
  await page.waitForTimeout(1_000);
  expect(requests).toEqual([]);
});
