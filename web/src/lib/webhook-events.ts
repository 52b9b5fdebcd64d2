import type { WebhookEventType } from "./graphql/types";

// The words the settings page shows for each value of the schema's WebhookEventType. The
// `satisfies` makes an event type added to the schema fail the typecheck until it has words here.
const LABELS = {
  INTEGRATION_CONNECTED: "An integration was connected",
  INTEGRATION_DISCONNECTED: "An integration was disconnected",
  INTEGRATION_REAUTH_REQUIRED: "An integration needs reconnecting",
  HEALTH_DEGRADED: "Health turned degraded",
  HEALTH_UNHEALTHY: "Health turned unhealthy",
  HEALTH_RECOVERED: "Health recovered",
  INCIDENT_OPENED: "An incident started",
  INCIDENT_CLOSED: "An incident ended",
  PROVIDER_INCIDENT: "A provider reported an incident",
  WEBHOOK_TEST: "Test events",
  UNKNOWN: "An event type this server no longer sends",
} as const satisfies Record<WebhookEventType, string>;

/**
 * The `type` of the payload an endpoint receives: the enum value in lower case with its first
 * `_` a dot (INTEGRATION_REAUTH_REQUIRED is integration.reauth_required; the API's enumName()
 * is the inverse).
 */
export function webhookEventName(type: WebhookEventType): string {
  return type.toLowerCase().replace("_", ".");
}

/** The event types an endpoint can subscribe to. */
export const WEBHOOK_EVENTS: { type: Exclude<WebhookEventType, "UNKNOWN">; name: string; label: string }[] = (
  Object.keys(LABELS) as WebhookEventType[]
)
  .filter((type): type is Exclude<WebhookEventType, "UNKNOWN"> => type !== "UNKNOWN")
  .map((type) => ({ type, name: webhookEventName(type), label: LABELS[type] }));
