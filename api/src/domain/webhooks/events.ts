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
  // An incident opened (a connection's first failed check) or closed (its first answering
  // check), one event per alert: connections failing together come as one event (alerts/plan.ts).
  "incident.opened",
  "incident.closed",
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
  /** incident.opened / incident.closed: the incidents the alert is about, and their connections' providers */
  incidentIds?: string[];
  providerIds?: string[];
  /** incident.*: when the (first) incident started; incident.closed: when the last one ended, and how long it lasted */
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
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
  "incidentIds",
  "providerIds",
  "startedAt",
  "endedAt",
  "durationSeconds",
] as const satisfies readonly (keyof WebhookEventData)[];

/** The Standard Webhooks payload shape. */
export type WebhookPayload = { type: WebhookEventType; timestamp: string; data: WebhookEventData };
