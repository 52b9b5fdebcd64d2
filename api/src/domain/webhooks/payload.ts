import { randomBytes } from "node:crypto";
import { WEBHOOK_EVENT_DATA_KEYS, type WebhookEventData, type WebhookEventType, type WebhookPayload } from "./events.ts";

const MAX_TEXT = 500;

/** `webhook-id`: unique per event and endpoint, the same across retries, so receivers can dedupe. */
export function newMessageId(): string {
  return `msg_${randomBytes(18).toString("base64url")}`;
}

/** Keeps only the known, token-free fields of `data`, with messages cut to a sane length. */
export function pickEventData(data: WebhookEventData): WebhookEventData {
  const picked: Record<string, unknown> = {};
  for (const key of WEBHOOK_EVENT_DATA_KEYS) {
    const value = data[key];
    if (value === undefined) continue;
    picked[key] = typeof value === "string" && value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
  }
  return picked as WebhookEventData;
}

export function buildPayload(type: WebhookEventType, data: WebhookEventData, at: Date): WebhookPayload {
  return { type, timestamp: at.toISOString(), data: pickEventData(data) };
}
