import { expect, test } from "@playwright/test";
import { signUp } from "./support/flows.ts";

// Cross-site form posts (no preflight, the victim's cookie attached by the browser) against the
// SvelteKit side of the product, as the built server runs it: every page and route refuses them
// before any handler runs, and nothing changes for the signed-in person.

const EVIL = "https://evil.example";
const PATHS = ["/", "/login", "/signup", "/dashboard/integrations", "/settings", "/settings/api-keys", "/settings/members", "/settings/webhooks", "/api/integrations/oauth/authorize?provider=slack", "/api/integrations/oauth/callback/slack"];
const BODIES = [
  { type: "application/x-www-form-urlencoded", body: "name=csrf&provider=slack" },
  { type: "multipart/form-data; boundary=x", body: '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\ncsrf\r\n--x--\r\n' },
  { type: "text/plain", body: "name=csrf" },
];

test("cross-site form posts to every page and route are refused with 403, and change nothing", async ({ page }) => {
  await signUp(page, { name: "Cass Csrf", tag: "csrf" });
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const keysBefore = await page.request.post("/graphql", { headers: { "content-type": "application/json", "x-graphql-yoga-csrf": "1" }, data: { query: "{ apiKeys { id } }" } });
  const before = ((await keysBefore.json()) as { data: { apiKeys: unknown[] } }).data.apiKeys.length;

  for (const path of PATHS) {
    for (const { type, body } of BODIES) {
      const res = await page.request.fetch(path, { method: "POST", headers: { origin: EVIL, "content-type": type, cookie }, data: body, maxRedirects: 0 });
      expect(res.status(), `${type} POST ${path}`).toBe(403);
      expect(await res.text(), `${type} POST ${path}`).not.toContain("<script");
    }
  }
  // The same kind of post from another site to the GraphQL endpoint (no preflight) runs nothing either.
  const graphql = await page.request.fetch("/graphql", { method: "POST", headers: { origin: EVIL, "content-type": "application/x-www-form-urlencoded", cookie }, data: `query=${encodeURIComponent('mutation { createApiKey(name: "csrf") { key } }')}`, maxRedirects: 0 });
  expect([400, 403, 415]).toContain(graphql.status());

  const keysAfter = await page.request.post("/graphql", { headers: { "content-type": "application/json", "x-graphql-yoga-csrf": "1" }, data: { query: "{ apiKeys { id } }" } });
  expect(((await keysAfter.json()) as { data: { apiKeys: unknown[] } }).data.apiKeys).toHaveLength(before);
  // And the person is still signed in, on the same page as before.
  await page.goto("/dashboard/integrations");
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
});
