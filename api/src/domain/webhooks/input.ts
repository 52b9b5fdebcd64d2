import { isWebhookEventType, WEBHOOK_EVENT_TYPES, type WebhookEventType } from "./events.ts";
import { validateWebhookUrl, type LookupAll, type UrlPolicyEnv } from "./url-policy.ts";

export const MAX_DESCRIPTION_LENGTH = 200;

/** An endpoint argument a caller can fix; the message says how. */
export class WebhookInputError extends Error {
  constructor(
    readonly field: "url" | "events" | "description",
    message: string,
  ) {
    super(message);
    this.name = "WebhookInputError";
  }
}

export async function checkUrl(url: string, env: UrlPolicyEnv, lookup?: LookupAll): Promise<string> {
  const result = await validateWebhookUrl(url, env, { lookup });
  if (!result.ok) throw new WebhookInputError("url", `Webhook URL refused: ${result.reason}.`);
  return result.url.toString();
}

/** Known event types, deduplicated; an empty list subscribes to every event. */
export function checkEvents(events: readonly string[]): WebhookEventType[] {
  const unknown = events.filter((e) => !isWebhookEventType(e));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 3).map((e) => JSON.stringify(e.slice(0, 60))).join(", ");
    throw new WebhookInputError("events", `Unknown event type ${shown}; known types: ${WEBHOOK_EVENT_TYPES.join(", ")}.`);
  }
  return [...new Set(events as WebhookEventType[])];
}

export function checkDescription(description: string | null | undefined): string | null {
  const value = description?.trim() ?? "";
  if (value.length > MAX_DESCRIPTION_LENGTH) throw new WebhookInputError("description", `Description must be at most ${MAX_DESCRIPTION_LENGTH} characters.`);
  return value === "" ? null : value;
}
