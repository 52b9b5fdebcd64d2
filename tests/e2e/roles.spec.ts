import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";

// Every page as each role. Everyone signs up (and so owns a personal workspace); the owner adds
// the others to theirs on Settings → Members, and each of them switches to it with the
// workspace menu in the header: a session acts in its active workspace (better-auth's
// organization plugin, read by the API's resolveViewer).

type Role = "owner" | "admin" | "member" | "viewer";
const ROLES: Role[] = ["owner", "admin", "member", "viewer"];
const ROLE_LABEL: Record<Role, string> = { owner: "Owner", admin: "Admin", member: "Member", viewer: "Viewer" };
const stamp = `${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
const emailOf = (role: Role) => `roles-${role}-${stamp}@example.test`;
const nameOf = (role: Role) => `${ROLE_LABEL[role]} ${stamp.slice(-5)}`;
const workspaceName = `${nameOf("owner")}'s workspace`;

const pages = {} as Record<Role, Page>;
const contexts: BrowserContext[] = [];

async function signUp(browser: Browser, baseURL: string, role: Role): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  contexts.push(context);
  const page = await context.newPage();
  await page.goto("/signup");
  await page.getByLabel("Name").fill(nameOf(role));
  await page.getByLabel("Email").fill(emailOf(role));
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  return page;
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const baseURL = testInfo.project.use.baseURL!;
  for (const role of ROLES) pages[role] = await signUp(browser, baseURL, role);

  // The owner connects Slack so there is something to test and disconnect.
  const owner = pages.owner;
  const slack = owner.getByRole("article", { name: "Slack" });
  await slack.getByRole("link", { name: "Connect", exact: true }).click();
  await owner.getByRole("button", { name: "Allow" }).click();
  await expect(slack.getByText("Healthy", { exact: true })).toBeVisible();

  // …and adds everyone else on the Members tab.
  await owner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await owner.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Members" }).click();
  for (const role of ["admin", "member", "viewer"] as const) {
    await owner.getByLabel("Email").fill(emailOf(role));
    await owner.getByLabel("Role", { exact: true }).selectOption({ label: ROLE_LABEL[role] });
    await owner.getByRole("button", { name: "Add member" }).click();
    await expect(owner.getByRole("row").filter({ hasText: emailOf(role) })).toBeVisible();
  }

  // Each of them switches to the owner's workspace from the header.
  for (const role of ["admin", "member", "viewer"] as const) {
    const page = pages[role];
    await page.reload();
    await page.getByLabel("Workspace").selectOption({ label: workspaceName });
    await expect(page).toHaveURL(/\/dashboard\/integrations$/);
    await expect(page.getByLabel("Workspace")).toHaveValue(/.+/);
    await expect(page.getByText(`${emailOf(role)} · ${ROLE_LABEL[role]}`)).toBeVisible();
  }
});

test.afterAll(async () => {
  for (const context of contexts) await context.close();
});

const can = {
  owner: { test: true, manage: true },
  admin: { test: true, manage: true },
  member: { test: true, manage: false },
  viewer: { test: false, manage: false },
} satisfies Record<Role, { test: boolean; manage: boolean }>;

for (const role of ROLES) {
  test(`${role}: dashboard, detail page and settings show what a ${role} may do`, async () => {
    const page = pages[role];
    await page.goto("/dashboard/integrations");

    // Dashboard.
    const slack = page.getByRole("article", { name: "Slack" });
    await expect(slack.getByText("Connected", { exact: true })).toBeVisible();
    const test = slack.getByRole("button", { name: "Test connection" });
    const disconnect = slack.getByRole("button", { name: "Disconnect" });
    const googleConnect = page.getByRole("article", { name: "Google" }).getByRole("link", { name: "Connect", exact: true });
    if (can[role].test) await expect(test).toBeEnabled();
    else await expect(test).toBeDisabled();
    if (can[role].manage) {
      await expect(disconnect).toBeEnabled();
      await expect(googleConnect).toHaveAttribute("href", /\/api\/integrations\/oauth\/authorize\?provider=google/);
    } else {
      await expect(disconnect).toBeDisabled();
      await expect(googleConnect).toHaveAttribute("aria-disabled", "true");
    }
    await expect(page.getByRole("button", { name: "Test all" })).toHaveCount(can[role].test ? 1 : 0);
    if (can[role].test) {
      await test.click();
      await expect(slack.getByText(/Test result: Healthy/)).toBeVisible();
    }

    // Detail page.
    await slack.getByRole("link", { name: /History and uptime/ }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Slack" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Uptime" })).toBeVisible();
    await expect(page.getByRole("region", { name: "Check log", exact: true })).toBeVisible();
    await expect(page.getByRole("button", { name: "Test connection" })).toHaveCount(can[role].test ? 1 : 0);
    await page.getByRole("link", { name: "Back to integrations" }).click();
    await expect(page).toHaveURL(/\/dashboard\/integrations$/);

    // Settings: the tabs a role can use, and the pages' own answer when opened by URL.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
    const tabs = page.getByRole("navigation", { name: "Settings" }).getByRole("link");
    if (can[role].manage) {
      await expect(page).toHaveURL(/\/settings\/api-keys$/);
      await expect(tabs).toHaveText(["API keys", "Webhooks", "Members", "Audit log"]);
    } else {
      await expect(page).toHaveURL(/\/settings\/members$/);
      await expect(tabs).toHaveText(["Members"]);
      for (const [path, what] of [
        ["/settings/api-keys", "manage API keys"],
        ["/settings/webhooks", "manage webhooks"],
        ["/settings/audit-log", "read the audit log"],
      ]) {
        await page.goto(path!);
        await expect(page.getByText(`Only workspace owners and admins can ${what}.`)).toBeVisible();
      }
      await page.goto("/settings/members");
    }

    // Members: everyone sees the list; only owners and admins get controls, and only owners
    // may touch an owner.
    if (can[role].manage) await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Members" }).click();
    const ownerRow = page.getByRole("row").filter({ hasText: emailOf("owner") });
    const viewerRow = page.getByRole("row").filter({ hasText: emailOf("viewer") });
    await expect(ownerRow).toBeVisible();
    await expect(page.getByRole("button", { name: "Add member" })).toHaveCount(can[role].manage ? 1 : 0);
    await expect(ownerRow.getByRole("combobox")).toHaveCount(role === "owner" ? 1 : 0);
    await expect(viewerRow.getByRole("combobox")).toHaveCount(can[role].manage ? 1 : 0);
    await expect(viewerRow.getByRole("button", { name: /Remove/ })).toHaveCount(can[role].manage ? 1 : 0);

    if (can[role].manage) {
      // API keys: created once and shown once, then revoked after a confirmation.
      await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "API keys" }).click();
      await page.getByLabel("Name").fill(`${role}-key`);
      await page.getByRole("button", { name: "Create key" }).click();
      const secret = page.getByRole("alert").filter({ hasText: "You will not see it again" });
      await expect(secret).toBeVisible();
      await expect(secret.getByText(/^sb_/)).toBeVisible();
      await expect(secret.getByRole("button", { name: /Copy/ })).toBeVisible();
      await secret.getByRole("button", { name: "I have saved it" }).click();
      const row = page.getByRole("row").filter({ hasText: `${role}-key` });
      await expect(row).toBeVisible();
      await row.getByRole("button", { name: /Revoke/ }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
      await expect(row).toHaveCount(0);

      // Audit log: the key's creation and revocation are there.
      await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Audit log" }).click();
      await expect(page.getByRole("row").filter({ hasText: "Revoked an API key" }).first()).toBeVisible();
      await expect(page.getByRole("row").filter({ hasText: "Created an API key" }).first()).toBeVisible();

      // Webhooks page answers for managers.
      await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Webhooks" }).click();
      await expect(page.getByRole("heading", { name: "Add a webhook endpoint" })).toBeVisible();
    }

    // The API agrees with the UI: what is hidden is also refused.
    const response = await page.request.post("/graphql", {
      data: { query: "mutation { createApiKey(name: \"sneaky\") { id } }" },
      headers: { origin: new URL(page.url()).origin },
    });
    const body = (await response.json()) as { errors?: unknown[] };
    expect(Boolean(body.errors?.length)).toBe(!can[role].manage);
  });
}

test("the server's own words: the last owner cannot step down", async () => {
  const page = pages.owner;
  await page.goto("/settings/members");
  const ownerRow = page.getByRole("row").filter({ hasText: emailOf("owner") });
  await ownerRow.getByRole("combobox").selectOption({ label: "Admin" });
  await expect(page.getByRole("alert").filter({ hasText: "A workspace needs at least one owner." })).toBeVisible();
  await expect(ownerRow.getByRole("combobox")).toHaveValue("OWNER");
});

test("an admin changes a role and the member sees it after a reload", async () => {
  const admin = pages.admin;
  await admin.goto("/settings/members");
  const memberRow = admin.getByRole("row").filter({ hasText: emailOf("member") });
  // Admins cannot make owners: the choice is not offered.
  await expect(memberRow.getByRole("combobox").locator("option", { hasText: "Owner" })).toHaveCount(0);
  await memberRow.getByRole("combobox").selectOption({ label: "Viewer" });
  await expect(admin.getByRole("status").filter({ hasText: "is now Viewer" })).toBeVisible();

  const member = pages.member;
  await member.goto("/dashboard/integrations");
  await expect(member.getByRole("article", { name: "Slack" }).getByRole("button", { name: "Test connection" })).toBeDisabled();
  await expect(member.getByText(`${emailOf("member")} · Viewer`)).toBeVisible();
});
