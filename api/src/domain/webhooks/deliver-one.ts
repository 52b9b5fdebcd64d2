import { Webhook } from "standardwebhooks";
import { Prisma, type PrismaClient } from "../../generated/prisma/client.ts";
import type { Env } from "../../env.ts";
import type { Logger } from "../../logger.ts";
import type { Vault } from "../vault/vault.ts";
import { backoffDelayMs, parseRetryAfter } from "./backoff.ts";
import { secretSealedFor } from "./secret.ts";
import { sendWebhook } from "./send-webhook.ts";
import { validateWebhookUrl, type LookupAll } from "./url-policy.ts";

export type DeliveryEnv = Pick<Env, "NODE_ENV" | "allowPrivateWebhookUrls" | "WEBHOOK_TIMEOUT_MS" | "WEBHOOK_MAX_ATTEMPTS">;

export type DeliveryServices = { prisma: PrismaClient; vault: Vault; logger: Logger; env: DeliveryEnv };

/** A delivery this process owns for one attempt; `attempts` already counts that attempt. */
export type ClaimedDelivery = { id: string; endpointId: string; messageId: string; eventType: string; payload: unknown; attempts: number };

export type DeliveryEndpoint = { id: string; url: string; secretEnc: string; enabled: boolean };

export type DeliveryOutcome = {
  status: "delivered" | "pending" | "failed";
  responseStatus: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
};

export const USER_AGENT = "Switchboard-Webhooks/1";
// Receivers answer with a short acknowledgement, which is drained and thrown away; a larger
// answer is cut off here.
const MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * How long a claimed delivery belongs to the replica that claimed it: the attempt's timeout,
 * the DNS re-check and a margin. A replica that dies mid-attempt leaves the delivery to be
 * claimed again after this, which is why delivery is at-least-once (receivers dedupe on
 * `webhook-id`, which stays the same).
 */
export function claimLeaseMs(env: Pick<Env, "WEBHOOK_TIMEOUT_MS">): number {
  return env.WEBHOOK_TIMEOUT_MS * 2 + 60_000;
}

/**
 * One attempt as the delivery log keeps it: the status, the timing and an allowlist of the
 * response headers (in the delivery row and the server log). Never the receiver's body: the log is shown to workspace admins, and
 * with the body a webhook would be a way to read whatever answers at its URL.
 */
export type AttemptResult = {
  ok: boolean;
  responseStatus: number | null;
  error: string | null;
  retryAfterMs: number | null;
  /** The receiver said trying again cannot help (Slack's documented final errors): failed at once. */
  permanent?: true;
};

type Attempt = AttemptResult & { durationMs?: number; responseHeaders?: Record<string, string | string[] | undefined> };

// Response headers worth a line in the server log; cookies and the like are not.
const LOGGED_HEADERS = ["content-type", "content-length", "retry-after", "server", "date", "location", "x-request-id"];

async function attempt(services: DeliveryServices, delivery: ClaimedDelivery, endpoint: DeliveryEndpoint, now: Date, lookup?: LookupAll): Promise<Attempt> {
  const { env, vault } = services;
  // Again at every attempt: the name may resolve elsewhere than when the endpoint was saved.
  // The request below connects only to the addresses checked here.
  const check = await validateWebhookUrl(endpoint.url, env, { lookup });
  if (!check.ok) return { ok: false, responseStatus: null, error: `URL refused: ${check.reason}`, retryAfterMs: null };

  let secret: string;
  try {
    secret = vault.open(endpoint.secretEnc, secretSealedFor(endpoint.id));
  } catch {
    return { ok: false, responseStatus: null, error: "the signing secret could not be decrypted (missing encryption key?)", retryAfterMs: null };
  }
  const body = typeof delivery.payload === "string" ? delivery.payload : JSON.stringify(delivery.payload);
  // The signature's timestamp is the wall clock (receivers reject stale ones), whatever `now` says.
  const sentAt = new Date();
  const signature = new Webhook(secret).sign(delivery.messageId, sentAt, body);
  const sent = await sendWebhook({
    url: check.url,
    addresses: check.addresses,
    headers: {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      "webhook-id": delivery.messageId,
      "webhook-timestamp": String(Math.floor(sentAt.getTime() / 1000)),
      "webhook-signature": signature,
    },
    body,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    maxResponseBytes: MAX_RESPONSE_BYTES,
  });
  if (!sent.ok) return { ok: false, responseStatus: null, error: sent.error, retryAfterMs: null, durationMs: sent.durationMs };
  const { status, durationMs } = sent;
  const responseHeaders = Object.fromEntries(LOGGED_HEADERS.filter((h) => sent.headers[h] !== undefined).map((h) => [h, sent.headers[h]]));
  const timing = { durationMs, responseHeaders };
  if (status >= 200 && status < 300) return { ok: true, responseStatus: status, error: null, retryAfterMs: null, ...timing };
  if (status >= 300 && status < 400) return { ok: false, responseStatus: status, error: `HTTP ${status}: redirects are not followed`, retryAfterMs: null, ...timing };
  const retryAfter = sent.headers["retry-after"];
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(typeof retryAfter === "string" ? retryAfter : null, now) : null;
  return { ok: false, responseStatus: status, error: `HTTP ${status}`, retryAfterMs, ...timing };
}

/** What an attempt leads to: delivered, another try later, or given up. */
export function outcomeOf(result: AttemptResult, attempts: number, env: Pick<Env, "WEBHOOK_MAX_ATTEMPTS">, now: Date, random?: () => number): DeliveryOutcome {
  if (result.ok) return { status: "delivered", responseStatus: result.responseStatus, lastError: null, nextAttemptAt: null };
  if (attempts >= env.WEBHOOK_MAX_ATTEMPTS || result.permanent) return { status: "failed", responseStatus: result.responseStatus, lastError: result.error, nextAttemptAt: null };
  const delay = Math.max(backoffDelayMs(attempts, random), result.retryAfterMs ?? 0);
  return { status: "pending", responseStatus: result.responseStatus, lastError: result.error, nextAttemptAt: new Date(now.getTime() + delay) };
}

/**
 * Sends one claimed delivery, signed the Standard Webhooks way, and records the outcome. The
 * update is fenced on the claimed attempt number, so a replica whose lease ran out cannot
 * overwrite the outcome of the replica that took the delivery over.
 */
export async function deliverOne({
  prisma,
  vault,
  logger,
  env,
  delivery,
  endpoint,
  now = new Date(),
  allowDisabled = false,
  lookup,
}: DeliveryServices & {
  delivery: ClaimedDelivery;
  /** The endpoint row when the caller already has it (the dispatcher loads a batch at once). */
  endpoint?: DeliveryEndpoint | null;
  now?: Date;
  /** A test event goes to a disabled endpoint too: the admin may be fixing the receiver. */
  allowDisabled?: boolean;
  lookup?: LookupAll;
}): Promise<DeliveryOutcome | null> {
  const target =
    endpoint ?? (await prisma.webhookEndpoint.findUnique({ where: { id: delivery.endpointId }, select: { id: true, url: true, secretEnc: true, enabled: true } }));
  // The endpoint was deleted, and its deliveries with it.
  if (!target) return null;
  // Deliveries queued before the endpoint was disabled are given up, not kept for later.
  const tried = target.enabled || allowDisabled ? await attempt({ prisma, vault, logger, env }, delivery, target, now, lookup) : null;
  const outcome: DeliveryOutcome = tried
    ? outcomeOf(tried, delivery.attempts, env, now)
    : { status: "failed", responseStatus: null, lastError: "the endpoint is disabled", nextAttemptAt: null };

  const { count } = await prisma.webhookDelivery.updateMany({
    where: { id: delivery.id, status: "pending", attempts: delivery.attempts },
    // The log keeps the status, the timing and the allowlisted response headers of the attempt.
    data: { ...outcome, durationMs: tried?.durationMs ?? null, responseHeaders: (tried?.responseHeaders ?? Prisma.DbNull) as Prisma.InputJsonValue },
  });
  const fields = {
    deliveryId: delivery.id,
    messageId: delivery.messageId,
    endpointId: target.id,
    eventType: delivery.eventType,
    attempt: delivery.attempts,
    durationMs: tried?.durationMs,
    responseHeaders: tried?.responseHeaders,
  };
  if (count === 0) logger.warn(fields, "webhook delivery was taken over by another replica; outcome not recorded");
  else if (outcome.status === "delivered") logger.info({ ...fields, responseStatus: outcome.responseStatus }, "webhook delivered");
  else logger.warn({ ...fields, status: outcome.status, responseStatus: outcome.responseStatus, error: outcome.lastError, nextAttemptAt: outcome.nextAttemptAt }, "webhook delivery failed");
  return outcome;
}
