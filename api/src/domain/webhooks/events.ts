// The events a workspace can subscribe a webhook endpoint to. Adding one is a public contract
// change: receivers switch on `type`.
export const WEBHOOK_EVENT_TYPES = [
  "integration.connected",
  "integration.disconnected",
  "integration.reauth_required",
  "health.degraded",
  "health.unhealthy",
  "health.recovered",
  "provider.incident",
  "webhook.test",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * What an event may say. Only these keys ever reach a payload (emitWorkspaceEvent drops every
 * other key), so a caller that passes a whole integration row cannot leak its tokens.
 */
export type WebhookEventData = {
  integrationId?: string;
  /** provider.incident: the caller's connections of that provider that failed */
  integrationIds?: string[];
  providerId?: string;
  status?: string;
  healthStatus?: string;
  message?: string | null;
  errorCode?: string | null;
  accountName?: string | null;
  /** provider.incident: how many failed, of how many checked in the sweep */
  count?: number;
  checked?: number;
  endpointId?: string;
};

export const WEBHOOK_EVENT_DATA_KEYS = [
  "integrationId",
  "integrationIds",
  "providerId",
  "status",
  "healthStatus",
  "message",
  "errorCode",
  "accountName",
  "count",
  "checked",
  "endpointId",
] as const satisfies readonly (keyof WebhookEventData)[];

/** The Standard Webhooks payload shape. */
export type WebhookPayload = { type: WebhookEventType; timestamp: string; data: WebhookEventData };
