import { builder } from "../builder.ts";
import { ConnectionErrorCodeEnum, HealthEventKindEnum, HealthStatusEnum, IntegrationStatusEnum } from "./enums.ts";
import { connectionErrorCode } from "../../providers/errors.ts";
import { HEALTH_EVENT_KINDS, type HealthEvent } from "../../realtime/pubsub.ts";
import { pipe, filter } from "graphql-yoga";
import type { Metrics } from "../../http/metrics.ts";
import type { LatencyBucket } from "../../domain/health/series.ts";
import { createLoaders } from "../../domain/health/uptime.ts";

/**
 * Keeps the open-subscriptions gauge true, however the subscription ends. Not an async
 * generator on purpose: a generator's return() waits behind a pending next() (no event may come
 * for hours), so a client's "complete" would never end it; this forwards return() at once.
 */
function counted<T>(stream: AsyncIterable<T>, metrics: Metrics): AsyncIterableIterator<T> {
  const inner = stream[Symbol.asyncIterator]();
  let open = true;
  metrics.subscriptionOpened();
  const close = () => {
    if (open) {
      open = false;
      metrics.subscriptionClosed();
    }
  };
  return {
    async next() {
      const result = await inner.next();
      if (result.done) close();
      return result;
    },
    async return(value?: unknown) {
      close();
      return inner.return ? inner.return(value) : { done: true, value: value as T };
    },
    async throw(error?: unknown) {
      close();
      if (inner.throw) return inner.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

const HealthEventRef = builder.objectRef<HealthEvent>("HealthEvent").implement({
  description:
    "A check result or a status change of one connection. Select `integration { ... }` with the fields a card shows: the event then carries the card's new state and nothing needs refetching.",
  fields: (t) => ({
    integrationId: t.exposeID("integrationId"),
    providerId: t.exposeString("providerId"),
    // An event from a replica of another version (Redis) may carry a kind this one does not know.
    kind: t.field({ type: HealthEventKindEnum, resolve: (e) => (HEALTH_EVENT_KINDS.includes(e.kind) ? e.kind : "check") }),
    status: t.field({ type: IntegrationStatusEnum, resolve: (e) => e.status }),
    healthStatus: t.field({ type: HealthStatusEnum, resolve: (e) => e.healthStatus }),
    healthMessage: t.exposeString("healthMessage", { nullable: true }),
    errorCode: t.field({ type: ConnectionErrorCodeEnum, nullable: true, resolve: (e) => connectionErrorCode(e.errorCode) }),
    checkedAt: t.expose("checkedAt", { type: "DateTime" }),
    integration: t.prismaField({
      type: "Integration",
      nullable: true,
      description:
        "The connection as it is after this event, read when the event is delivered (any Integration field: state, uptime, lastError, healthHistory ...); null when it no longer exists. One read per event per distinct subscription, shared by every subscriber of that subscription.",
      // The subscriber's own workspace, as every read: the event's topic already is, this keeps it so.
      resolve: (query, e, _args, ctx) => ctx.prisma.integration.findFirst({ ...query, where: { id: e.integrationId, workspaceId: ctx.viewer.workspaceId } }),
    }),
  }),
});

builder.subscriptionField("healthStatus", (t) =>
  t.field({
    type: HealthEventRef,
    description: "Health events of one connection, or of the whole workspace when integrationId is omitted",
    authScopes: { permission: { integration: ["read"] } },
    args: { integrationId: t.arg.id({ required: false }) },
    // The topic is the caller's own workspace: events of other workspaces never reach this stream.
    subscribe: (_root, args, ctx) => {
      const stream = ctx.realtime.subscribe("health:workspace", ctx.viewer.workspaceId);
      const id = args.integrationId ? String(args.integrationId) : null;
      const events = id ? pipe(stream, filter((e: HealthEvent) => e.integrationId === id)) : stream;
      // Over graphql-ws one execution serves many subscribers, and the transport counts them.
      return ctx.sharedSubscription ? events : counted(events, ctx.metrics);
    },
    // A subscription keeps one context for its whole life, and the loaders behind uptime,
    // healthHistory and lastError cache per context: each event gets fresh ones, or the event
    // would carry the answers read for the first one. Events of one subscription are executed
    // one after another, so replacing them here cannot change a read in flight.
    resolve: (event, _args, ctx) => {
      ctx.loaders = createLoaders(ctx.prisma);
      return event;
    },
  }),
);

// Bucketed latency for the detail page's chart (domain/health/series.ts), from the rollups the
// check writer keeps: the chart no longer has to page through raw checks for 7 or 30 days.
const HealthRangeEnum = builder.enumType("HealthRange", {
  description: "A window of the health rollups, in whole UTC buckets including the current one",
  values: {
    LAST_24H: { description: "The current hour and the 23 before it, in hourly buckets" },
    LAST_7D: { description: "The current hour and the 167 before it, in hourly buckets" },
    LAST_30D: { description: "Today (UTC) and the 29 days before it, in daily buckets" },
  } as const,
});

const LatencyBucketRef = builder.objectRef<LatencyBucket>("LatencyBucket").implement({
  description: "The checks of one connection in one hourly or daily UTC bucket",
  fields: (t) => ({
    start: t.expose("start", { type: "DateTime", description: "The start of the bucket (UTC)" }),
    checks: t.exposeInt("checks"),
    upChecks: t.exposeInt("upChecks", { description: "Checks that found the provider answering (Uptime's rule); the others are down" }),
    latencyAvgMs: t.exposeFloat("latencyAvgMs", { description: "Average latency of every check in the bucket" }),
    latencyMinMs: t.exposeInt("latencyMinMs"),
    latencyMaxMs: t.exposeInt("latencyMaxMs"),
    upLatencyAvgMs: t.exposeFloat("upLatencyAvgMs", { nullable: true, description: "Average latency of the up checks only (timeouts left out); null when none was up" }),
  }),
});

builder.prismaObjectField("Integration", "latencySeries", (t) =>
  t.field({
    type: [LatencyBucketRef],
    description:
      "Checks and latency per bucket over a window, oldest first: hourly buckets for LAST_24H and LAST_7D, daily for LAST_30D. Buckets without checks are left out. Read from rollups, so it does not depend on how much raw history is kept",
    args: { range: t.arg({ type: HealthRangeEnum, defaultValue: "LAST_24H" }) },
    resolve: (integration, args, ctx) => ctx.loaders.latencySeries.load({ integrationId: integration.id, range: args.range ?? "LAST_24H" }),
  }),
);
