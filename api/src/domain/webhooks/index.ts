// Outbound webhooks: workspace events queued as deliveries in Postgres, sent by a dispatcher on
// every replica (FOR UPDATE SKIP LOCKED claims), signed the Standard Webhooks way.
export { WEBHOOK_EVENT_TYPES, isWebhookEventType, type WebhookEventType, type WebhookEventData, type WebhookPayload } from "./events.ts";
export { emitWorkspaceEvent } from "./emit-workspace-event.ts";
export { summarizeSweep, INCIDENT_MIN_FAILED, type SweepResult, type SweepTransition, type PlannedEvent, type SweepSummaryOptions } from "./summarize-sweep.ts";
export { createWebhookDispatcher, POLL_INTERVAL_MS, type WebhookDispatcher } from "./dispatcher.ts";
export { deliverOne, claimLeaseMs, USER_AGENT, type ClaimedDelivery, type DeliveryOutcome, type DeliveryServices } from "./deliver-one.ts";
export { validateWebhookUrl, type UrlCheck, type LookupAll, type ResolvedAddress, type UrlPolicyEnv } from "./url-policy.ts";
export { specialAddressRange, type SpecialRange } from "./special-address.ts";
export { sendWebhook, type SendWebhookResult } from "./send-webhook.ts";
export { BACKOFF_SCHEDULE_MS, backoffDelayMs, parseRetryAfter } from "./backoff.ts";
export { createWebhookEndpoint, type Actor } from "./create-webhook-endpoint.ts";
export { updateWebhookEndpoint, type WebhookEndpointChanges } from "./update-webhook-endpoint.ts";
export { deleteWebhookEndpoint } from "./delete-webhook-endpoint.ts";
export { sendTestWebhook } from "./send-test-webhook.ts";
export { WebhookInputError, MAX_DESCRIPTION_LENGTH } from "./input.ts";
export { generateWebhookSecret, secretSealedFor } from "./secret.ts";
