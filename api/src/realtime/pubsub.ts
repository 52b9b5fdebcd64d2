import { createPubSub } from "graphql-yoga";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { Redis } from "ioredis";
import type { HealthStatus, IntegrationStatus } from "../generated/prisma/enums.ts";
import type { Logger } from "../logger.ts";

// Typed topics. Every topic is keyed by workspace, so a subscriber can only ever be attached
// to its own workspace's stream. In-memory for one process; with REDIS_URL, a Redis event
// target carries the same topics between replicas (a check on replica B reaches a browser
// connected to replica A).

/** What produces a health event (GraphQL's HealthEventKind, upper case there). */
export const healthEventKinds = {
  check: "A health check finished (scheduled, Test connection, or a sandbox fault checked at once)",
  connected: "Connected, or reconnected",
  disconnected: "Disconnected: tokens deleted (also after `forget`)",
  revocation_failed: "A disconnect could not revoke at the provider; the tokens were kept (lastRevocation says why)",
  reauth_required: "The provider refused the grant (a check or a refresh): reconnect",
  scopes_changed: "A check found that the provider grants other scopes than before",
  removed: "The connection no longer exists; `integration` is null",
} as const;

export type HealthEventKind = keyof typeof healthEventKinds;
export const HEALTH_EVENT_KINDS = Object.keys(healthEventKinds) as HealthEventKind[];

export type HealthEvent = {
  integrationId: string;
  workspaceId: string;
  providerId: string;
  status: IntegrationStatus;
  healthStatus: HealthStatus;
  healthMessage: string | null;
  errorCode: string | null;
  checkedAt: string;
  kind: HealthEventKind;
};

/**
 * Someone's authority changed: open sockets and SSE streams of that principal must close (or
 * re-check) at once, on every replica. Exactly one of the principal fields is set.
 */
export type AccessChange = {
  /** session: signed out or expired; apiKey: revoked; membership: removed or role changed */
  kind: "session" | "apiKey" | "membership";
  /** A user's sockets (membership: in `workspaceId` only; session: every session of the user when no sessionId). */
  userId?: string;
  /** The session that ended (better-auth session id). */
  sessionId?: string;
  apiKeyId?: string;
  workspaceId?: string;
  at: string;
};

export type Topics = {
  "health:workspace": [workspaceId: string, event: HealthEvent];
  /** Not keyed by workspace: every replica's socket registry listens to all changes. */
  "access:changed": [event: AccessChange];
};

/** Tells every replica that a principal's authority changed (see AccessChange). */
export function publishAccessChange(realtime: Realtime, change: Omit<AccessChange, "at">): void {
  realtime.publish("access:changed", { ...change, at: new Date().toISOString() });
}

export type Realtime = ReturnType<typeof createPubSub<Topics>> & { close(): Promise<void> };

/**
 * Publishes a connection's new state to its workspace's subscribers. The event names the
 * connection; GraphQL's HealthEvent.integration reads the row once per distinct subscription, so
 * a card updates from the event without refetching its page.
 */
export function publishIntegrationEvent(
  realtime: Realtime,
  row: { id: string; workspaceId: string; providerId: string },
  state: { status: IntegrationStatus; healthStatus: HealthStatus; healthMessage?: string | null; errorCode?: string | null; kind: HealthEventKind; at?: Date },
): void {
  realtime.publish("health:workspace", row.workspaceId, {
    integrationId: row.id,
    workspaceId: row.workspaceId,
    providerId: row.providerId,
    status: state.status,
    healthStatus: state.healthStatus,
    healthMessage: state.healthMessage ?? null,
    errorCode: state.errorCode ?? null,
    checkedAt: (state.at ?? new Date()).toISOString(),
    kind: state.kind,
  });
}

export function createRealtime({ redisUrl, logger }: { redisUrl?: string; logger?: Logger } = {}): Realtime {
  if (!redisUrl) return Object.assign(createPubSub<Topics>(), { close: async () => {} });
  const options = {
    // Keep trying through a Redis restart; commands wait in the offline queue meanwhile.
    maxRetriesPerRequest: null,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 5000),
    lazyConnect: false,
  };
  const publishClient = new Redis(redisUrl, options);
  const subscribeClient = new Redis(redisUrl, options);
  for (const [name, client] of [["publish", publishClient], ["subscribe", subscribeClient]] as const) {
    // The message only: an error object could carry the URL with its password.
    client.on("error", (error: Error) => logger?.warn({ client: name, reason: error.message.replace(/\/\/[^@]*@/, "//") }, "redis connection problem"));
  }
  const pubsub = createPubSub<Topics>({ eventTarget: createRedisEventTarget({ publishClient, subscribeClient }) });
  return Object.assign(pubsub, {
    async close() {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  });
}
