import { HealthCheckTrigger, HealthStatus, IntegrationStatus } from "../../generated/prisma/enums.ts";
import { builder } from "../builder.ts";
import { CONNECTION_ERROR_CODES, checkOnlyCodes, oauthErrorCodes, type ConnectionErrorCode, type OAuthErrorCode } from "../../providers/errors.ts";
import { HEALTH_EVENT_KINDS, healthEventKinds, type HealthEventKind } from "../../realtime/pubsub.ts";
import { WEBHOOK_EVENT_TYPES, isWebhookEventType, type WebhookEventType } from "../../domain/webhooks/events.ts";

export const IntegrationStatusEnum = builder.enumType(IntegrationStatus, {
  name: "IntegrationStatus",
  description: "Whether a connection holds usable credentials",
});

export const HealthStatusEnum = builder.enumType(HealthStatus, {
  name: "HealthStatus",
  description: "The result of the latest health checks, after thresholds",
});

export const IntegrationStateEnum = builder.enumType("IntegrationState", {
  description: "The one state a card shows: the connection's status, health, failure count and scopes together",
  values: {
    HEALTHY: { description: "Connected and answering (possibly slowly or rate limited)" },
    FAILING: { description: "Connected; the latest checks failed, fewer than the threshold (consecutiveFailures of unhealthyAfter)" },
    UNHEALTHY: { description: "Connected; failed the threshold's number of checks in a row, or has not recovered yet" },
    REAUTH_REQUIRED: { description: "The provider refused the grant: reconnect" },
    MISSING_SCOPES: { description: "Connected and answering, without every requested scope" },
    NOT_CONNECTED: { description: "No connection" },
    UNKNOWN: { description: "Connected, not checked yet" },
  } as const,
});

export const HealthCheckTriggerEnum = builder.enumType(HealthCheckTrigger, { name: "HealthCheckTrigger" });

export const RoleEnum = builder.enumType("Role", {
  description: "A member's role in a workspace: viewers read, members also test, admins and owners also connect, disconnect and manage keys",
  values: {
    OWNER: { value: "owner" },
    ADMIN: { value: "admin" },
    MEMBER: { value: "member" },
    VIEWER: { value: "viewer" },
  } as const,
});

/** "provider_error" → "PROVIDER_ERROR", "integration.reauth_required" → "INTEGRATION_REAUTH_REQUIRED". */
export const enumName = (value: string) => value.toUpperCase().replace(/[^A-Z0-9]+/g, "_");

// Connection error codes: the catalogue in providers/errors.ts (with a description each) plus the
// codes only checks store. GraphQL names are upper case; resolvers hand Pothos the stored lower
// snake value, and `connectionErrorCode()` maps a stored code this build does not know to UNKNOWN.
export const ConnectionErrorCodeEnum = builder.enumType("ConnectionErrorCode", {
  description:
    "Why a connection, a check, a step or an incident failed. Stored and sent in webhooks in lower snake case (provider_error); GraphQL names them in upper case (PROVIDER_ERROR). UNKNOWN: a stored code this server version does not know.",
  values: Object.fromEntries(
    CONNECTION_ERROR_CODES.map((code) => [enumName(code), { value: code, description: code in oauthErrorCodes ? oauthErrorCodes[code as OAuthErrorCode] : checkOnlyCodes[code as keyof typeof checkOnlyCodes] }]),
  ) as Record<string, { value: ConnectionErrorCode; description: string }>,
});

export const HealthEventKindEnum = builder.enumType("HealthEventKind", {
  description: "What produced a health event",
  values: Object.fromEntries(HEALTH_EVENT_KINDS.map((kind) => [enumName(kind), { value: kind, description: healthEventKinds[kind] }])) as Record<string, { value: HealthEventKind; description: string }>,
});

// Derived from domain/webhooks/events.ts's list, so a type added there is a value here.
export const WebhookEventTypeEnum = builder.enumType("WebhookEventType", {
  description: "Events a webhook endpoint can receive; the payload's `type` is the lower-case dotted value (INTEGRATION_CONNECTED is integration.connected). UNKNOWN: a stored type this server version no longer sends (never accepted as input).",
  values: Object.fromEntries([...WEBHOOK_EVENT_TYPES.map((type) => [enumName(type), { value: type, description: type }] as const), ["UNKNOWN", { value: "unknown", description: "A stored type this server version does not know" }] as const]) as Record<
    string,
    { value: WebhookEventType | "unknown"; description: string }
  >,
});

/** A stored webhook event type as GraphQL may answer it. */
export function webhookEventType(value: string): WebhookEventType | "unknown" {
  return isWebhookEventType(value) ? value : "unknown";
}
