import { randomBytes } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { OFF_SITE, ON_SITE } from "../security/open-redirect-payloads.ts";
import { asNewClient } from "./support/flows.ts";

// `next` in a real browser, which is the one that finally follows it: the server's redirect of a
// signed-in person away from /login and /signup, and the page's own navigation after signing in
// (window.location.assign). No known bypass may take the browser off the site, or even make it
// ask another host for anything.

// What the browser does with each differs (tabs dropped, backslashes turned, dots resolved),
// so these few go through the sign-in form; the server-side redirect takes the whole list.
const THROUGH_THE_FORM = ["/..//evil.example", "/%2e%2e//evil.example", "//evil.example", "/\\evil.example", "/\t/evil.example", "/%5cevil.example", "https:evil.example", "/\uff0fevil.example"];

/** An account made through the API (this spec is about what happens after signing in). */
async function createAccount(page: Page, baseURL: string, tag: string): Promise<{ email: string; password: string }> {
  const email = `${tag}-${Date.now()}-${randomBytes(3).toString("hex")}@example.test`;
  const password = `Redirect-${randomBytes(12).toString("base64url")}`;
  await asNewClient(page);
  const res = await page.request.post("/api/auth/sign-up/email", { headers: { origin: new URL(baseURL).origin }, data: { email, password, name: tag } });
  expect(res.status(), await res.text()).toBe(200);
  return { email, password };
}

/** Signs in through the form, from /login?next=NEXT. */
async function signIn(page: Page, account: { email: string; password: string }, next?: string): Promise<void> {
  await page.context().clearCookies();
  await page.goto(next === undefined ? "/login" : `/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

function watchHosts(page: Page): Set<string> {
  const hosts = new Set<string>();
  page.on("request", (request) => hosts.add(new URL(request.url()).host));
  return hosts;
}

test("a signed-in person sent to /login or /signup with any known bypass as next stays on the site", async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  const site = new URL(baseURL!);
  await signIn(page, await createAccount(page, baseURL!, "next"));
  await expect(page).toHaveURL(`${site.origin}/dashboard/integrations`);
  const hosts = watchHosts(page);
  // /signup shares the check with /login (the (auth) layout): a shorter list there.
  for (const [path, payloads] of [["/login", OFF_SITE], ["/signup", THROUGH_THE_FORM]] as const) {
    for (const payload of payloads) {
      // Where the redirect chain ends is known once the last response is committed.
      await page.goto(`${path}?next=${encodeURIComponent(payload)}`, { waitUntil: "commit" });
      expect(new URL(page.url()).origin, `${path} ${JSON.stringify(payload)}`).toBe(site.origin);
      expect(new URL(page.url()).pathname, `${path} ${JSON.stringify(payload)}`).toBe("/dashboard/integrations");
    }
  }
  await page.goto(`/login?next=${encodeURIComponent("/settings/webhooks")}`);
  await expect(page).toHaveURL(`${site.origin}/settings/webhooks`);
  expect([...hosts]).toEqual([site.host]);
});

test("signing in with next set to a bypass lands on the dashboard, and with a path on the site, on that path", async ({ page, baseURL }) => {
  const site = new URL(baseURL!);
  const account = await createAccount(page, baseURL!, "signin-next");
  const hosts = watchHosts(page);
  const signInWith = (next: string) => signIn(page, account, next);
  for (const payload of THROUGH_THE_FORM) {
    await signInWith(payload);
    await expect(page, JSON.stringify(payload)).toHaveURL(`${site.origin}/dashboard/integrations`);
  }
  const [, kept] = ON_SITE.find(([input]) => input === "/dashboard/./integrations/../integrations")!;
  await signInWith("/settings/webhooks");
  await expect(page).toHaveURL(`${site.origin}/settings/webhooks`);
  await signInWith("/dashboard/./integrations/../integrations");
  await expect(page).toHaveURL(`${site.origin}${kept}`);
  expect([...hosts]).toEqual([site.host]);
});
