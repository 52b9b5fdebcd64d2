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

/** `permanent` (AttemptResult): Slack answered with an error only an admin's change can fix (a removed channel or webhook, a revoked token). */
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
 * chat.postMessage errors that say "later", not "never": rate_limited is in the method's error
 * table ("Application has posted too many messages"), ratelimited in the Web API's (with
 * Retry-After), the others are Slack's own transient failures in the shared error list.
 * fatal_error is not here: "some aspect of the operation succeeded" may mean a posted message.
 */
const SLACK_RETRY_ERRORS = new Set(["rate_limited", "ratelimited", "internal_error", "service_unavailable", "request_timeout"]);
/**
 * Besides SLACK_HINTS and the token errors, chat.postMessage errors (its error table) that the
 * same message would meet again. A code not listed anywhere is retried, as any failure was.
 */
const SLACK_PERMANENT_ERRORS = new Set([
  "too_many_attachments",
  "msg_too_long",
  "no_text",
  "invalid_blocks",
  "restricted_action",
  "restricted_action_read_only_channel",
  "restricted_action_thread_only_channel",
  "no_permission",
  "ekm_access_denied",
]);

/**
 * chat.postMessage with the workspace's Slack connection (https://docs.slack.dev/reference/methods/chat.postMessage):
 * POST {apiBaseUrl}/chat.postMessage, the token as `Authorization: Bearer`, a JSON body with
 * `channel` (an id or #name) and `text`; the bot token needs `chat:write`. Slack answers HTTP 200
 * with {"ok":true,"channel","ts"} or {"ok":false,"error"} (channel_not_found, not_in_channel,
 * missing_scope, invalid_auth, …); 429 with Retry-After when rate limited. The token comes from
 * getAccessToken, the code the health check uses (refresh before expiry, single-flight), and is
 * refreshed once when Slack says it expired. An answer with ok:true and a `warning` is still a
 * post. The documented answers are fixtures (api/src/providers/fixtures/slack.ts, postMessage*)
 * that send-fixtures.test.ts sends through this code.
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

  const hintFor = (code: string) => SLACK_HINTS[code]?.(target) ?? (SLACK_TOKEN_ERRORS.has(code) ? `Slack refused the token (${code}): reconnect Slack` : `Slack answered ${code}`);
  let rejected: string | undefined;
  let refusedWith: string | undefined;
  for (let round = 0; round < 2; round++) {
    let token: string;
    try {
      token = (await getAccessToken({ services: { ...services, env }, provider, integrationId: integration.id, rejected })).accessToken;
    } catch (error) {
      // Slack refused the token and no refresh could replace it: Slack's own code says why.
      if (refusedWith && error instanceof OAuthFlowError && error.code === "invalid_grant") return fail(hintFor(refusedWith), { durationMs: elapsed(), permanent: true });
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
    // ok: true is a post, with or without a `warning` (Slack completed the call but notes
    // something about the request, e.g. superfluous_charset).
    if (body.ok === true) return { ok: true, responseStatus: status, error: null, retryAfterMs: null, durationMs: elapsed() };
    // Only a code-shaped value is kept: the reason is shown to admins.
    const code = typeof body.error === "string" && /^[a-z][a-z0-9_]{0,59}$/.test(body.error) ? body.error : "unknown_error";
    if (round === 0 && (code === "token_expired" || code === "invalid_auth")) {
      rejected = token;
      refusedWith = code;
      continue;
    }
    if (SLACK_RETRY_ERRORS.has(code)) {
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now);
      return fail(code.includes("rate") ? `Slack is rate limiting (${code})` : `Slack failed for now (${code})`, { responseStatus: status, retryAfterMs, durationMs: elapsed() });
    }
    const permanent = code in SLACK_HINTS || SLACK_TOKEN_ERRORS.has(code) || SLACK_PERMANENT_ERRORS.has(code);
    return fail(hintFor(code), { responseStatus: status, durationMs: elapsed(), ...(permanent ? { permanent: true as const } : {}) });
  }
  return fail("Slack refused the refreshed token too: reconnect Slack", { durationMs: elapsed() });
}

/**
 * Slack's incoming-webhook answers: HTTP 200 "ok", else an error code as the plain-text body.
 * Statuses and codes: https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks
 * (400 invalid_payload, 403 action_prohibited, 404 channel_not_found, 410 channel_is_archived,
 * 500 rollup_error), Slack's Java SDK guide (404 no_team) and the "Handling errors" list of
 * https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks (no_service, no_text,
 * invalid_token, team_disabled, …; their statuses are not all documented). One status carries
 * several codes (404: a deleted channel, or a removed webhook), so the reason comes from the body.
 * Fixtures: api/src/providers/fixtures/slack.ts (hook*).
 */
const HOOK_HINTS: Record<string, string> = {
  invalid_payload: "Slack could not read the message (invalid_payload)",
  no_text: "Slack refused a message without text (no_text)",
  user_not_found: "the webhook's Slack user does not exist (user_not_found): create a new incoming webhook",
  action_prohibited: "the Slack workspace restricts posting through this webhook (action_prohibited): ask a Slack admin",
  posting_to_general_channel_denied: "posting to the workspace's general channel is restricted (posting_to_general_channel_denied): choose another channel for the webhook",
  channel_not_found: "the webhook's Slack channel no longer exists (channel_not_found): create a new incoming webhook",
  channel_is_archived: "the webhook's Slack channel is archived (channel_is_archived): unarchive it or create a new incoming webhook",
  no_service: "Slack does not know this incoming webhook (no_service): it was removed or disabled; create a new one",
  no_team: "Slack does not know this incoming webhook's workspace (no_team): create a new incoming webhook",
  invalid_token: "Slack refused the incoming webhook (invalid_token): create a new one",
  no_active_hooks: "the Slack app's incoming webhooks are turned off (no_active_hooks): turn them on or create a new webhook",
  team_disabled: "the Slack workspace is disabled (team_disabled)",
};

/** The error code of an incoming webhook's answer; nothing else of the body is kept. */
function hookCode(body: string): string | null {
  const text = body.trim();
  return /^[a-z][a-z0-9_]{0,59}$/.test(text) ? text : null;
}

/** The most of an incoming webhook's answer that is kept: its codes are a few dozen bytes. */
const HOOK_BODY_BYTES = 1024;

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
  const answer = (status: number, text: string, durationMs: number, retryAfter: string | null): AlertAttempt => {
    if (status >= 200 && status < 300) return { ok: true, responseStatus: status, error: null, retryAfterMs: null, durationMs };
    const code = hookCode(text);
    if (status === 429) return fail(`Slack is rate limiting (HTTP 429${code ? `, ${code}` : ""})`, { responseStatus: status, retryAfterMs: parseRetryAfter(retryAfter, now), durationMs });
    const reason = (code && HOOK_HINTS[code]) ?? `Slack answered HTTP ${status}${code ? ` (${code})` : ""}`;
    // 4xx: the webhook, its channel or the workspace must change first; 5xx (rollup_error:
    // "likely not your fault at all") and timeouts are worth another try.
    const permanent = status >= 400 && status < 500 && status !== 408;
    return fail(reason, { responseStatus: status, durationMs, ...(permanent ? { permanent: true as const } : {}) });
  };
  if (isSandboxHook(url, env)) {
    const started = performance.now();
    try {
      const response = await outboundFetch(url, { method: "POST", headers: { "content-type": "application/json" }, body }, { timeoutMs: env.WEBHOOK_TIMEOUT_MS, maxBytes: 64 * 1024 });
      const text = await response.text();
      return answer(response.status, text, Math.round(performance.now() - started), response.headers.get("retry-after"));
    } catch (error) {
      return fail(error instanceof OutboundError ? error.message : "could not reach the Slack emulator", { durationMs: Math.round(performance.now() - started) });
    }
  }
  const check = await validateWebhookUrl(url, env, { lookup: options.lookup });
  if (!check.ok) return fail(`URL refused: ${check.reason}`);
  // sendWebhook throws a receiver's body away (a customer endpoint's words are not for the
  // delivery log), but Slack's body is the only thing that tells its errors apart: its start is kept.
  const sent = await sendWebhook({
    url: check.url,
    addresses: check.addresses,
    headers: { "content-type": "application/json", "user-agent": "Switchboard-Alerts/1" },
    body,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    maxResponseBytes: 64 * 1024,
    keepBodyBytes: HOOK_BODY_BYTES,
  });
  if (!sent.ok) return fail(sent.error, { durationMs: sent.durationMs });
  const retryAfter = sent.headers["retry-after"];
  return answer(sent.status, sent.bodyStart ?? "", sent.durationMs, typeof retryAfter === "string" ? retryAfter : null);
}
