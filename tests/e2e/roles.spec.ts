import { AxeBuilder } from "@axe-core/playwright";
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { asNewClient } from "./support/flows.ts";

// Every page as each role. Everyone signs up (and so owns a personal workspace); the owner
// invites the others on Settings → Members, and each of them opens the invitation link and
// accepts it, which moves their session to the owner's workspace (a session acts in its active
// workspace; the menu in the header switches between them).

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
  await asNewClient(page);
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

  // …and invites everyone else on the Members tab; each opens the link and accepts.
  await owner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await owner.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Members" }).click();
  for (const role of ["admin", "member", "viewer"] as const) {
    const link = await invite(owner, emailOf(role), role);
    const page = pages[role];
    await page.goto(link);
    await expect(page.getByRole("heading", { name: `Join ${workspaceName}` })).toBeVisible();
    await page.getByRole("button", { name: "Accept invitation" }).click();
    await expect(page).toHaveURL(/\/dashboard\/integrations$/);
    await expect(page.getByText(`${emailOf(role)} · ${ROLE_LABEL[role]}`)).toBeVisible();
    // The header's menu now offers both workspaces, the owner's chosen.
    await expect(page.getByLabel("Workspace").locator("option:checked")).toHaveText(workspaceName);
  }
  await owner.reload();
  for (const role of ["admin", "member", "viewer"] as const) await expect(owner.getByRole("row").filter({ hasText: emailOf(role) })).toBeVisible();
  await expect(owner.getByText("No pending invitations.")).toBeVisible();
});

/** Invites an address on the Members tab (open on `page`); returns the link shown once. */
async function invite(page: Page, email: string, role: Role): Promise<string> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption({ label: ROLE_LABEL[role] });
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const link = page.getByLabel("Invitation link", { exact: true });
  await expect(link).toHaveText(/\/invite\/[A-Za-z0-9_-]{43}$/);
  const url = (await link.textContent())!;
  await page.getByRole("button", { name: "Done", exact: true }).click();
  await expect(link).toHaveCount(0);
  return url;
}

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
      await expect(tabs).toHaveText(["API keys", "Webhooks", "Alerts", "Members", "Audit log"]);
    } else {
      await expect(page).toHaveURL(/\/settings\/members$/);
      await expect(tabs).toHaveText(["Members"]);
      for (const [path, what] of [
        ["/settings/api-keys", "manage API keys"],
        ["/settings/webhooks", "manage webhooks"],
        ["/settings/alerts", "manage alerts"],
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
    await expect(page.getByRole("button", { name: "Invite", exact: true })).toHaveCount(can[role].manage ? 1 : 0);
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
      await expect(secret.getByRole("button", { name: "Copy API key" })).toBeVisible();
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

test("someone new opens an invitation link, creates an account with the invited address, and joins", async ({ browser }, testInfo) => {
  const owner = pages.owner;
  await owner.goto("/settings/members");
  const email = `roles-newcomer-${stamp}@example.test`;
  const link = await invite(owner, email, "viewer");
  await expect(owner.getByRole("row").filter({ hasText: email })).toBeVisible(); // pending

  const context = await browser.newContext({ baseURL: testInfo.project.use.baseURL! });
  contexts.push(context);
  const page = await context.newPage();
  await asNewClient(page);
  await page.goto(link);
  await expect(page.getByRole("heading", { name: `Join ${workspaceName}` })).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue(email);
  await expectNoSeriousViolations(page, "invite page, signed out");
  await page.getByLabel("Name").fill("Newcomer");
  await page.getByLabel("Password").fill("aaaaaaaaaaaa");
  await page.getByRole("button", { name: "Create account and join" }).click();
  await expect(page.getByRole("alert")).toContainText("too easy to guess");
  await page.getByLabel("Password").fill("correct horse battery");
  await page.getByRole("button", { name: "Create account and join" }).click();
  await expect(page).toHaveURL(/\/dashboard\/integrations$/);
  await expect(page.getByText(`${email} · Viewer`)).toBeVisible();

  // The link worked once.
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Invitation not valid" })).toBeVisible();
  await expectNoSeriousViolations(page, "invite page, used link");
  // The owner's Members tab with a link shown once and a pending invitation.
  await owner.goto("/settings/members");
  await invite(owner, `roles-pending-${stamp}@example.test`, "member");
  await expect(owner.getByRole("row").filter({ hasText: `roles-pending-${stamp}@example.test` })).toBeVisible();
  await expectNoSeriousViolations(owner, "members with a pending invitation");
});

async function expectNoSeriousViolations(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), label).toEqual([]);
}
