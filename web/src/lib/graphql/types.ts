// Hand-written mirrors of the shapes the documents in ./documents.ts select from schema.graphql.
// Replace with generated types once the repo has a codegen step.

export type Role = "OWNER" | "ADMIN" | "MEMBER" | "VIEWER";
export type IntegrationStatus = "CONNECTED" | "DISCONNECTED" | "ERROR" | "REAUTH_REQUIRED";
export type HealthStatus = "HEALTHY" | "DEGRADED" | "UNHEALTHY" | "UNKNOWN";

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
};

export type Integration = {
  id: string;
  providerId: string;
  status: IntegrationStatus;
  healthStatus: HealthStatus;
  healthMessage: string | null;
  lastHealthCheckAt: string | null;
  account: { id: string | null; name: string | null; url: string | null } | null;
  grantedScopes: string[];
  missingScopes: string[];
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

export type DisconnectResult = {
  /** False when the provider could not revoke the tokens and `forget` was not asked: they are kept. */
  disconnected: boolean;
  revoked: boolean;
  revocationError: string | null;
  revocationMessage: string | null;
  integration: Integration;
};

export type DisconnectIntegrationData = { disconnectIntegration: DisconnectResult };

export type DashboardData = { providers: Provider[]; integrations: Integration[] };

export type HealthEventData = {
  healthStatus: { integrationId: string; kind: string; status: IntegrationStatus; healthStatus: HealthStatus };
};
