import { HealthCheckTrigger, HealthStatus, IntegrationStatus } from "../../generated/prisma/enums.ts";
import { builder } from "../builder.ts";

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
