import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { SMTPServer } from "smtp-server";
import { simpleParser, type ParsedMail } from "mailparser";
import { asNewClient, connectSandbox, signUp } from "./support/flows.ts";

// Settings → Alerts as an owner uses it. Playwright's own server has no SMTP_URL, so there the
// page must say e-mail cannot be sent, and the sandbox's Slack emulator takes incoming-webhook and
// chat.postMessage alerts. A second server of this file's own gets SMTP_URL pointing at a real
// SMTP server (smtp-server) the spec starts, and the test e-mail must arrive there.

const root = join(import.meta.dirname, "../..");
const smtpPort = Number(process.env.E2E_ALERTS_PORT ?? 3194);
const smtpOrigin = `http://localhost:${smtpPort}`;

test.describe.configure({ mode: "serial" });

/** The Alerts tab of the Settings navigation. */
const alertsTab = (page: Page) => page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Alerts" });
const channel = (page: Page, name: string) => page.getByRole("article", { name });

async function expectNoSeriousViolations(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]).analyze();
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), label).toEqual([]);
}

async function addChannel(page: Page, { kind, name, fill }: { kind: "E-mail" | "Slack channel" | "Slack incoming webhook"; name: string; fill: () => Promise<void> }) {
  await page.getByRole("radio", { name: new RegExp(`^${kind}`) }).check();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await fill();
  await page.getByRole("button", { name: "Add channel" }).click();
  await expect(channel(page, name)).toBeVisible();
}

test.describe("on the configured server (no SMTP_URL, sandbox Slack)", () => {
  let owner: Page;
  let ownerEmail: string;

  test.beforeAll(async ({ browser }, testInfo) => {
    const context = await browser.newContext({ baseURL: testInfo.project.use.baseURL! });
    owner = await context.newPage();
    ownerEmail = await signUp(owner, { name: "Alma Alerts", tag: "alerts" });
  });

  test.afterAll(async () => {
    await owner.context().close();
  });

  test("an owner adds an e-mail channel and the page says why it cannot send", async () => {
    const page = owner;
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
    await alertsTab(page).click();
    await expect(page).toHaveURL(/\/settings\/alerts$/);
    await expect(page.getByRole("heading", { name: "Add an alert channel" })).toBeVisible();
    await expect(page.getByText("No alert channels yet.")).toBeVisible();

    // E-mail is the first choice; this server has no SMTP_URL, and the form says so first.
    await expect(page.getByRole("radio", { name: /^E-mail/ })).toBeChecked();
    await expect(page.getByText("E-mail cannot be sent: SMTP_URL is not set on this server.")).toBeVisible();

    // The server's own words for a bad address.
    await page.getByLabel("Name", { exact: true }).fill("On-call mail");
    await page.getByLabel("Recipients").fill("not-an-address");
    await page.getByRole("button", { name: "Add channel" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "not-an-address is not an e-mail address." })).toBeVisible();

    await page.getByLabel("Recipients").fill("oncall@example.test, lead@example.test");
    await page.getByRole("button", { name: "Add channel" }).click();
    const mail = channel(page, "On-call mail");
    await expect(mail).toBeVisible();
    await expect(mail.getByText("To oncall@example.test, lead@example.test")).toBeVisible();
    await expect(mail.getByText("On every event · for every provider")).toBeVisible();
    await expect(mail.getByText("Cannot send", { exact: true })).toBeVisible();

    // A test is attempted anyway, and its outcome names what to set.
    await mail.getByRole("button", { name: /^Send test/ }).click();
    await expect(mail.getByRole("status")).toContainText("SMTP_URL");
    await expect(mail.getByRole("status")).toContainText(/^Not delivered Test alert not delivered: /);
    await expect(mail.getByRole("row").filter({ hasText: "Test" })).toContainText("SMTP_URL");
  });

  test("a Slack incoming webhook in sandbox mode: Send test is delivered, the URL's secret stays hidden", async () => {
    const page = owner;
    await page.getByRole("radio", { name: /^Slack incoming webhook/ }).check();
    await expect(page.getByText("Sandbox mode: the Slack emulator offers a webhook URL to try.")).toBeVisible();
    await page.getByLabel("Name", { exact: true }).fill("Ops Slack");
    await page.getByRole("button", { name: "Use the sandbox webhook URL" }).click();
    const url = await page.getByLabel("Webhook URL").inputValue();
    expect(url).toMatch(/\/sandbox\/slack\/services\/T0SANDBOX\/B0SANDBOX\/[A-Za-z0-9_-]+$/);
    const secretPart = url.slice(url.lastIndexOf("/") + 1);
    // Rules: every event but missing scopes, for HubSpot only.
    const events = page.getByRole("group", { name: "Events" });
    await events.getByRole("checkbox", { name: /^Missing scopes/ }).uncheck();
    await page.getByRole("group", { name: "Providers" }).getByRole("checkbox", { name: "HubSpot" }).check();
    await page.getByRole("button", { name: "Add channel" }).click();

    const slack = channel(page, "Ops Slack");
    await expect(slack).toBeVisible();
    await expect(slack.getByText("On Down, Recovered, Reconnect required · for HubSpot")).toBeVisible();
    await expect(slack.getByText(/Posts to .*\/services\/T0SANDBOX\/B0SANDBOX\/•+$/)).toBeVisible();
    // The form is ready for the next one.
    await expect(page.getByLabel("Webhook URL")).toHaveValue("");

    await slack.getByRole("button", { name: /^Send test/ }).click();
    await expect(slack.getByRole("status")).toContainText(/Test alert delivered \(HTTP 200\)/);
    await expect(slack.getByRole("row").filter({ hasText: "Test" })).toContainText("Delivered (HTTP 200)");
    // Written once, never shown again: not in the page, not in what the API answers.
    expect(await page.content()).not.toContain(`B0SANDBOX/${secretPart}`);

    // Disable, then delete after a confirmation.
    await slack.getByRole("button", { name: "Disable Ops Slack" }).click();
    await expect(slack.getByText("Disabled", { exact: true })).toBeVisible();
    await slack.getByRole("button", { name: "Delete Ops Slack" }).click();
    const dialog = page.getByRole("dialog", { name: 'Delete "Ops Slack"?' });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(slack).toBeVisible();
    await slack.getByRole("button", { name: "Delete Ops Slack" }).click();
    await dialog.getByRole("button", { name: "Delete" }).click();
    await expect(slack).toHaveCount(0);
    await expect(channel(page, "On-call mail")).toBeVisible();
  });

  test("a Slack channel needs Slack connected here; once it is, a test posts to #alerts", async () => {
    const page = owner;
    await page.getByRole("radio", { name: /^Slack channel/ }).check();
    await expect(page.getByText("Slack is not connected in this workspace.")).toBeVisible();
    await page.getByRole("link", { name: "the integrations dashboard" }).click();
    await expect(page).toHaveURL(/\/dashboard\/integrations$/);
    await connectSandbox(page, "Slack");

    await page.goto("/settings/alerts");
    await page.getByRole("radio", { name: /^Slack channel/ }).check();
    await expect(page.getByText("Posts through the Slack workspace connected here.", { exact: false })).toBeVisible();
    await addChannel(page, { kind: "Slack channel", name: "Team Slack", fill: () => page.getByRole("textbox", { name: "Slack channel" }).fill("alerts") });
    const slack = channel(page, "Team Slack");
    await expect(slack.getByText("Posts to #alerts")).toBeVisible();
    await slack.getByRole("button", { name: /^Send test/ }).click();
    await expect(slack.getByRole("status")).toContainText(/Test alert delivered/);
  });

  test("the audit log filters by action and date, in the URL, and clears", async () => {
    const page = owner;
    await page.goto("/settings/audit-log");
    const rows = page.getByRole("region", { name: "Audit log (scrollable table)" }).getByRole("row");
    await expect(rows.filter({ hasText: "Sent a test alert" }).first()).toBeVisible();
    await expect(rows.filter({ hasText: "Connected an integration" })).toHaveCount(1);

    await page.getByLabel("Action").selectOption({ label: "Added an alert channel" });
    await expect(page).toHaveURL(/\/settings\/audit-log\?action=alert_channel\.created$/);
    // Header row + the three channels added.
    await expect(rows).toHaveCount(4);
    for (const text of await rows.allInnerTexts()) if (!/^Time/.test(text)) expect(text).toContain("Added an alert channel");

    // A reload (or a shared link) shows the same view.
    await page.reload();
    await expect(page.getByLabel("Action")).toHaveValue("alert_channel.created");
    await expect(rows).toHaveCount(4);

    // Only me, from tomorrow on: nothing.
    await page.getByLabel("Actor").selectOption({ label: `Alma Alerts (${ownerEmail})` });
    await expect(page).toHaveURL(/actor=/);
    await expect(rows).toHaveCount(4);
    const tomorrow = new Date(Date.now() + 86_400_000);
    const day = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, "0")}-${String(tomorrow.getDate()).padStart(2, "0")}`;
    await page.getByLabel("From").fill(day);
    await expect(page).toHaveURL(new RegExp(`from=${day}`));
    await expect(page.getByText("No events match these filters.")).toBeVisible();

    await expectNoSeriousViolations(page, "audit log, filtered to nothing");

    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect(page).toHaveURL(/\/settings\/audit-log$/);
    await expect(rows.filter({ hasText: "Connected an integration" })).toHaveCount(1);
    await expect(page.getByRole("button", { name: "Clear filters" })).toHaveCount(0);
  });

  test("a member sees no Alerts tab, the page explains, and the API refuses", async ({ browser }, testInfo) => {
    const page = owner;
    await page.goto("/settings/members");
    const email = `alerts-member-${Date.now()}@example.test`;
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Role", { exact: true }).selectOption({ label: "Member" });
    await page.getByRole("button", { name: "Invite", exact: true }).click();
    const link = (await page.getByLabel("Invitation link", { exact: true }).textContent())!;

    const context = await browser.newContext({ baseURL: testInfo.project.use.baseURL! });
    try {
      const member = await context.newPage();
      await asNewClient(member);
      await member.goto(link);
      await member.getByLabel("Name").fill("Milo Member");
      await member.getByLabel("Password").fill("correct horse battery");
      await member.getByRole("button", { name: "Create account and join" }).click();
      await expect(member.getByText(`${email} · Member`)).toBeVisible();

      await member.goto("/settings");
      await expect(member.getByRole("navigation", { name: "Settings" }).getByRole("link")).toHaveText(["Members"]);
      await expect(alertsTab(member)).toHaveCount(0);
      await member.goto("/settings/alerts");
      await expect(member.getByText("Only workspace owners and admins can manage alerts.")).toBeVisible();
      await expect(member.getByRole("heading", { name: "Add an alert channel" })).toHaveCount(0);
      const response = await member.request.post("/graphql", {
        data: { query: "{ alertChannels { id name } }" },
        headers: { origin: new URL(member.url()).origin },
      });
      const body = (await response.json()) as { data?: unknown; errors?: { message: string }[] };
      expect(body.errors?.length).toBeGreaterThan(0);
      expect(JSON.stringify(body)).not.toContain("On-call mail");
    } finally {
      await context.close();
    }
  });

  test("the alerts page passes axe and does not scroll sideways at 360 px", async () => {
    const page = owner;
    await page.goto("/settings/alerts");
    await expect(channel(page, "Team Slack")).toBeVisible();
    await channel(page, "Team Slack").getByRole("button", { name: /^Send test/ }).click();
    await expect(channel(page, "Team Slack").getByRole("status")).toContainText("delivered");
    await expectNoSeriousViolations(page, "settings: alerts, with channels, a test outcome and deliveries");
    await page.setViewportSize({ width: 360, height: 740 });
    for (const kind of ["E-mail", "Slack channel", "Slack incoming webhook"]) {
      await page.getByRole("radio", { name: new RegExp(`^${kind}`) }).check();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    }
    await page.goto("/settings/audit-log?action=alert_channel.tested");
    await expect(page.getByRole("row").filter({ hasText: "Sent a test alert" }).first()).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  });

  // Last in this file's workspace: it adds a second Slack connection and a channel, which the
  // audit-log test above does not count.
  test("with two Slack workspaces connected, each Slack channel names the one that posts", async () => {
    const page = owner;
    await page.setViewportSize({ width: 1280, height: 720 });
    // Team Slack was made with one Slack workspace connected: it named none, and posts through that one.
    await page.goto("/settings/alerts");
    const team = channel(page, "Team Slack");
    await expect(team.getByText("Posts to #alerts in Acme Sandbox")).toBeVisible();
    await expect(team.getByRole("combobox")).toHaveCount(0);
    await page.getByRole("radio", { name: /^Slack channel/ }).check();
    await expect(page.getByRole("combobox", { name: "Slack workspace" })).toHaveCount(0);

    // A second Slack workspace, through the consent page's workspace picker.
    await page.goto("/dashboard/integrations");
    const slack = page.getByRole("article", { name: "Slack", exact: true });
    await slack.getByRole("link", { name: "Add another", exact: true }).click();
    await page.getByLabel("Workspace").selectOption({ label: "Globex Sandbox" });
    await page.getByRole("button", { name: "Allow" }).click();
    await expect(slack.getByText("2 connections", { exact: true })).toBeVisible();

    // Now Team Slack is ambiguous: the row says so and offers the choice, saved at once.
    await page.goto("/settings/alerts");
    await expect(team.getByText("Posts to #alerts (no Slack workspace chosen)")).toBeVisible();
    await expect(team.getByText("Cannot send", { exact: true })).toBeVisible();
    await expect(team.getByText("Several Slack workspaces are connected: choose the one that posts.")).toBeVisible();
    const teamWorkspace = team.getByRole("combobox", { name: "Slack workspace of Team Slack" });
    await expect(teamWorkspace.getByRole("option")).toHaveText(["Choose a workspace", "Acme Sandbox", "Globex Sandbox"]);
    await teamWorkspace.selectOption({ label: "Acme Sandbox" });
    await expect(page.getByRole("status").filter({ hasText: '"Team Slack" now posts through Acme Sandbox.' })).toBeVisible();
    await expect(team.getByText("Posts to #alerts in Acme Sandbox")).toBeVisible();
    await expect(team.getByText("Cannot send", { exact: true })).toHaveCount(0);
    await expect(teamWorkspace).toHaveValue(/.+/);

    // A new Slack channel must name its workspace.
    await page.getByRole("radio", { name: /^Slack channel/ }).check();
    await expect(page.getByText("Posts through the Slack workspace you choose below.", { exact: false })).toBeVisible();
    const form = page.locator("form").filter({ has: page.getByRole("button", { name: "Add channel" }) });
    const workspace = form.getByRole("combobox", { name: "Slack workspace" });
    await expect(workspace).toHaveAttribute("required", "");
    await expect(workspace.getByRole("option")).toHaveText(["Choose a workspace", "Acme Sandbox", "Globex Sandbox"]);
    await page.getByLabel("Name", { exact: true }).fill("Globex Slack");
    await form.getByRole("textbox", { name: "Slack channel" }).fill("alerts");
    await page.getByRole("button", { name: "Add channel" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Choose the Slack workspace that posts." })).toBeVisible();
    await workspace.selectOption({ label: "Globex Sandbox" });
    await page.getByRole("button", { name: "Add channel" }).click();
    const globex = channel(page, "Globex Slack");
    await expect(globex.getByText("Posts to #alerts in Globex Sandbox")).toBeVisible();
    await expect(globex.getByRole("combobox", { name: "Slack workspace of Globex Slack" }).locator("option:checked")).toHaveText("Globex Sandbox");
    await globex.getByRole("button", { name: /^Send test/ }).click();
    await expect(globex.getByRole("status")).toContainText(/Test alert delivered/);
    await expectNoSeriousViolations(page, "settings: alerts with two Slack workspaces");
  });
});

test.describe("on a server with SMTP_URL", () => {
  let server: ChildProcess | null = null;
  let serverLog = "";
  let smtp: SMTPServer;
  const received: { to: string[]; mail: ParsedMail }[] = [];

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, session, callback) {
        simpleParser(stream).then(
          (mail) => {
            received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    smtp.listen(0, "127.0.0.1");
    await once(smtp.server, "listening");
    const mailPort = (smtp.server.address() as AddressInfo).port;

    const { DATABASE_URL: _db, REDIS_URL: _redis, PROVIDERS_FILE: _providers, ...env } = process.env;
    server = spawn(process.execPath, [join(root, "api/dist/main.js")], {
      cwd: root,
      env: {
        ...env,
        PORT: String(smtpPort),
        PUBLIC_URL: smtpOrigin,
        DATA_DIR: mkdtempSync(join(tmpdir(), "sb-e2e-alerts-")),
        LOG_LEVEL: "warn",
        NODE_ENV: "development",
        SMTP_URL: `smtp://127.0.0.1:${mailPort}`,
        SMTP_FROM: "Switchboard Alerts <alerts@example.test>",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    server.stderr?.on("data", (chunk: Buffer) => (serverLog = (serverLog + chunk.toString()).slice(-4000)));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`server exited ${server.exitCode}: ${serverLog}`);
      if (await fetch(`${smtpOrigin}/readyz`).then((r) => r.ok, () => false)) break;
      if (Date.now() > deadline) throw new Error(`server not ready: ${serverLog}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus && serverLog) await testInfo.attach("server log", { body: serverLog, contentType: "text/plain" });
  });

  test.afterAll(async () => {
    const child = server;
    server = null;
    if (child && child.exitCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  test("an owner adds an e-mail channel and its test e-mail arrives", async ({ page }) => {
    await signUp(page, { name: "Sam Smtp", tag: "alerts-smtp", origin: smtpOrigin });
    await page.goto(`${smtpOrigin}/settings/alerts`);
    await expect(page.getByText("E-mails are sent from Switchboard Alerts <alerts@example.test>.")).toBeVisible();
    await expect(page.getByText(/SMTP_URL is not set/)).toHaveCount(0);
    const to = `oncall-${Date.now()}@example.test`;
    await addChannel(page, { kind: "E-mail", name: "Pager mail", fill: () => page.getByLabel("Recipients").fill(to) });
    const mail = channel(page, "Pager mail");
    await expect(mail.getByText("Cannot send", { exact: true })).toHaveCount(0);

    await mail.getByRole("button", { name: /^Send test/ }).click();
    await expect(mail.getByRole("status")).toContainText(/^Delivered Test alert delivered( \(SMTP \d+\))? in \d+ ms\.$/);
    await expect(mail.getByRole("row").filter({ hasText: "Test" })).toContainText("Delivered");

    await expect.poll(() => received.filter((r) => r.to.includes(to)).length).toBe(1);
    const { mail: message } = received.find((r) => r.to.includes(to))!;
    expect(message.from?.text).toContain("alerts@example.test");
    expect(message.subject).toMatch(/test alert/i);
    expect(message.text).toContain('for the channel "Pager mail"');
  });
});
