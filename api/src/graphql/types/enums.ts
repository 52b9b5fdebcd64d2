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
