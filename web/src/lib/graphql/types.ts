// Hand-written mirrors of the shapes the documents in ./documents.ts select from schema.graphql.
// Replace with generated types once the repo has a codegen step.

export type Role = "OWNER" | "ADMIN" | "MEMBER" | "VIEWER";
export type IntegrationStatus = "CONNECTED" | "DISCONNECTED" | "ERROR" | "REAUTH_REQUIRED";
export type HealthStatus = "HEALTHY" | "DEGRADED" | "UNHEALTHY" | "UNKNOWN";
export type IntegrationState = "HEALTHY" | "FAILING" | "UNHEALTHY" | "REAUTH_REQUIRED" | "MISSING_SCOPES" | "NOT_CONNECTED" | "UNKNOWN";
export type HealthCheckTrigger = "SCHEDULED" | "MANUAL" | "CALLBACK";

export type Viewer = {
  role: Role;
  /** "session" or "apiKey" */
  authenticatedWith: string;
  user: { id: string; name: string; email: string };
  workspace: { id: string; name: string };
};

export type Provider = {
  id: string;
  name: string;
  description: string;
  configured: boolean;
  sandbox: boolean;
  redirectUri: string;
  scopes: string[];
  /** "slack" | "hubspot" | "google" | "salesforce" | "oidc" | "oauth2" */
  type: string;
  /** Connect must ask which org (Salesforce: production, sandbox or a My Domain). */
  orgChoice: boolean;
};

export type Integration = {
  id: string;
  providerId: string;
  status: IntegrationStatus;
  healthStatus: HealthStatus;
  /** The one state the card shows (schema enum IntegrationState). */
  state: IntegrationState;
  /** Failed checks in a row, and how many make it UNHEALTHY: "Failing 1 of 3". */
  consecutiveFailures: number;
  unhealthyAfter: number;
  healthMessage: string | null;
  lastHealthCheckAt: string | null;
  nextHealthCheckAt: string | null;
  uptime: Pick<Uptime, "last24h">;
  account: { id: string | null; name: string | null; url: string | null } | null;
  grantedScopes: string[];
  /** What the provider grants now, read live, minus what Switchboard asks for. */
  missingScopes: string[];
  suggestedAction: string | null;
  /** The org this connection was made with (`production`, `sandbox` or `https://NAME.my.salesforce.com`); null for providers without an org choice. */
  org: string | null;
};

export type HealthCheckStep = {
  /** "token" | "api" | "identity" | "scopes" */
  step: string;
  ok: boolean;
  latencyMs: number;
  code: string | null;
  message: string | null;
};

export type TestResult = {
  status: HealthStatus;
  steps: HealthCheckStep[];
  errorCode: string | null;
  message: string | null;
  latencyMs: number;
  checkedAt: string;
  integration: Integration;
};

export type TestIntegrationData = { testIntegration: TestResult };
export type TestAllIntegrationsData = { testAllIntegrations: TestResult[] };

export type DisconnectResult = {
  /** False when the provider could not revoke the tokens and `forget` was not asked: they are kept. */
  disconnected: boolean;
  revoked: boolean;
  /** The provider said the grant was already gone (access removed at the provider); the tokens were deleted. */
  alreadyRevoked: boolean;
  revocationError: string | null;
  revocationMessage: string | null;
  integration: Integration;
};

export type DisconnectIntegrationData = { disconnectIntegration: DisconnectResult };

export type DashboardData = { providers: Provider[]; integrations: Integration[] };

export type HealthEvent = {
  integrationId: string;
  providerId: string;
  /** "check" | "connected" | "disconnected" | "reauth_required" */
  kind: string;
  status: IntegrationStatus;
  healthStatus: HealthStatus;
  checkedAt: string;
};

export type HealthEventData = { healthStatus: HealthEvent };

export type HealthCheckStepResult = { step: string; ok: boolean; latencyMs: number; code: string | null };

export type HealthCheck = {
  id: string;
  status: HealthStatus;
  trigger: HealthCheckTrigger;
  latencyMs: number;
  /** Each layer of the check; absent in objects built before the API had it. */
  steps?: HealthCheckStepResult[];
  errorCode: string | null;
  message: string | null;
  checkedAt: string;
};

export type Uptime = { last24h: number | null; last7d: number | null; last30d: number | null; checks30d: number };

export type IntegrationDetail = Omit<Integration, "uptime"> & {
  provider: Provider | null;
  connectedAt: string | null;
  healthErrorCode: string | null;
  uptime: Uptime;
  healthHistory: HealthCheck[];
};

export type IntegrationDetailData = { integration: IntegrationDetail | null };
export type HealthHistoryData = { integration: { id: string; healthHistory: HealthCheck[] } | null };

export type ApiKey = {
  id: string;
  name: string;
  start: string | null;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
};

export type CreatedApiKey = { id: string; name: string; start: string | null; createdAt: string; key: string };

export type Member = {
  id: string;
  role: Role;
  joinedAt: string;
  user: { id: string; name: string; email: string };
};

export type Invitation = {
  id: string;
  email: string;
  role: Role;
  /** "pending" | "accepted" | "revoked" */
  status: string;
  expiresAt: string;
  createdAt: string;
  invitedBy: { id: string; name: string; email: string };
};

/** inviteMember's answer: the link is shown this once. */
export type CreatedInvitation = Invitation & { acceptUrl: string };

/** GET /api/auth/invitation?token=…: what the invite page shows before signing in. */
export type InvitationPreview = { email: string; workspaceName: string; role: Role; expiresAt: string };

export type AcceptInvitationData = { acceptInvitation: { role: Role; workspace: { id: string; name: string } } };

export type AuditEvent = {
  id: string;
  action: string;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  targetType: string | null;
  targetId: string | null;
  /** JSON text */
  details: string | null;
  createdAt: string;
};

export type WebhookDelivery = {
  id: string;
  messageId: string;
  eventType: string;
  /** "pending" | "delivered" | "failed" */
  status: string;
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export type WebhookEndpoint = {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  createdAt: string;
  deliveries: WebhookDelivery[];
};

/** A connection's stretch of failure (schema type Incident). */
export type Incident = {
  id: string;
  startedAt: string;
  /** Null while it is open. */
  endedAt: string | null;
  /** Until now while it is open. */
  durationSeconds: number;
  errorCode: string | null;
  message: string | null;
  checksFailed: number;
  alertsSent: number;
  open: boolean;
  integration: { id: string; provider: { id: string; name: string } | null };
};

export type IncidentsData = { incidents: Incident[] };
export type IntegrationIncidentsData = { integration: { id: string; incidents: Incident[] } | null };
