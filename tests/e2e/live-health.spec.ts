import { expect, test } from "@playwright/test";
import { connectSandbox, signUp } from "./support/flows.ts";

// A person watching the dashboard sees health change live, without reloading, as a sandbox
// provider starts failing and then recovers (the scheduler runs every second in e2e, each
// connection every ~5 s; thresholds: unhealthy after 3 failures, healthy after 2 successes).

test("a card goes from Healthy to Unhealthy and back without a reload", async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  await signUp(page, { name: "Liv Live", tag: "live" });
  const card = await connectSandbox(page, "HubSpot");

  // Anything set on window survives only if the page is never reloaded.
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
  const control = (mode: string) =>
    page.request.post("/sandbox/_control", { data: { provider: "hubspot", fault: { mode } }, headers: { origin: baseURL! } });
  expect((await control("server_error")).ok()).toBe(true);
  try {
    await expect(card.getByText("Degraded", { exact: true })).toBeVisible({ timeout: 30_000 });
    await expect(card.getByText("Unhealthy", { exact: true })).toBeVisible({ timeout: 40_000 });
  } finally {
    expect((await control("ok")).ok()).toBe(true);
  }
  await expect(card.getByText("Healthy", { exact: true })).toBeVisible({ timeout: 40_000 });
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
});
