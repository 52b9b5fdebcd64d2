import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Database } from "../../db/index.ts";
import type { Env } from "../../env.ts";
import type { Logger } from "../../logger.ts";
import type { Realtime } from "../../realtime/pubsub.ts";
import type { CatalogProvider } from "../../providers/catalog.ts";
import { providerForConnection } from "../../providers/index.ts";
import { OAuthFlowError } from "../../providers/errors.ts";
import { outboundFetch, OutboundError } from "../../http/outbound.ts";
import { sendMailDetailed } from "../../auth/mailer.ts";
import type { Vault } from "../vault/vault.ts";
import { getAccessToken } from "../integrations/refresh.ts";
import { sendWebhook } from "../webhooks/send-webhook.ts";
import { validateWebhookUrl, type LookupAll } from "../webhooks/url-policy.ts";
import { parseRetryAfter } from "../webhooks/backoff.ts";
import type { AttemptResult } from "../webhooks/deliver-one.ts";
import { isSandboxHook } from "./input.ts";

// One attempt to put an alert in front of people, per channel kind. Failures are values with a
// reason an admin can act on (kept in the delivery log): never a token, a webhook URL's secret
// path or the SMTP_URL.

export type AlertServices = {
  prisma: PrismaClient;
  db: Database;
  vault: Vault;
  logger: Logger;
  env: Env;
  catalog: CatalogProvider[];
  realtime: Realtime;
  allowHttp: boolean;
};

export type AlertChannelRow = {
  id: string;
  workspaceId: string;
  kind: "EMAIL" | "SLACK" | "SLACK_WEBHOOK";
  name: string;
  emails: string[];
  slackChannel: string | null;
  slackIntegrationId: string | null;
  webhookUrlEnc: string | null;
  enabled: boolean;
};

export type AlertAttempt = AttemptResult & { durationMs: number | null };

/** Where a channel's incoming-webhook URL is sealed. */
export function webhookUrlSealedFor(channelId: string) {
  return { table: "alert_channel", rowId: channelId, field: "webhookUrl" };
}

const fail = (error: string, extra: Partial<AlertAttempt> = {}): AlertAttempt => ({ ok: false, responseStatus: null, error, retryAfterMs: null, durationMs: null, ...extra });

export async function sendAlert(
  services: AlertServices,
  channel: AlertChannelRow,
  message: { subject: string; text: string },
  options: { lookup?: LookupAll; now?: Date } = {},
): Promise<AlertAttempt> {
  if (channel.kind === "EMAIL") return sendEmail(services, channel, message);
  if (channel.kind === "SLACK") return sendSlack(services, channel, message, options.now ?? new Date());
  return sendSlackWebhook(services, channel, message, options);
}

async function sendEmail(services: AlertServices, channel: AlertChannelRow, message: { subject: string; text: string }): Promise<AlertAttempt> {
  if (channel.emails.length === 0) return fail("the channel has no recipients");
  const sent = await sendMailDetailed(services.env, { to: channel.emails, subject: message.subject, text: message.text });
  if (sent.ok) return { ok: true, responseStatus: null, error: null, retryAfterMs: null, durationMs: sent.durationMs };
  return fail(sent.error, { responseStatus: sent.responseCode, durationMs: sent.durationMs });
}

/** Slack's chat.postMessage errors that an admin must fix; the words say how. */
const SLACK_HINTS: Record<string, (channel: string) => string> = {
  channel_not_found: (c) => `Slack has no channel ${c} the app can see (channel_not_found): check the name or use the channel's id`,
  not_in_channel: (c) => `the Switchboard app is not a member of ${c} (not_in_channel): invite it there with /invite`,
  is_archived: (c) => `${c} is archived (is_archived)`,
  missing_scope: () => "the Slack connection lacks the chat:write scope (missing_scope): reconnect Slack and grant it",
  invalid_auth: () => "Slack refused the connection's token (invalid_auth): reconnect Slack",
  token_revoked: () => "the Slack connection's token was revoked (token_revoked): reconnect Slack",
  account_inactive: () => "the Slack app's account is inactive (account_inactive): reconnect Slack",
  not_authed: () => "no Slack token was sent (not_authed)",
};
const SLACK_TOKEN_ERRORS = new Set(["invalid_auth", "token_expired", "token_revoked", "not_authed", "account_inactive"]);

/**
 * chat.postMessage with the workspace's Slack connection (https://docs.slack.dev/reference/methods/chat.postMessage):
 * POST {apiBaseUrl}/chat.postMessage, the token as `Authorization: Bearer`, a JSON body with
 * `channel` (an id or #name) and `text`; the bot token needs `chat:write`. Slack answers HTTP 200
 * with {"ok":true,"channel","ts"} or {"ok":false,"error"} (channel_not_found, not_in_channel,
 * missing_scope, invalid_auth, …); 429 with Retry-After when rate limited. The token comes from
 * getAccessToken, the code the health check uses (refresh before expiry, single-flight), and is
 * refreshed once when Slack says it expired.
 */
/** The channel's chosen Slack connection, else the workspace's only connected one. */
export async function slackConnectionFor(prisma: AlertServices["prisma"], channel: { workspaceId: string; slackIntegrationId: string | null }) {
  if (channel.slackIntegrationId) return prisma.integration.findFirst({ where: { id: channel.slackIntegrationId, workspaceId: channel.workspaceId, providerId: "slack" } });
  const connected = await prisma.integration.findMany({ where: { workspaceId: channel.workspaceId, providerId: "slack", status: { not: "DISCONNECTED" } }, orderBy: { connectedAt: "asc" }, take: 2 });
  if (connected.length > 1) return "ambiguous" as const;
  return connected[0] ?? null;
}

async function sendSlack(services: AlertServices, channel: AlertChannelRow, message: { subject: string; text: string }, now: Date): Promise<AlertAttempt> {
  const { prisma, catalog, env } = services;
  const target = channel.slackChannel;
  if (!target) return fail("the channel has no Slack channel set");
  const provider = catalog.find((p) => p.id === "slack");
  if (!provider) return fail("Slack is not available on this server");
  const picked = await slackConnectionFor(prisma, channel);
  if (picked === "ambiguous") return fail("several Slack workspaces are connected here: choose the one that posts in this channel's settings");
  const integration = picked;
  if (!integration || integration.status === "DISCONNECTED" || !integration.accessTokenEnc) return fail(channel.slackIntegrationId ? "the chosen Slack connection is disconnected: reconnect it on the dashboard or choose another" : "Slack is not connected in this workspace: connect Slack on the dashboard first");
  if (integration.status === "REAUTH_REQUIRED") return fail("the Slack connection needs a reconnect: reconnect Slack on the dashboard");
  if (!integration.grantedScopes.includes("chat:write")) return fail("the Slack connection lacks the chat:write scope: reconnect Slack and grant it");
  const connection = providerForConnection(provider, integration.providerConfig);
  if (!connection.apiBaseUrl) return fail("Slack's API address is not configured");
  const url = `${connection.apiBaseUrl.replace(/\/+$/, "")}/chat.postMessage`;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);

  let rejected: string | undefined;
  for (let round = 0; round < 2; round++) {
    let token: string;
    try {
      token = (await getAccessToken({ services: { ...services, env }, provider, integrationId: integration.id, rejected })).accessToken;
    } catch (error) {
      if (error instanceof OAuthFlowError && error.code === "invalid_grant") return fail("the Slack connection needs a reconnect: reconnect Slack on the dashboard", { durationMs: elapsed() });
      return fail(`could not get the Slack connection's token: ${error instanceof OAuthFlowError ? error.code : "error"}`, { durationMs: elapsed() });
    }
    let response: Response;
    try {
      response = await outboundFetch(
        url,
        {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json; charset=utf-8", accept: "application/json" },
          body: JSON.stringify({ channel: target, text: `*${message.subject}*\n${message.text}`, unfurl_links: false, unfurl_media: false }),
        },
        { timeoutMs: env.WEBHOOK_TIMEOUT_MS, maxBytes: 256 * 1024 },
      );
    } catch (error) {
      return fail(error instanceof OutboundError ? error.message : "could not reach Slack", { durationMs: elapsed() });
    }
    const status = response.status;
    if (status === 429) return fail("Slack is rate limiting (HTTP 429)", { responseStatus: status, retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), now), durationMs: elapsed() });
    if (status >= 300) return fail(`Slack answered HTTP ${status}`, { responseStatus: status, durationMs: elapsed() });
    let body: { ok?: unknown; error?: unknown };
    try {
      body = (await response.json()) as typeof body;
    } catch {
      return fail("Slack's answer was not JSON", { responseStatus: status, durationMs: elapsed() });
    }
    if (body.ok === true) return { ok: true, responseStatus: status, error: null, retryAfterMs: null, durationMs: elapsed() };
    const code = typeof body.error === "string" ? body.error.slice(0, 60) : "unknown_error";
    if (round === 0 && (code === "token_expired" || code === "invalid_auth")) {
      rejected = token;
      continue;
    }
    const hint = SLACK_HINTS[code]?.(target) ?? `Slack answered ${code}`;
    return fail(SLACK_TOKEN_ERRORS.has(code) && !SLACK_HINTS[code] ? `Slack refused the token (${code}): reconnect Slack` : hint, { responseStatus: status, durationMs: elapsed() });
  }
  return fail("Slack refused the refreshed token too: reconnect Slack", { durationMs: elapsed() });
}

/** Slack's incoming-webhook error bodies (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks). */
const HOOK_ERRORS: Record<number, string> = {
  400: "Slack refused the message (invalid_payload / no_text)",
  403: "Slack refused the webhook (action_prohibited / invalid_token): create a new incoming webhook",
  404: "Slack does not know this incoming webhook (no_service): it was removed; create a new one",
  410: "the webhook's channel is archived (channel_is_archived)",
};

/**
 * A Slack incoming webhook: POST JSON {text}. The URL is opened from the vault for this attempt
 * only; the real host goes through the webhook URL policy and the pinned send (no private
 * addresses, no DNS rebinding, no redirects). In sandbox mode the emulator's path is called
 * directly (it is this server).
 */
async function sendSlackWebhook(services: AlertServices, channel: AlertChannelRow, message: { subject: string; text: string }, options: { lookup?: LookupAll; now?: Date }): Promise<AlertAttempt> {
  const { vault, env } = services;
  if (!channel.webhookUrlEnc) return fail("the channel has no incoming-webhook URL");
  let url: string;
  try {
    url = vault.open(channel.webhookUrlEnc, webhookUrlSealedFor(channel.id));
  } catch {
    return fail("the incoming-webhook URL could not be decrypted (missing encryption key?)");
  }
  const body = JSON.stringify({ text: `*${message.subject}*\n${message.text}` });
  const now = options.now ?? new Date();
  const answer = (status: number, durationMs: number, retryAfter: string | null): AlertAttempt => {
    if (status >= 200 && status < 300) return { ok: true, responseStatus: status, error: null, retryAfterMs: null, durationMs };
    if (status === 429) return fail("Slack is rate limiting (HTTP 429)", { responseStatus: status, retryAfterMs: parseRetryAfter(retryAfter, now), durationMs });
    return fail(HOOK_ERRORS[status] ?? `Slack answered HTTP ${status}`, { responseStatus: status, durationMs });
  };
  if (isSandboxHook(url, env)) {
    const started = performance.now();
    try {
      const response = await outboundFetch(url, { method: "POST", headers: { "content-type": "application/json" }, body }, { timeoutMs: env.WEBHOOK_TIMEOUT_MS, maxBytes: 64 * 1024 });
      return answer(response.status, Math.round(performance.now() - started), response.headers.get("retry-after"));
    } catch (error) {
      return fail(error instanceof OutboundError ? error.message : "could not reach the Slack emulator", { durationMs: Math.round(performance.now() - started) });
    }
  }
  const check = await validateWebhookUrl(url, env, { lookup: options.lookup });
  if (!check.ok) return fail(`URL refused: ${check.reason}`);
  const sent = await sendWebhook({
    url: check.url,
    addresses: check.addresses,
    headers: { "content-type": "application/json", "user-agent": "Switchboard-Alerts/1" },
    body,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    maxResponseBytes: 64 * 1024,
  });
  if (!sent.ok) return fail(sent.error, { durationMs: sent.durationMs });
  const retryAfter = sent.headers["retry-after"];
  return answer(sent.status, sent.durationMs, typeof retryAfter === "string" ? retryAfter : null);
}
