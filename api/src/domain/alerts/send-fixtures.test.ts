import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../../db/index.ts";
import { migrate } from "../../db/migrate.ts";
import { DEFAULT_MIGRATIONS_DIR } from "../../db/migrations-dir.ts";
import { parseEnv } from "../../env.ts";
import { createLogger } from "../../logger.ts";
import { BUILT_IN_PROVIDERS, type CatalogProvider } from "../../providers/catalog.ts";
import { slackFixtures as S, type DocFixture } from "../../providers/fixtures/index.ts";
import { createRealtime } from "../../realtime/pubsub.ts";
import { sealTokens } from "../integrations/tokens.ts";
import { createVault } from "../vault/vault.ts";
import { sendAlert, webhookUrlSealedFor, type AlertChannelRow, type AlertServices } from "./send.ts";

// Slack's documented answers (api/src/providers/fixtures/slack.ts, each with its source) fed
// through the real senders over real HTTP: a local server answers with the fixture's status,
// headers and body, and chat.postMessage and the incoming webhook are pointed at it. The Slack
// emulator is not involved, so a mistake shared by it and the senders cannot hide here.

type Seen = { method: string; path: string; headers: IncomingHttpHeaders; body: string };

/** Answers each path with the next fixture queued for it (the last one repeats). */
function startFixtureServer() {
  const queues = new Map<string, DocFixture[]>();
  const seen: Seen[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? "/", "http://fixture.invalid").pathname;
    seen.push({ method: req.method ?? "", path, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    const queue = queues.get(path);
    const fixture = queue && queue.length > 1 ? queue.shift()! : queue?.[0];
    if (!fixture) return void res.writeHead(599).end();
    const text = typeof fixture.body === "string" ? fixture.body : JSON.stringify(fixture.body);
    res.writeHead(fixture.status, { "content-type": typeof fixture.body === "string" ? "text/html" : "application/json; charset=utf-8", ...fixture.headers }).end(text);
  });
  return {
    seen,
    answer: (path: string, ...fixtures: DocFixture[]) => void queues.set(path, fixtures),
    reset: () => {
      queues.clear();
      seen.length = 0;
    },
    listen: () => new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const fake = startFixtureServer();
let base: string;
let db: Database;
let services: AlertServices;
const NOW = new Date("2026-12-06T12:00:00.000Z");
// The webhook's secret path segment and a bot token: neither may appear in a reason.
const HOOK_SECRET = "hookSecretPart0123456789";
const TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy";

beforeAll(async () => {
  base = await fake.listen();
  db = await createDatabase({ dataDir: "memory://" });
  await migrate(db, DEFAULT_MIGRATIONS_DIR);
  const keys = `k1:${randomBytes(32).toString("base64")}`;
  const env = parseEnv({
    NODE_ENV: "test",
    ENCRYPTION_KEYS: keys,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    PUBLIC_URL: base,
    SANDBOX: "on",
    // The "real" hook below lives on 127.0.0.1, which the URL policy refuses unless allowed.
    WEBHOOK_ALLOW_PRIVATE_URLS: "on",
    WEBHOOK_TIMEOUT_MS: "5000",
  });
  const slack: CatalogProvider = {
    ...BUILT_IN_PROVIDERS.find((p) => p.id === "slack")!,
    tokenUrl: `${base}/api/oauth.v2.access`,
    apiBaseUrl: `${base}/api`,
    clientId: "doc-slack",
    clientSecret: "doc-slack-secret",
    configured: true,
    sandbox: false,
    redirectUri: `${base}/api/integrations/oauth/callback/slack`,
  };
  services = {
    prisma: db.prisma,
    db,
    vault: createVault([{ id: "k1", key: Buffer.from(keys.slice(3), "base64") }]),
    logger: createLogger({ level: "silent" }),
    env,
    catalog: [slack],
    realtime: createRealtime(),
    allowHttp: true,
  };
}, 60_000);

afterAll(async () => {
  await fake.close();
  await db?.close();
});

beforeEach(() => fake.reset());

/** A workspace with a connected Slack bot (chat:write), its token sealed as the app seals it. */
async function slackChannel(options: { refreshToken?: string } = {}): Promise<AlertChannelRow> {
  const workspaceId = randomUUID();
  await db.prisma.organization.create({ data: { id: workspaceId, name: "Docs", slug: workspaceId, createdAt: NOW } });
  const id = randomUUID();
  await db.prisma.integration.create({
    data: {
      id,
      workspaceId,
      providerId: "slack",
      accountId: "T9TK3CUKW",
      status: "CONNECTED",
      grantedScopes: ["chat:write", "channels:read", "team:read"],
      connectedAt: NOW,
      ...sealTokens(services.vault, id, { accessToken: TOKEN, refreshToken: options.refreshToken }),
    },
  });
  return { id: randomUUID(), workspaceId, kind: "SLACK", name: "Slack", emails: [], slackChannel: "#alerts", slackIntegrationId: id, webhookUrlEnc: null, enabled: true };
}

function hookChannel(url: string): AlertChannelRow {
  const id = randomUUID();
  return { id, workspaceId: randomUUID(), kind: "SLACK_WEBHOOK", name: "Hook", emails: [], slackChannel: null, slackIntegrationId: null, webhookUrlEnc: services.vault.seal(url, webhookUrlSealedFor(id)), enabled: true };
}

const message = { subject: "Down: Slack", text: "HTTP 500 from slack.com" };
const send = (channel: AlertChannelRow) =>
  // The "real" hook host resolves to the fixture server.
  sendAlert(services, channel, message, { now: NOW, lookup: async () => [{ address: "127.0.0.1", family: 4 }] });

function expectNoSecrets(reason: string | null) {
  expect(reason ?? "").not.toContain(HOOK_SECRET);
  expect(reason ?? "").not.toContain(TOKEN);
  expect(reason ?? "").not.toContain("xox");
}

describe("chat.postMessage against Slack's documented answers", () => {
  it("posts with the bot token and reads the documented success (with or without a warning) as delivered", async () => {
    for (const fixture of [S.postMessageOk, S.postMessageWarning, S.postMessageWarningMetadata]) {
      fake.reset();
      fake.answer("/api/chat.postMessage", fixture);
      const result = await send(await slackChannel());
      expect(result, JSON.stringify(fixture.body)).toMatchObject({ ok: true, responseStatus: 200, error: null, retryAfterMs: null });
      expect(result.permanent).toBeUndefined();
      const [call] = fake.seen;
      expect(call).toMatchObject({ method: "POST", path: "/api/chat.postMessage" });
      expect(call!.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(JSON.parse(call!.body)).toMatchObject({ channel: "#alerts", text: "*Down: Slack*\nHTTP 500 from slack.com" });
    }
  });

  it.each([
    ["channel_not_found", S.postMessageChannelNotFound],
    ["not_in_channel", S.postMessageNotInChannel],
    ["is_archived", S.postMessageIsArchived],
    ["missing_scope", S.postMessageMissingScope],
    ["token_revoked", S.postMessageTokenRevoked],
    ["too_many_attachments", S.postMessageTooManyAttachments],
  ])("%s is a permanent failure naming Slack's code", async (code, fixture) => {
    fake.answer("/api/chat.postMessage", fixture);
    const result = await send(await slackChannel());
    expect(result).toMatchObject({ ok: false, responseStatus: 200, retryAfterMs: null, permanent: true });
    expect(result.error).toMatch(new RegExp(`\\b${code}\\b`));
    expectNoSecrets(result.error);
    // Not a token error that a refresh could fix: one call only.
    expect(fake.seen).toHaveLength(1);
  });

  it("invalid_auth without a refresh token: one try, then a permanent failure naming invalid_auth", async () => {
    fake.answer("/api/chat.postMessage", S.postMessageInvalidAuth);
    const channel = await slackChannel();
    const result = await send(channel);
    expect(result).toMatchObject({ ok: false, permanent: true });
    expect(result.error).toContain("(invalid_auth)");
    expectNoSecrets(result.error);
    expect(fake.seen.filter((c) => c.path === "/api/chat.postMessage")).toHaveLength(1);
    // The refused grant is marked for reconnect, as for the health check.
    expect(await db.prisma.integration.findUniqueOrThrow({ where: { id: channel.slackIntegrationId! } })).toMatchObject({ status: "REAUTH_REQUIRED" });
  });

  it("token_expired with a rotating token: refreshed through oauth.v2.access, then posted", async () => {
    fake.answer("/api/chat.postMessage", S.authTestTokenExpired, S.postMessageOk);
    fake.answer("/api/oauth.v2.access", S.tokenRefresh);
    const result = await send(await slackChannel({ refreshToken: "xoxe-1-old" }));
    expect(result).toMatchObject({ ok: true, responseStatus: 200 });
    const posts = fake.seen.filter((c) => c.path === "/api/chat.postMessage");
    expect(posts.map((c) => c.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${(S.tokenRefresh.body as { access_token: string }).access_token}`]);
  });

  it("HTTP 429 with Retry-After: a retry no sooner than Slack asks", async () => {
    fake.answer("/api/chat.postMessage", S.rateLimited);
    const result = await send(await slackChannel());
    expect(result).toMatchObject({ ok: false, responseStatus: 429, retryAfterMs: 30_000 });
    expect(result.permanent).toBeUndefined();
  });

  it("a code Slack does not document for the method is retried, as any failure was", async () => {
    fake.answer("/api/chat.postMessage", { ...S.postMessageChannelNotFound, confidence: "UNCONFIRMED", body: { ok: false, error: "some_new_error" } });
    const result = await send(await slackChannel());
    expect(result).toMatchObject({ ok: false, error: "Slack answered some_new_error" });
    expect(result.permanent).toBeUndefined();
  });

  it("the method's rate_limited error is a retry, not a permanent failure", async () => {
    fake.answer("/api/chat.postMessage", S.postMessageRateLimitedError);
    const result = await send(await slackChannel());
    expect(result).toMatchObject({ ok: false, responseStatus: 200, retryAfterMs: null });
    expect(result.error).toContain("rate_limited");
    expect(result.permanent).toBeUndefined();
  });
});

describe("incoming webhooks against Slack's documented answers", () => {
  // Both ways a hook is called: the emulator's path in sandbox mode (outboundFetch) and any other
  // host through the URL policy and the pinned send (what hooks.slack.com goes through).
  const hookUrls = () => [
    ["sandbox path", `${base}/sandbox/slack/services/T0SANDBOX/B0SANDBOX/${HOOK_SECRET}`],
    ["pinned send", `http://hooks.slack.test:${new URL(base).port}/services/T0001/B0001/${HOOK_SECRET}`],
  ] as const;
  const pathOf = (url: string) => new URL(url).pathname;

  it('HTTP 200 "ok" is delivered', async () => {
    for (const [how, url] of hookUrls()) {
      fake.reset();
      fake.answer(pathOf(url), S.hookOk);
      const result = await send(hookChannel(url));
      expect(result, how).toMatchObject({ ok: true, responseStatus: 200, error: null });
      expect(JSON.parse(fake.seen[0]!.body), how).toEqual({ text: "*Down: Slack*\nHTTP 500 from slack.com" });
    }
  });

  it.each([
    ["invalid_payload", S.hookInvalidPayload],
    ["action_prohibited", S.hookActionProhibited],
    ["channel_not_found", S.hookChannelNotFound],
    ["channel_is_archived", S.hookChannelIsArchived],
    ["no_team", S.hookNoTeam],
    ["no_service", S.hookNoService],
    ["invalid_token", S.hookInvalidToken],
    ["no_text", S.hookNoText],
    ["no_active_hooks", S.hookNoActiveHooks],
    ["team_disabled", S.hookTeamDisabled],
  ])("%s is a permanent failure naming Slack's code", async (code, fixture) => {
    for (const [how, url] of hookUrls()) {
      fake.reset();
      fake.answer(pathOf(url), fixture);
      const result = await send(hookChannel(url));
      expect(result, how).toMatchObject({ ok: false, responseStatus: fixture.status, retryAfterMs: null, permanent: true });
      expect(result.error, how).toContain(`(${code})`);
      expectNoSecrets(result.error);
    }
  });

  it("the same status with another code gets that code's reason (404: a deleted channel is not a removed hook)", async () => {
    const [, url] = hookUrls()[1];
    const reasons: string[] = [];
    for (const fixture of [S.hookChannelNotFound, S.hookNoService]) {
      fake.answer(pathOf(url), fixture);
      reasons.push((await send(hookChannel(url))).error!);
    }
    expect(reasons[0]).toContain("channel_not_found");
    expect(reasons[0]).not.toContain("no_service");
    expect(reasons[1]).toContain("no_service");
  });

  it("500 rollup_error is retried", async () => {
    for (const [how, url] of hookUrls()) {
      fake.reset();
      fake.answer(pathOf(url), S.hookRollupError);
      const result = await send(hookChannel(url));
      expect(result, how).toMatchObject({ ok: false, responseStatus: 500, retryAfterMs: null });
      expect(result.permanent, how).toBeUndefined();
      expect(result.error, how).toContain("rollup_error");
      expectNoSecrets(result.error);
    }
  });

  it("429 with Retry-After: a retry no sooner than Slack asks", async () => {
    for (const [how, url] of hookUrls()) {
      fake.reset();
      fake.answer(pathOf(url), S.hookRateLimited);
      const result = await send(hookChannel(url));
      expect(result, how).toMatchObject({ ok: false, responseStatus: 429, retryAfterMs: 30_000 });
      expect(result.permanent, how).toBeUndefined();
    }
  });
});
