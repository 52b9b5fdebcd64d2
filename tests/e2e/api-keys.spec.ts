import { AxeBuilder } from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { asNewClient, connectSandbox, signUp } from "./support/flows.ts";

// Settings → API keys with permissions (issue 15): Read, Proxy and Credentials chosen when a key
// is made, shown in the list; the example request beside a new key is one that key may make,
// and works as written once a connection's id is put in; a permission the role does not allow
// is refused with the API's own words.

async function expectNoSeriousViolations(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), label).toEqual([]);
}

/** Creates a key with exactly these permissions ticked; returns the key and its example request. */
async function createKey(page: Page, name: string, ticked: ("Read" | "Proxy" | "Credentials")[]) {
  await page.getByLabel("Name", { exact: true }).fill(name);
  const permissions = page.getByRole("group", { name: "Permissions" });
  for (const permission of ["Read", "Proxy", "Credentials"] as const) {
    await permissions.getByRole("checkbox", { name: permission, exact: true }).setChecked(ticked.includes(permission));
  }
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = page.getByRole("alert").filter({ hasText: "You will not see it again" });
  await expect(secret).toBeVisible();
  const key = (await secret.getByLabel("New API key", { exact: true }).textContent())!.trim();
  const example = (await secret.getByLabel("Example request", { exact: true }).textContent())!.trim();
  return { key, example, secret };
}

test("an owner chooses a key's permissions, and is shown a request that key may make", async ({ page, baseURL }) => {
  await signUp(page, { name: "Kim Keys", tag: "api-keys" });
  const slack = await connectSandbox(page, "Slack");
  const slackId = (await slack.getByRole("link", { name: /History and uptime/ }).getAttribute("href"))!.split("/").pop()!;

  await page.goto("/settings/api-keys");
  const permissions = page.getByRole("group", { name: "Permissions" });
  const read = permissions.getByRole("checkbox", { name: "Read", exact: true });
  const proxy = permissions.getByRole("checkbox", { name: "Proxy", exact: true });
  const credentials = permissions.getByRole("checkbox", { name: "Credentials", exact: true });
  // Read by default, as the API's default; each says what it allows.
  await expect(read).toBeChecked();
  await expect(proxy).not.toBeChecked();
  await expect(credentials).not.toBeChecked();
  await expect(read).toHaveAccessibleDescription(/GraphQL API/);
  await expect(proxy).toHaveAccessibleDescription(/\/proxy\/\{connection id\}\//);
  await expect(credentials).toHaveAccessibleDescription(/POST \/api\/connections\/\{connection id\}\/token/);
  await expectNoSeriousViolations(page, "settings: API keys with permissions");

  // Nothing ticked: said so before asking the API.
  await page.getByLabel("Name", { exact: true }).fill("nothing");
  await read.uncheck();
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Choose at least one permission." })).toBeVisible();

  // A reading key: the GraphQL example (secrets.spec.ts sends it).
  const reader = await createKey(page, "reader", ["Read"]);
  expect(reader.example).toContain(`${baseURL}/graphql`);
  await reader.secret.getByRole("button", { name: "I have saved it" }).click();
  // The form is back to the default.
  await expect(read).toBeChecked();
  await expect(credentials).not.toBeChecked();

  // A key that may only read credentials: no GraphQL example (that key is refused there), the
  // token read instead, which works once the connection's id is put in.
  const tokens = await createKey(page, "token-reader", ["Credentials"]);
  expect(tokens.example).toBe(`curl -s -X POST -H 'authorization: Bearer ${tokens.key}' ${baseURL}/api/connections/<connection id>/token`);
  await expect(tokens.secret.getByText(/in place of <connection id>/)).toBeVisible();
  const [, url] = / (http.+)$/.exec(tokens.example)!;
  const answer = await fetch(url!.replace("<connection id>", slackId), { method: "POST", headers: { authorization: `Bearer ${tokens.key}` } });
  expect(answer.status).toBe(200);
  expect(((await answer.json()) as { access_token?: string }).access_token).toBeTruthy();
  const graphql = await fetch(`${baseURL}/graphql`, { method: "POST", headers: { authorization: `Bearer ${tokens.key}`, "content-type": "application/json" }, body: '{"query":"{ viewer { role } }"}' });
  expect(graphql.status).toBe(403);
  await tokens.secret.getByRole("button", { name: "I have saved it" }).click();

  // A proxy key: the proxy's example.
  const proxied = await createKey(page, "proxy-only", ["Proxy"]);
  expect(proxied.example).toBe(`curl -s -H 'authorization: Bearer ${proxied.key}' ${baseURL}/proxy/<connection id>/...`);
  // With a connection's id and a path at the provider put in, it reaches Slack (the emulator).
  const [, proxyUrl] = / (http.+)$/.exec(proxied.example)!;
  const viaProxy = await fetch(proxyUrl!.replace("<connection id>/...", `${slackId}/auth.test`), { method: "POST", headers: { authorization: `Bearer ${proxied.key}` } });
  expect(viaProxy.status).toBe(200);
  expect(((await viaProxy.json()) as { ok?: boolean; team?: string }).ok).toBe(true);
  await proxied.secret.getByRole("button", { name: "I have saved it" }).click();

  // Each key's permissions in the list.
  const rowOf = (name: string) => page.getByRole("row").filter({ has: page.getByRole("cell", { name, exact: true }) });
  await expect(rowOf("reader")).toContainText("Read");
  await expect(rowOf("token-reader").getByRole("cell", { name: "Credentials", exact: true })).toBeVisible();
  await expect(rowOf("proxy-only").getByRole("cell", { name: "Proxy", exact: true })).toBeVisible();
  await expect(page.getByRole("columnheader", { name: "Permissions" })).toBeVisible();
  await expectNoSeriousViolations(page, "settings: API keys, a list with permissions");
});

test("a permission the role does not allow is refused with the API's words", async ({ page, browser, baseURL }) => {
  await signUp(page, { name: "Owen Owner", tag: "api-keys-owner" });
  await page.goto("/settings/members");
  const email = `api-keys-admin-${Date.now()}@example.test`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: "Admin" });
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const link = (await page.getByLabel("Invitation link", { exact: true }).textContent())!;

  const context = await browser.newContext({ baseURL: baseURL! });
  try {
    const admin = await context.newPage();
    await asNewClient(admin);
    await admin.goto(link);
    await admin.getByLabel("Name").fill("Ada Admin");
    await admin.getByLabel("Password").fill("correct horse battery");
    await admin.getByRole("button", { name: "Create account and join" }).click();
    await expect(admin.getByText(`${email} · Admin`)).toBeVisible();
    await admin.goto("/settings/api-keys");
    // Owners and admins may give all three.
    const adminKey = await createKey(admin, "admin-all", ["Read", "Proxy", "Credentials"]);
    expect(adminKey.example).toContain("/graphql");
    await adminKey.secret.getByRole("button", { name: "I have saved it" }).click();
    await expect(admin.getByRole("row").filter({ hasText: "admin-all" })).toContainText("Read, Proxy, Credentials");

    // The owner makes them a member while their page is open: the next key is refused, in the API's words.
    await page.reload();
    await page.getByRole("row").filter({ hasText: email }).getByRole("combobox").selectOption({ label: "Member" });
    await expect(page.getByRole("status").filter({ hasText: "is now Member" })).toBeVisible();
    await admin.getByLabel("Name", { exact: true }).fill("member-credentials");
    await admin.getByRole("group", { name: "Permissions" }).getByRole("checkbox", { name: "Credentials", exact: true }).check();
    await admin.getByRole("button", { name: "Create key" }).click();
    await expect(admin.getByRole("alert").filter({ hasText: "Could not create the key: Your role in this workspace does not allow this." })).toBeVisible();
  } finally {
    await context.close();
  }
});
