import type { ResultOf, VariablesOf } from "./graphql";
import { graphql } from "./graphql";
import type {
  API_KEYS_QUERY,
  AUDIT_EVENTS_QUERY,
  CONNECTION_COUNT_FIELDS,
  CREATE_API_KEY_MUTATION,
  DASHBOARD_QUERY,
  HEALTH_CHECK_FIELDS,
  INCIDENT_FIELDS,
  INTEGRATION_DETAIL_QUERY,
  INTEGRATION_FIELDS,
  INVITATION_FIELDS,
  INVITE_MEMBER_MUTATION,
  MEMBER_FIELDS,
  PROVIDER_FIELDS,
  TEST_RESULT_FIELDS,
  VIEWER_QUERY,
  WEBHOOK_DELIVERY_FIELDS,
  WEBHOOK_ENDPOINT_FIELDS,
} from "./documents";

// Names for the shapes components pass around, derived from the documents in ./documents.ts
// (and so from schema.graphql): never written field by field.

type Scalar<Name extends string> = ReturnType<typeof graphql.scalar<Name>>;

export type Role = Scalar<"Role">;
export type IntegrationStatus = Scalar<"IntegrationStatus">;
export type HealthStatus = Scalar<"HealthStatus">;
export type IntegrationState = Scalar<"IntegrationState">;
export type HealthCheckTrigger = Scalar<"HealthCheckTrigger">;
export type ConnectionErrorCode = Scalar<"ConnectionErrorCode">;
export type HealthEventKind = Scalar<"HealthEventKind">;
export type WebhookEventType = Scalar<"WebhookEventType">;
export type ApiKeyPermission = Scalar<"ApiKeyPermission">;

export type Viewer = NonNullable<ResultOf<typeof VIEWER_QUERY>["viewer"]>;
export type ViewerPermissions = Viewer["permissions"];

export type Provider = ResultOf<typeof PROVIDER_FIELDS>;
export type Integration = ResultOf<typeof INTEGRATION_FIELDS>;
/** The connection's current error, with the provider's HTTP status, endpoint and own words. */
export type IntegrationError = NonNullable<Integration["lastError"]>;
/** One of the last checks a card draws as its strip. */
export type RecentCheck = Integration["recentChecks"][number];
export type TestResult = ResultOf<typeof TEST_RESULT_FIELDS>;
export type DashboardData = ResultOf<typeof DASHBOARD_QUERY>;
/** Query.integrations' filter (provider ids, states, statuses, health). */
export type IntegrationFilterInput = NonNullable<VariablesOf<typeof DASHBOARD_QUERY>["filter"]>;
/** One provider's connections in the workspace, by state (Query.integrationCounts). */
export type ConnectionCount = ResultOf<typeof CONNECTION_COUNT_FIELDS>;
export type HealthCheck = ResultOf<typeof HEALTH_CHECK_FIELDS>;
export type IntegrationDetail = NonNullable<ResultOf<typeof INTEGRATION_DETAIL_QUERY>["integration"]>;

export type ApiKey = ResultOf<typeof API_KEYS_QUERY>["apiKeys"][number];
export type CreatedApiKey = ResultOf<typeof CREATE_API_KEY_MUTATION>["createApiKey"];
export type Member = ResultOf<typeof MEMBER_FIELDS>;
export type Invitation = ResultOf<typeof INVITATION_FIELDS>;
/** inviteMember's answer: the link is shown this once. */
export type CreatedInvitation = ResultOf<typeof INVITE_MEMBER_MUTATION>["inviteMember"];
export type AuditEvent = ResultOf<typeof AUDIT_EVENTS_QUERY>["auditEvents"][number];
export type WebhookDelivery = ResultOf<typeof WEBHOOK_DELIVERY_FIELDS>;
export type WebhookEndpoint = ResultOf<typeof WEBHOOK_ENDPOINT_FIELDS>;
/** A connection's stretch of failure. */
export type Incident = ResultOf<typeof INCIDENT_FIELDS>;

/** GET /api/auth/invitation?token=… (REST, not GraphQL): what the invite page shows before signing in. */
export type InvitationPreview = { email: string; workspaceName: string; role: Role; expiresAt: string };
