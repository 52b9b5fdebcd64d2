import { createPubSub } from "graphql-yoga";
import type { HealthStatus, IntegrationStatus } from "../generated/prisma/enums.ts";

// Typed topics. Every topic is keyed by workspace, so a subscriber can only ever be attached
// to its own workspace's stream. In-memory for one process; a Redis event target (REDIS_URL)
// carries the same topics between replicas.

export type HealthEvent = {
  integrationId: string;
  workspaceId: string;
  providerId: string;
  status: IntegrationStatus;
  healthStatus: HealthStatus;
  healthMessage: string | null;
  errorCode: string | null;
  checkedAt: string;
  /** what produced the event: check | connected | disconnected | reauth_required */
  kind: string;
};

export type Topics = {
  "health:workspace": [workspaceId: string, event: HealthEvent];
};

export function createRealtime() {
  return createPubSub<Topics>();
}

export type Realtime = ReturnType<typeof createRealtime>;
