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

export type DashboardData = { providers: Provider[]; integrations: Integration[] };

export type HealthEventData = {
  healthStatus: { integrationId: string; kind: string; status: IntegrationStatus; healthStatus: HealthStatus };
};
