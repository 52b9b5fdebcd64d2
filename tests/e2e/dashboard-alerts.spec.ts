import { expect, test, type Page } from "@playwright/test";
import { connectSandbox, signUp } from "./support/flows.ts";

// A health transition while the dashboard is open: a toast that covers no button, the count of
// connections that need attention in the tab's title and icon, the card first in the list, and
// (when the person asked for them) a system notification while the tab is in the background.

/** Names of the visible controls a toast overlaps (buttons, links styled as buttons, fields). */
async function controlsUnderToasts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const toasts = [...document.querySelectorAll(".toaster .toast")].map((t) => t.getBoundingClientRect());
    if (toasts.length === 0) throw new Error("no toast on screen");
    const overlaps = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const controls = [...document.querySelectorAll<HTMLElement>("button, a.button, [role=button], select, input, summary")];
    return controls
      .filter((el) => !el.closest(".toaster"))
      .filter((el) => {
        const rect = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        const onScreen = rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.top < innerHeight && rect.right > 0 && rect.left < innerWidth;
        return onScreen && style.visibility !== "hidden" && toasts.some((t) => overlaps(t, rect));
      })
      .map((el) => el.getAttribute("aria-label") ?? el.textContent?.trim() ?? el.tagName);
  });
}

async function faviconHref(page: Page): Promise<string> {
  return page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel~="icon"]')!.getAttribute("href")!);
}

test("a transition raises a toast clear of every button, counts in the title and icon, and moves the card first", async ({ page, context, baseURL }) => {
  test.setTimeout(120_000);
  await signUp(page, { name: "Tia Toast", tag: "toast" });
  await connectSandbox(page, "Slack");
  const hubspot = await connectSandbox(page, "HubSpot");
  await page.getByRole("status").getByRole("button", { name: "Dismiss message" }).click();
  await expect(page).toHaveTitle("Integrations · Switchboard");
  expect(await faviconHref(page)).toMatch(/\/favicon\.svg$/);
  await expect(page.getByText("2 connected · all healthy")).toBeVisible();
  // The providers' cards' accessible names, in the page's order (not the articles of connections,
  // which a provider with several has).
  const names = () =>
    page.getByRole("article").filter({ has: page.getByRole("heading", { level: 2 }) }).evaluateAll((cards) =>
      cards.map((c) => (c.getAttribute("aria-label") ?? document.getElementById(c.getAttribute("aria-labelledby") ?? "")?.textContent ?? "").trim()),
    );
  expect((await names()).slice(0, 2)).toEqual([expect.stringMatching(/^Slack/), expect.stringMatching(/^HubSpot/)]);
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

  // The owner sets a fault on the sandbox controls page, in another tab, as outage.spec.ts does.
  const controls = await context.newPage();
  await controls.goto("/sandbox");
  await controls.getByLabel("Fault for HubSpot").selectOption("server_error");
  await controls.getByRole("button", { name: "Apply to HubSpot" }).click();
  await expect(controls.getByRole("row", { name: /HubSpot/ })).toContainText("server_error");
  await controls.close();

  try {
    const toast = page.getByRole("status").filter({ hasText: /HubSpot is failing its checks \(\d of 3 before Unhealthy\)\./ });
    await expect(toast).toBeVisible({ timeout: 30_000 });
    await expect(page).toHaveTitle("(1) Integrations · Switchboard");
    await expect(page.getByText("2 connected · 1 needs attention")).toBeVisible();
    // The icon carries the count, drawn as an SVG data URL.
    const badged = await faviconHref(page);
    expect(badged).toMatch(/^data:image\/svg\+xml,/);
    expect(decodeURIComponent(badged)).toContain(">1</text>");
    // The card that needs attention comes first.
    await expect.poll(async () => (await names())[0]).toMatch(/^HubSpot/);
    await expect(hubspot).toBeVisible();

    // No button under the toast, at the top of the page and scrolled to its end.
    expect(await controlsUnderToasts(page)).toEqual([]);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    expect(await controlsUnderToasts(page)).toEqual([]);
    await page.evaluate(() => window.scrollTo(0, 0));
  } finally {
    const reset = await page.request.post("/sandbox/_control", { data: { provider: "hubspot", fault: { mode: "ok" } }, headers: { origin: baseURL! } });
    expect(reset.ok()).toBe(true);
  }

  // Recovery: a toast says so, and the title and icon drop the count.
  await expect(page.getByRole("status").filter({ hasText: "HubSpot recovered: healthy again." })).toBeVisible({ timeout: 60_000 });
  await expect(page).toHaveTitle("Integrations · Switchboard");
  expect(await faviconHref(page)).toMatch(/\/favicon\.svg$/);
  await expect(page.getByText("2 connected · all healthy")).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
});

test("toasts stay clear of the buttons on a phone too", async ({ page, baseURL }) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 390, height: 760 });
  await signUp(page, { name: "Tia Toast", tag: "toast-phone" });
  const hubspot = await connectSandbox(page, "HubSpot");
  await page.getByRole("status").getByRole("button", { name: "Dismiss message" }).click();
  const control = (mode: string) => page.request.post("/sandbox/_control", { data: { provider: "hubspot", fault: { mode } }, headers: { origin: baseURL! } });
  expect((await control("server_error")).ok()).toBe(true);
  try {
    await hubspot.getByRole("button", { name: "Test connection" }).click();
    await expect(page.getByRole("status").filter({ hasText: /HubSpot is failing its checks/ })).toBeVisible({ timeout: 15_000 });
    // At the end of the page (the content is padded by the toasts' height), nothing is covered.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(200);
    expect(await controlsUnderToasts(page)).toEqual([]);
  } finally {
    expect((await control("ok")).ok()).toBe(true);
  }
});

test("with notifications enabled, a transition in a background tab raises one", async ({ page, baseURL }) => {
  // Headless Chromium shows no system notifications: the page's Notification is replaced by a
  // recorder, and the tab is made to read as hidden, before the app loads.
  await page.addInitScript(() => {
    const w = window as unknown as { __notes: { title: string; body: string }[]; __hidden: boolean };
    w.__notes = [];
    w.__hidden = false;
    class RecordingNotification {
      static permission: NotificationPermission = "default";
      static async requestPermission() {
        RecordingNotification.permission = "granted";
        return "granted" as const;
      }
      onclick: (() => void) | null = null;
      constructor(title: string, options: NotificationOptions = {}) {
        w.__notes.push({ title, body: options.body ?? "" });
      }
      close() {}
    }
    Object.defineProperty(window, "Notification", { value: RecordingNotification, configurable: true });
    Object.defineProperty(document, "visibilityState", { get: () => (w.__hidden ? "hidden" : "visible"), configurable: true });
  });
  await signUp(page, { name: "Nia Notify", tag: "notify" });
  await connectSandbox(page, "HubSpot");
  const listed = await page.request.post("/graphql", { data: { query: "{ integrations { nodes { id providerId } } }" }, headers: { origin: baseURL! } });
  expect(listed.ok(), await listed.text()).toBe(true);
  const { data } = (await listed.json()) as { data: { integrations: { nodes: { id: string; providerId: string }[] } } };
  const id = data.integrations.nodes.find((i) => i.providerId === "hubspot")!.id;

  await page.getByRole("button", { name: "Enable notifications" }).click();
  await expect(page.getByRole("button", { name: "Turn off notifications" })).toBeVisible();

  const control = (mode: string) => page.request.post("/sandbox/_control", { data: { provider: "hubspot", fault: { mode } }, headers: { origin: baseURL! } });
  const check = () => page.request.post("/graphql", { data: { query: "mutation ($id: ID!) { testIntegration(id: $id) { status } }", variables: { id } }, headers: { origin: baseURL! } });
  expect((await control("server_error")).ok()).toBe(true);
  try {
    // Visible tab: the toast, no notification. (The scheduler checks too, so counts may move on.)
    expect((await check()).ok()).toBe(true);
    await expect(page.getByRole("status").filter({ hasText: /HubSpot is failing its checks/ })).toBeVisible();
    const notes = () => page.evaluate(() => (window as unknown as { __notes: { title: string; body: string }[] }).__notes);
    expect(await notes()).toEqual([]);

    // Hidden tab: the next transition raises a notification as well.
    await page.evaluate(() => ((window as unknown as { __hidden: boolean }).__hidden = true));
    expect((await check()).ok()).toBe(true);
    await expect.poll(async () => (await notes()).length).toBeGreaterThan(0);
    expect((await notes())[0]).toEqual({
      title: "Switchboard: HubSpot",
      body: expect.stringMatching(/^HubSpot (is failing its checks \([23] of 3 before Unhealthy\)|is unhealthy)\.$/),
    });
  } finally {
    expect((await control("ok")).ok()).toBe(true);
  }
});
