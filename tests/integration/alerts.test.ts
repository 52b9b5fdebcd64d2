import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SMTPServer } from "smtp-server";
import { simpleParser, type ParsedMail } from "mailparser";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { consent } from "../support/sandbox-consent.ts";
import { createWorkspaceApiKey } from "../../api/src/auth/api-keys.ts";
import { sendMailDetailed } from "../../api/src/auth/mailer.ts";
import { openTokens } from "../../api/src/domain/integrations/tokens.ts";
import { ALERT_GROUP_WINDOW_MS } from "../../api/src/domain/alerts/index.ts";
import { createWebhookEndpoint } from "../../api/src/domain/webhooks/index.ts";
import { sandboxSlackPosts, sandboxSlackWebhookUrl } from "../../api/src/sandbox/slack.ts";

// Alerts end to end: real checks against the sandbox emulators (faults set through the sandbox
// controls, sweeps through the scheduler), the alert outbox planned and sent by the dispatcher,
// e-mail received by a real SMTP server started here, Slack messages received by the Slack
// emulator's chat.postMessage and incoming-webhook endpoints.

const enabled = await requirePostgres();
const PROVIDERS = ["slack", "hubspot", "google", "salesforce"] as const;

const CHANNEL_FIELDS = `id kind name emails slackChannel webhookUrlMasked events providers enabled deliveries { id event subject status attempts responseStatus lastError durationMs deliveredAt incidentIds integrationIds }`;

describe.skipIf(!enabled)("alerts", () => {
  let t: TestApp;
  let smtp: SMTPServer;
  let alice: Awaited<ReturnType<TestApp["signUp"]>>;
  const ids: Record<string, string> = {};
  const secrets = testSecrets();
  const received: { to: string[]; mail: ParsedMail }[] = [];
  /** Recipients the SMTP server refuses with 450 (a mailbox busy: the sender should retry). */
  const refused = new Set<string>();

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (refused.has(address.address)) return callback(Object.assign(new Error("Mailbox busy, try again later"), { responseCode: 450 }));
        callback();
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const { port } = smtp.server.address() as AddressInfo;
    t = await startTestApp({
      database: "postgres",
      env: {
        ...secrets,
        SMTP_URL: `smtp://127.0.0.1:${port}`,
        SMTP_FROM: "Switchboard Alerts <alerts@example.test>",
        // No fault here hangs, so the check timeout stays the default (10 s): on a loaded machine an
        // answer that takes a few hundred ms is still an answer (a 600 ms timeout made them timeouts).
        HEALTH_CHECK_INTERVAL_SECONDS: "300",
        WEBHOOK_ALLOW_PRIVATE_URLS: "on",
      },
    });
    alice = await t.signUp({ name: "Alice" });
    for (const p of PROVIDERS) ids[p] = await connectSandbox(t, alice, p);
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });
  beforeEach(() => {
    for (const p of PROVIDERS) t.app.sandbox!.setFault(p, { mode: "ok" });
  });

  const prisma = () => t.app.db.prisma;
  const mailsTo = (to: string) => received.filter((m) => m.to.includes(to));
  const posts = (via: "chat.postMessage" | "incoming-webhook") => sandboxSlackPosts(t.app.env.PUBLIC_URL).filter((p) => p.via === via);

  /** Makes exactly these connections due and runs one scheduler sweep over them. */
  async function sweep(integrationIds: string[]) {
    await prisma().integration.updateMany({ where: { id: { notIn: integrationIds }, status: "CONNECTED" }, data: { nextHealthCheckAt: new Date(Date.now() + 3_600_000) } });
    await prisma().integration.updateMany({ where: { id: { in: integrationIds } }, data: { nextHealthCheckAt: new Date(Date.now() - 1000) } });
    const summary = await t.app.scheduler.sweep();
    for (const id of integrationIds) expect(summary.results.some((r) => r.integrationId === id)).toBe(true);
    return summary;
  }
  /** One dispatcher pass as of after the grouping window (the timer does the same 10 s later). */
  const dispatch = (extraMs = 0) => t.app.alerts.runOnce(new Date(Date.now() + ALERT_GROUP_WINDOW_MS + 1000 + extraMs));

  async function createChannel(variables: Record<string, unknown>, cookie = alice.cookie) {
    const res = await t.gql(
      `mutation($kind: AlertChannelKind!, $name: String, $emails: [String!], $slackChannel: String, $webhookUrl: String, $events: [AlertEvent!], $providers: [String!]) {
        createAlertChannel(kind: $kind, name: $name, emails: $emails, slackChannel: $slackChannel, webhookUrl: $webhookUrl, events: $events, providers: $providers) { ${CHANNEL_FIELDS} } }`,
      { cookie, variables },
    );
    expect(res.body.errors).toBeUndefined();
    return res.body.data.createAlertChannel as { id: string; webhookUrlMasked: string | null; events: string[] };
  }
  async function channel(id: string) {
    const res = await t.gql(`{ alertChannels { ${CHANNEL_FIELDS} } }`, { cookie: alice.cookie });
    expect(res.body.errors).toBeUndefined();
    return (res.body.data.alertChannels as { id: string; deliveries: { event: string; status: string; attempts: number; lastError: string | null; subject: string; responseStatus: number | null }[] }[]).find((c) => c.id === id)!;
  }

  it("e-mail: exactly one alert when the incident opens and one when it closes, across 20 failing checks", async () => {
    const to = "oncall-google@example.test";
    const created = await createChannel({ kind: "EMAIL", name: "On call", emails: [to], events: ["DOWN", "RECOVERED"], providers: ["google"] });
    expect(created.events).toEqual(["DOWN", "RECOVERED"]);

    t.app.sandbox!.setFault("google", { mode: "server_error" });
    for (let i = 0; i < 20; i++) {
      await sweep([ids.google!]);
      await dispatch();
    }
    const [incident] = await prisma().incident.findMany({ where: { integrationId: ids.google, endedAt: null } });
    expect(incident).toMatchObject({ checksFailed: 20, errorCode: "provider_error" });
    expect(mailsTo(to)).toHaveLength(1);
    const down = mailsTo(to)[0]!.mail;
    expect(down.from?.text).toContain("alerts@example.test");
    expect(down.subject).toMatch(/^\[Switchboard\] Down: Google \(.+\) \(provider_error\)$/);
    expect(down.text).toContain("Error: provider_error");
    expect(down.text).toContain(`Started: ${incident!.startedAt.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC")}`);
    expect(down.text).toContain(`${t.app.env.PUBLIC_URL}/dashboard/integrations/${ids.google}`);
    const account = (await prisma().integration.findUniqueOrThrow({ where: { id: ids.google } })).account as { name?: string; email?: string };
    expect(down.text).toContain(`Account: ${account.name ?? account.email}`);
    // Never a token.
    const row = await prisma().integration.findUniqueOrThrow({ where: { id: ids.google } });
    const tokens = openTokens(t.app.vault, row)!;
    expect(down.text).not.toContain(tokens.accessToken);

    t.app.sandbox!.setFault("google", { mode: "ok" });
    for (let i = 0; i < 3; i++) {
      await sweep([ids.google!]);
      await dispatch();
    }
    expect(mailsTo(to)).toHaveLength(2);
    const up = mailsTo(to)[1]!.mail;
    const closed = await prisma().incident.findUniqueOrThrow({ where: { id: incident!.id } });
    expect(closed.endedAt).not.toBeNull();
    expect(up.subject).toMatch(/^\[Switchboard\] Recovered: Google \(.+\) after \d+s$/);
    expect(up.text).toMatch(/Lasted: (\d+m )?\d+s/);
    expect(up.text).toContain(`${t.app.env.PUBLIC_URL}/dashboard/integrations/${ids.google}`);
    expect(closed.alertsSent).toBe(2);

    const logged = await channel(created.id);
    expect(logged.deliveries.map((d) => [d.event, d.status, d.attempts])).toEqual([
      ["RECOVERED", "delivered", 1],
      ["DOWN", "delivered", 1],
    ]);
    // A restart (another dispatcher on the same database) sends nothing again.
    await dispatch(60_000);
    expect(mailsTo(to)).toHaveLength(2);
  });

  it("two replicas planning and sending at the same time send each alert once", async () => {
    const to = "replicas@example.test";
    await createChannel({ kind: "EMAIL", name: "Replicas", emails: [to], events: ["DOWN", "RECOVERED"], providers: ["google"] });
    const { port } = smtp.server.address() as AddressInfo;
    const b = await startTestApp({ database: "postgres", databaseUrl: t.db!.url, env: { ...secrets, PUBLIC_URL: t.origin, SMTP_URL: `smtp://127.0.0.1:${port}` } });
    try {
      t.app.sandbox!.setFault("google", { mode: "server_error" });
      await sweep([ids.google!]);
      const at = new Date(Date.now() + ALERT_GROUP_WINDOW_MS + 1000);
      await Promise.all([t.app.alerts.runOnce(at), b.app.alerts.runOnce(at), t.app.alerts.runOnce(at), b.app.alerts.runOnce(at)]);
      t.app.sandbox!.setFault("google", { mode: "ok" });
      await sweep([ids.google!]);
      const later = new Date(Date.now() + ALERT_GROUP_WINDOW_MS + 1000);
      await Promise.all([t.app.alerts.runOnce(later), b.app.alerts.runOnce(later)]);
      await Promise.all([t.app.alerts.runOnce(later), b.app.alerts.runOnce(later)]);
      expect(mailsTo(to).map((m) => m.mail.subject.split(":")[0])).toEqual(["[Switchboard] Down", "[Switchboard] Recovered"]);
    } finally {
      await b.close();
    }
  });

  it("Slack: posts with chat.postMessage to the chosen channel with the Slack connection's token", async () => {
    const created = await createChannel({ kind: "SLACK", name: "Slack #alerts", slackChannel: "#alerts", events: ["DOWN"], providers: ["hubspot"] });
    const before = posts("chat.postMessage").length;
    t.app.sandbox!.setFault("hubspot", { mode: "server_error" });
    await sweep([ids.hubspot!]);
    await sweep([ids.hubspot!]);
    await dispatch();
    const sent = posts("chat.postMessage").slice(before);
    expect(sent).toHaveLength(1);
    const slackRow = await prisma().integration.findUniqueOrThrow({ where: { id: ids.slack } });
    expect(sent[0]).toMatchObject({ channel: "#alerts", channelId: "C0ALERTS", token: openTokens(t.app.vault, slackRow)!.accessToken });
    expect(sent[0]!.text).toContain("Down: HubSpot");
    expect(sent[0]!.text).toContain(`/dashboard/integrations/${ids.hubspot}`);
    expect((await channel(created.id)).deliveries[0]).toMatchObject({ event: "DOWN", status: "delivered", responseStatus: 200 });
    t.app.sandbox!.setFault("hubspot", { mode: "ok" });
    await sweep([ids.hubspot!]);
    await dispatch();
    // RECOVERED is not among this channel's events.
    expect(posts("chat.postMessage").slice(before)).toHaveLength(1);
  });

  it("the Slack emulator answers chat.postMessage and incoming webhooks the documented way", async () => {
    const api = `${t.url}/sandbox/slack/api/chat.postMessage`;
    const token = openTokens(t.app.vault, await prisma().integration.findUniqueOrThrow({ where: { id: ids.slack } }))!.accessToken;
    const post = async (body: Record<string, unknown>, bearer?: string) => {
      const res = await fetch(api, { method: "POST", headers: { "content-type": "application/json; charset=utf-8", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    expect(await post({ channel: "#alerts", text: "x" })).toEqual({ ok: false, error: "not_authed" });
    expect(await post({ channel: "#alerts", text: "x" }, "xoxb-not-a-token")).toEqual({ ok: false, error: "invalid_auth" });
    expect(await post({ channel: "#random", text: "x" }, token)).toEqual({ ok: false, error: "not_in_channel" });
    expect(await post({ channel: "#nope", text: "x" }, token)).toEqual({ ok: false, error: "channel_not_found" });
    expect(await post({ channel: "#alerts" }, token)).toEqual({ ok: false, error: "no_text" });
    const ok = await post({ channel: "C0ALERTS", blocks: [{ type: "section", text: { type: "mrkdwn", text: "hi" } }] }, token);
    expect(ok).toMatchObject({ ok: true, channel: "C0ALERTS", ts: expect.stringMatching(/^\d+\.\d{6}$/), message: { type: "message" } });
    expect(posts("chat.postMessage").at(-1)).toMatchObject({ channelId: "C0ALERTS", token, blocks: [{ type: "section" }] });

    const hook = async (path: string, body: unknown, type = "application/json") => {
      const res = await fetch(`${t.url}/sandbox/slack${path}`, { method: "POST", headers: { "content-type": type }, body: JSON.stringify(body) });
      return [res.status, await res.text()];
    };
    expect(await hook("/services/T0OTHER/B1/abc", { text: "x" })).toEqual([404, "no_service"]);
    expect(await hook("/services/T0SANDBOX/B1/abc", {})).toEqual([400, "no_text"]);
    expect(await hook("/services/T0SANDBOX/B1/abc", { text: "hello" })).toEqual([200, "ok"]);
  });

  it("Slack incoming webhook: the URL is stored sealed and shown masked; the alert reaches the hook", async () => {
    const url = sandboxSlackWebhookUrl(t.app.env.PUBLIC_URL, "hookSecretValue123456");
    const created = await createChannel({ kind: "SLACK_WEBHOOK", name: "Hook", webhookUrl: url, events: ["DOWN", "RECOVERED"], providers: ["salesforce"] });
    expect(created.webhookUrlMasked).not.toContain("hookSecretValue");
    expect(created.webhookUrlMasked).toMatch(/\/services\/T0SANDBOX\/B0SANDBOX\/•+3456$/);
    const stored = await prisma().alertChannel.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.webhookUrlEnc).not.toContain("hookSecretValue");
    const before = posts("incoming-webhook").length;
    t.app.sandbox!.setFault("salesforce", { mode: "server_error" });
    await sweep([ids.salesforce!]);
    await dispatch();
    t.app.sandbox!.setFault("salesforce", { mode: "ok" });
    await sweep([ids.salesforce!]);
    await dispatch();
    const sent = posts("incoming-webhook").slice(before);
    expect(sent.map((p) => p.text?.split("\n")[0])).toEqual([expect.stringContaining("Down: Salesforce"), expect.stringContaining("Recovered: Salesforce")]);
    expect(sent[0]!.channel).toBe(new URL(url).pathname);
    // Outside sandbox mode only hooks.slack.com is accepted; a private address never.
    for (const bad of ["http://hooks.slack.com/services/T1/B1/x", "https://example.com/services/T1/B1/x", "https://hooks.slack.com.evil.test/services/T1/B1/x"]) {
      const res = await t.gql(`mutation($u: String!) { createAlertChannel(kind: SLACK_WEBHOOK, name: "x", webhookUrl: $u) { id } }`, { cookie: alice.cookie, variables: { u: bad } });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "webhookUrl" });
    }
    expect(t.responses.join("\n")).not.toContain("hookSecretValue");
    // Only the emulator's own access-log line names the path it was called at (it is this server);
    // nothing the alert code logs holds the URL.
    expect(t.logs().split("\n").filter((l) => l.includes("hookSecretValue") && !l.includes('"msg":"request"'))).toEqual([]);
  });

  it("sendTestAlert works for each kind", async () => {
    const email = await createChannel({ kind: "EMAIL", name: "Test mail", emails: ["test-kind@example.test"] });
    const slack = await createChannel({ kind: "SLACK", name: "Test slack", slackChannel: "C0GENERAL" });
    const hook = await createChannel({ kind: "SLACK_WEBHOOK", name: "Test hook", webhookUrl: sandboxSlackWebhookUrl(t.app.env.PUBLIC_URL, "testkind") });
    expect(email.events).toEqual(["DOWN", "RECOVERED", "REAUTH_REQUIRED", "MISSING_SCOPES"]);
    const beforeChat = posts("chat.postMessage").length;
    const beforeHook = posts("incoming-webhook").length;
    for (const c of [email, slack, hook]) {
      const res = await t.gql(`mutation($id: ID!) { sendTestAlert(id: $id) { event status attempts lastError subject } }`, { cookie: alice.cookie, variables: { id: c.id } });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.sendTestAlert).toMatchObject({ event: "TEST", status: "delivered", attempts: 1, lastError: null });
    }
    expect(mailsTo("test-kind@example.test")[0]!.mail.subject).toBe('[Switchboard] Test alert for "Test mail"');
    expect(posts("chat.postMessage").slice(beforeChat)).toEqual([expect.objectContaining({ channelId: "C0GENERAL", text: expect.stringContaining("Test alert") })]);
    expect(posts("incoming-webhook").slice(beforeHook)).toHaveLength(1);
    const audit = await prisma().auditEvent.findMany({ where: { workspaceId: alice.workspaceId, action: { startsWith: "alert_channel." } } });
    expect(audit.filter((a) => a.action === "alert_channel.tested").map((a) => a.targetId).sort()).toEqual([email.id, slack.id, hook.id].sort());
    expect(audit.filter((a) => a.action === "alert_channel.created").length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(audit)).not.toContain("testkind");
  });

  it("a failing channel is retried with backoff and every attempt is logged", async () => {
    const to = "busy@example.test";
    refused.add(to);
    const created = await createChannel({ kind: "EMAIL", name: "Busy", emails: [to] });
    const res = await t.gql(`mutation($id: ID!) { sendTestAlert(id: $id) { id status attempts lastError responseStatus nextAttemptAt } }`, { cookie: alice.cookie, variables: { id: created.id } });
    const first = res.body.data.sendTestAlert;
    expect(first).toMatchObject({ status: "pending", attempts: 1, responseStatus: 450 });
    expect(first.lastError).toContain("450");
    expect(new Date(first.nextAttemptAt).getTime()).toBeGreaterThan(Date.now());
    // Not yet due: nothing is attempted.
    await t.app.alerts.runOnce(new Date());
    expect((await channel(created.id)).deliveries[0]!.attempts).toBe(1);
    // Due (past the first backoff step): attempted again, still refused.
    await t.app.alerts.runOnce(new Date(Date.now() + 10_000));
    expect((await channel(created.id)).deliveries[0]).toMatchObject({ status: "pending", attempts: 2 });
    refused.delete(to);
    await t.app.alerts.runOnce(new Date(Date.now() + 60_000));
    expect((await channel(created.id)).deliveries[0]).toMatchObject({ status: "delivered", attempts: 3, lastError: null });
    expect(mailsTo(to)).toHaveLength(1);
    expect(t.logs()).toContain("alert delivery failed");

    // Slack errors say what to do; those the same message would meet again fail at once
    // instead of retrying on the backoff.
    const notMember = await createChannel({ kind: "SLACK", name: "Random", slackChannel: "#random" });
    const unknown = await createChannel({ kind: "SLACK", name: "Nowhere", slackChannel: "#nowhere" });
    for (const [c, words] of [
      [notMember, "not_in_channel"],
      [unknown, "channel_not_found"],
    ] as const) {
      const r = await t.gql(`mutation($id: ID!) { sendTestAlert(id: $id) { status lastError } }`, { cookie: alice.cookie, variables: { id: c.id } });
      expect(r.body.data.sendTestAlert.status).toBe("failed");
      expect(r.body.data.sendTestAlert.lastError).toContain(words);
    }
    // Without SMTP_URL an e-mail cannot go, and the reason says so.
    expect(await sendMailDetailed({ SMTP_URL: undefined, SMTP_FROM: undefined, PUBLIC_URL: "http://x.test" }, { to: ["a@x.test"], subject: "s", text: "t" })).toMatchObject({ ok: false, error: expect.stringContaining("SMTP_URL") });
  });

  it("with two Slack workspaces connected, a Slack channel posts through the one it names", async () => {
    const dora = await t.signUp({ name: "Dora" });
    const acme = await connectSandbox(t, dora, "slack");
    const globex = await connectSandbox(t, dora, "slack", { account: "Globex Sandbox" });
    expect(acme).not.toBe(globex);
    const setup = await t.gql(`{ alertSetup { slackConnected slackConnections { id label canPost } } }`, { cookie: dora.cookie });
    expect(setup.body.data.alertSetup.slackConnections).toEqual([
      { id: acme, label: "Acme Sandbox", canPost: true },
      { id: globex, label: "Globex Sandbox", canPost: true },
    ]);
    const send = async (id: string) =>
      (await t.gql(`mutation($id: ID!) { sendTestAlert(id: $id) { status lastError } }`, { cookie: dora.cookie, variables: { id } })).body.data.sendTestAlert as { status: string; lastError: string | null };
    // Unnamed: which workspace would post is not guessed.
    const unnamed = await createChannel({ kind: "SLACK", name: "Which one", slackChannel: "#alerts" }, dora.cookie);
    expect((await send(unnamed.id)).lastError).toBe("several Slack workspaces are connected here: choose the one that posts in this channel's settings");
    // Named: posts with that connection's token.
    const named = await t.gql(`mutation($id: ID!, $s: ID!) { updateAlertChannel(id: $id, slackIntegrationId: $s) { slackIntegrationId } }`, { cookie: dora.cookie, variables: { id: unnamed.id, s: globex } });
    expect(named.body.data.updateAlertChannel.slackIntegrationId).toBe(globex);
    const before = posts("chat.postMessage").length;
    expect(await send(unnamed.id)).toMatchObject({ status: "delivered", lastError: null });
    const [post] = posts("chat.postMessage").slice(before);
    const { getAccessToken } = await import("@switchboard/api/domain/integrations/refresh");
    const token = async (integrationId: string) => (await getAccessToken({ services: t.app.services, provider: t.app.services.catalog.find((p) => p.id === "slack")!, integrationId })).accessToken;
    expect(post!.token).toBe(await token(globex));
    expect(post!.token).not.toBe(await token(acme));
    // Another workspace's Slack connection, or another provider's, cannot be named.
    for (const s of [ids.slack!, ids.google!]) {
      const r = await t.gql(`mutation($id: ID!, $s: ID!) { updateAlertChannel(id: $id, slackIntegrationId: $s) { id } }`, { cookie: dora.cookie, variables: { id: unnamed.id, s } });
      expect(r.body.errors?.[0]?.message).toBe("No Slack connection with that id in this workspace.");
    }
  });

  it("Slack channels need a Slack connection in the workspace", async () => {
    const bob = await t.signUp({ name: "Bob" });
    const c = await createChannel({ kind: "SLACK", name: "No slack", slackChannel: "#alerts" }, bob.cookie);
    const r = await t.gql(`mutation($id: ID!) { sendTestAlert(id: $id) { status lastError } }`, { cookie: bob.cookie, variables: { id: c.id } });
    expect(r.body.data.sendTestAlert.lastError).toBe("Slack is not connected in this workspace: connect Slack on the dashboard first");
    const setup = await t.gql(`{ alertSetup { emailConfigured emailFrom slackConnected slackCanPost sandboxWebhookUrl } }`, { cookie: bob.cookie });
    expect(setup.body.data.alertSetup).toMatchObject({ emailConfigured: true, slackConnected: false, slackCanPost: false });
    const mine = await t.gql(`{ alertSetup { slackConnected slackCanPost } }`, { cookie: alice.cookie });
    expect(mine.body.data.alertSetup).toEqual({ slackConnected: true, slackCanPost: true });
    // Workspaces do not see each other's channels.
    const bobs = await t.gql(`{ alertChannels { id } }`, { cookie: bob.cookie });
    expect(bobs.body.data.alertChannels.map((x: { id: string }) => x.id)).toEqual([c.id]);
    const aliceId = (await prisma().alertChannel.findFirstOrThrow({ where: { workspaceId: alice.workspaceId } })).id;
    for (const op of [`mutation { updateAlertChannel(id: "${aliceId}", enabled: false) { id } }`, `mutation { deleteAlertChannel(id: "${aliceId}") }`, `mutation { sendTestAlert(id: "${aliceId}") { id } }`]) {
      const res = await t.gql(op, { cookie: bob.cookie });
      expect(res.body.errors?.[0]?.extensions?.code, op).toBe("NOT_FOUND");
    }
  });

  it("members and viewers can neither read nor manage channels", async () => {
    const target = (await prisma().alertChannel.findFirstOrThrow({ where: { workspaceId: alice.workspaceId } })).id;
    for (const role of ["member", "viewer"] as const) {
      const key = await createWorkspaceApiKey({ auth: t.app.auth, prisma: prisma(), userId: alice.userId, workspaceId: alice.workspaceId, name: role, role });
      const ops = [
        "{ alertChannels { id } }",
        "{ alertSetup { emailConfigured } }",
        `mutation { createAlertChannel(kind: EMAIL, name: "x", emails: ["x@example.test"]) { id } }`,
        `mutation { updateAlertChannel(id: "${target}", enabled: false) { id } }`,
        `mutation { deleteAlertChannel(id: "${target}") }`,
        `mutation { sendTestAlert(id: "${target}") { id } }`,
      ];
      for (const op of ops) {
        const res = await t.gql(op, { apiKey: key.key });
        expect(res.body.errors?.[0]?.extensions?.code, `${role}: ${op}`).toBe("FORBIDDEN");
        expect(res.body.data).toBeNull();
      }
    }
    const admin = await createWorkspaceApiKey({ auth: t.app.auth, prisma: prisma(), userId: alice.userId, workspaceId: alice.workspaceId, name: "admin", role: "admin" });
    const updated = await t.gql(`mutation { updateAlertChannel(id: "${target}", name: "Renamed by admin") { name enabled } }`, { apiKey: admin.key });
    expect(updated.body.data.updateAlertChannel).toEqual({ name: "Renamed by admin", enabled: true });
    expect(await prisma().alertChannel.count({ where: { id: target, name: "Renamed by admin" } })).toBe(1);
  });

  it("a provider-wide outage is one alert naming every connection, and one webhook event", async () => {
    const to = "everything@example.test";
    await createChannel({ kind: "EMAIL", name: "Everything", emails: [to], events: ["DOWN", "RECOVERED"] });
    const { endpoint } = await createWebhookEndpoint({
      prisma: prisma(),
      vault: t.app.vault,
      env: t.app.env,
      workspaceId: alice.workspaceId,
      actor: { userId: alice.userId },
      url: "http://127.0.0.1:9/hook",
      events: ["incident.opened", "incident.closed"],
    });
    const endpointId = endpoint.id;

    const all = PROVIDERS.map((p) => ids[p]!);
    for (const p of PROVIDERS) t.app.sandbox!.setFault(p, { mode: "server_error" });
    await sweep(all);
    await sweep(all);
    await dispatch();
    expect(mailsTo(to)).toHaveLength(1);
    const down = mailsTo(to)[0]!.mail;
    expect(down.subject).toBe("[Switchboard] Down: 4 connections (Google, HubSpot, Salesforce, Slack)");
    for (const name of ["Slack", "HubSpot", "Google", "Salesforce"]) expect(down.text).toContain(`Down: ${name}`);
    for (const id of all) expect(down.text).toContain(`/dashboard/integrations/${id}`);
    const opened = await prisma().webhookDelivery.findMany({ where: { endpointId, eventType: "incident.opened" } });
    expect(opened).toHaveLength(1);
    expect((opened[0]!.payload as { data: { count: number; integrationIds: string[] } }).data).toMatchObject({ count: 4 });

    for (const p of PROVIDERS) t.app.sandbox!.setFault(p, { mode: "ok" });
    await sweep(all);
    await dispatch();
    expect(mailsTo(to)).toHaveLength(2);
    expect(mailsTo(to)[1]!.mail.subject).toBe("[Switchboard] Recovered: 4 connections (Google, HubSpot, Salesforce, Slack)");
    expect(await prisma().webhookDelivery.count({ where: { endpointId, eventType: "incident.closed" } })).toBe(1);
    const incidents = await prisma().incident.findMany({ where: { integrationId: { in: all }, openAlertedAt: { not: null } }, orderBy: { startedAt: "desc" }, take: 4 });
    for (const i of incidents) expect(i.alertsSent).toBeGreaterThanOrEqual(2);
  });

  it("reconnect required is its own alert, once, and DOWN-only channels do not get it", async () => {
    const to = "reauth@example.test";
    const downOnly = "downonly@example.test";
    await createChannel({ kind: "EMAIL", name: "Reauth", emails: [to], events: ["REAUTH_REQUIRED"], providers: ["google"] });
    await createChannel({ kind: "EMAIL", name: "Down only", emails: [downOnly], events: ["DOWN"], providers: ["google"] });
    t.app.sandbox!.setFault("google", { mode: "unauthorized" });
    await sweep([ids.google!]);
    await dispatch();
    await dispatch(5_000);
    expect(mailsTo(to)).toHaveLength(1);
    expect(mailsTo(to)[0]!.mail.subject).toMatch(/^\[Switchboard\] Reconnect required: Google/);
    expect(mailsTo(to)[0]!.mail.text).toContain("reconnect");
    expect(mailsTo(downOnly)).toHaveLength(0);
  });

  it("missing scopes is alerted once; Slack without chat:write cannot post; Test connection (check now) alerts too", async () => {
    const carol = await t.signUp({ name: "Carol" });
    const to = "carol@example.test";
    const created = await createChannel({ kind: "EMAIL", name: "Carol", emails: [to], events: ["MISSING_SCOPES", "DOWN", "RECOVERED"] }, carol.cookie);
    const slackChannel = await createChannel({ kind: "SLACK", name: "Carol slack", slackChannel: "#general" }, carol.cookie);
    // Slack connected with chat:write unticked on the consent page.
    const started = await t.gql(`mutation { connectIntegration(provider: "slack") { authorizationUrl } }`, { cookie: carol.cookie });
    const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
    const back = await consent(started.body.data.connectIntegration.authorizationUrl, { origin: t.origin, untick: ["chat:write"] });
    const done = await t.gql(`mutation($q: String!) { completeIntegrationConnection(provider: "slack", callbackQuery: $q) { errorCode integrationId } }`, { cookie: `${carol.cookie}; ${binding}`, variables: { q: back.search } });
    const slackId = done.body.data.completeIntegrationConnection.integrationId as string;
    const carolSlack = await prisma().integration.findUniqueOrThrow({ where: { id: slackId } });
    expect(carolSlack.healthErrorCode).toBe("insufficient_scope");
    const direct = await fetch(`${t.url}/sandbox/slack/api/chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${openTokens(t.app.vault, carolSlack)!.accessToken}` },
      body: JSON.stringify({ channel: "#general", text: "x" }),
    });
    expect(await direct.json()).toMatchObject({ ok: false, error: "missing_scope", needed: "chat:write" });
    await dispatch();
    await dispatch(5_000);
    expect(mailsTo(to)).toHaveLength(1);
    expect(mailsTo(to)[0]!.mail.subject).toMatch(/^\[Switchboard\] Missing scopes: Slack/);
    expect(mailsTo(to)[0]!.mail.text).toContain("chat:write");
    const r = await t.gql(`mutation($id: ID!) { sendTestAlert(id: $id) { status lastError } }`, { cookie: carol.cookie, variables: { id: slackChannel.id } });
    expect(r.body.data.sendTestAlert.lastError).toBe("the Slack connection lacks the chat:write scope: reconnect Slack and grant it");
    expect((await t.gql(`{ alertSetup { slackConnected slackCanPost } }`, { cookie: carol.cookie })).body.data.alertSetup).toEqual({ slackConnected: true, slackCanPost: false });

    // Test connection is a check like a scheduled one: its failure opens an incident, alerted once.
    const googleId = await connectSandbox(t, carol, "google");
    t.app.sandbox!.setFault("google", { mode: "server_error" });
    const test = (id: string) => t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status errorCode } }`, { cookie: carol.cookie, variables: { id } });
    for (let i = 0; i < 3; i++) {
      expect((await test(googleId)).body.errors).toBeUndefined();
      await dispatch();
    }
    t.app.sandbox!.setFault("google", { mode: "ok" });
    await test(googleId);
    await dispatch();
    expect(mailsTo(to).map((m) => m.mail.subject.replace(/ \(.*$/, ""))).toEqual(["[Switchboard] Missing scopes: Slack", "[Switchboard] Down: Google", "[Switchboard] Recovered: Google"]);
    expect((await channel(created.id)) ?? null).toBeNull(); // Carol's channel is not Alice's
  });
});

describe("alerts on the embedded database (PGlite)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: "pglite" });
  });
  afterAll(() => t?.close());

  it("plans in one transaction and delivers to a Slack incoming webhook", async () => {
    const user = await t.signUp({ name: "Pat" });
    const id = await connectSandbox(t, user, "google");
    const url = sandboxSlackWebhookUrl(t.app.env.PUBLIC_URL, "pglite");
    const res = await t.gql(`mutation($u: String!) { createAlertChannel(kind: SLACK_WEBHOOK, name: "Hook", webhookUrl: $u) { id } }`, { cookie: user.cookie, variables: { u: url } });
    expect(res.body.errors).toBeUndefined();
    t.app.sandbox!.setFault("google", { mode: "server_error" });
    await t.app.db.prisma.integration.update({ where: { id }, data: { nextHealthCheckAt: new Date(Date.now() - 1000) } });
    await t.app.scheduler.sweep();
    // Within the grouping window nothing is sent yet; after it, one alert.
    await t.app.alerts.runOnce(new Date());
    const hookPosts = () => sandboxSlackPosts(t.app.env.PUBLIC_URL).filter((p) => p.channel.endsWith("/pglite"));
    expect(hookPosts()).toHaveLength(0);
    await t.app.alerts.runOnce(new Date(Date.now() + ALERT_GROUP_WINDOW_MS + 1000));
    expect(hookPosts()).toHaveLength(1);
    expect(hookPosts()[0]!.text).toContain("Down: Google");
    expect(t.logs()).not.toContain("could not plan alerts");
  });
});
