import type { WebhookEndpoint } from "../../generated/prisma/client.ts";
import { builder } from "../builder.ts";
import { WebhookEventTypeEnum, webhookEventType } from "./enums.ts";
import { clientError } from "../errors.ts";
import type { Context } from "../context.ts";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  sendTestWebhook,
  updateWebhookEndpoint,
  WebhookInputError,
} from "../../domain/webhooks/index.ts";
import type { WebhookEventType } from "../../domain/webhooks/events.ts";

// Webhook endpoints of the caller's workspace (owners and admins). The signing secret is
// returned once by createWebhookEndpoint and is no field of WebhookEndpoint.

function endpointId(id: string | number): string {
  const value = String(id);
  if (value.length > 64) throw clientError("BAD_USER_INPUT", "id is too long");
  return value;
}

function actorOf(ctx: Context) {
  return { userId: ctx.viewer.userId, apiKeyId: ctx.viewer.apiKeyId };
}

/** Runs a domain call, turning its input errors into BAD_USER_INPUT with the field named. */
async function userInput<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof WebhookInputError) throw clientError("BAD_USER_INPUT", error.message, undefined, { field: error.field });
    throw error;
  }
}

const notFound = () => clientError("NOT_FOUND", "No such webhook endpoint in this workspace.");

builder.prismaObject("WebhookDelivery", {
  authScopes: { permission: { webhook: ["read"] } },
  description: "One event sent (or to be sent) to one endpoint; `messageId` is the `webhook-id` header, the same across retries",
  fields: (t) => ({
    id: t.exposeID("id"),
    messageId: t.exposeString("messageId"),
    eventType: t.field({ type: WebhookEventTypeEnum, description: "The payload's `type` (lower-case dotted on the wire)", resolve: (d) => webhookEventType(d.eventType) }),
    status: t.exposeString("status", { description: "pending | delivered | failed" }),
    attempts: t.exposeInt("attempts"),
    responseStatus: t.exposeInt("responseStatus", { nullable: true, description: "HTTP status of the latest attempt" }),
    lastError: t.exposeString("lastError", { nullable: true, description: "Why the latest attempt failed (status, redirect, connection); never what the receiver answered" }),
    durationMs: t.exposeInt("durationMs", { nullable: true, description: "How long the latest attempt took" }),
    responseHeaders: t.string({
      nullable: true,
      description: "JSON of an allowlist of the latest answer's headers (content-type, content-length, retry-after, server, date, location, x-request-id); the body is never kept",
      resolve: (d) => (d.responseHeaders && typeof d.responseHeaders === "object" ? JSON.stringify(d.responseHeaders) : null),
    }),
    nextAttemptAt: t.expose("nextAttemptAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const WebhookEndpointRef = builder.prismaObject("WebhookEndpoint", {
  authScopes: { permission: { webhook: ["read"] } },
  description: "A URL that receives the workspace's events, signed per the Standard Webhooks spec",
  fields: (t) => ({
    id: t.exposeID("id"),
    url: t.exposeString("url"),
    description: t.exposeString("description", { nullable: true }),
    events: t.field({
      type: [WebhookEventTypeEnum],
      description: "Subscribed event types; empty means every event",
      // A type a later version dropped is no longer sent: leave it out rather than fail the query.
      resolve: (e) => e.events.filter((type) => webhookEventType(type) !== "unknown") as WebhookEventType[],
    }),
    enabled: t.exposeBoolean("enabled"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    deliveries: t.relation("deliveries", {
      description: "Latest deliveries first",
      args: { first: t.arg.int({ defaultValue: 20 }) },
      query: (args) => ({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: Math.min(Math.max(args.first ?? 20, 1), 100) }),
    }),
  }),
});

const CreatedWebhookEndpointRef = builder.objectRef<{ endpoint: WebhookEndpoint; secret: string }>("CreatedWebhookEndpoint").implement({
  description: "A new endpoint. `secret` (whsec_...) is shown this once; the server keeps it encrypted.",
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, resolve: (r) => r.endpoint }),
    secret: t.exposeString("secret"),
  }),
});

builder.queryField("webhookEndpoints", (t) =>
  t.prismaField({
    type: ["WebhookEndpoint"],
    description: "The webhook endpoints of the caller's workspace (owners and admins)",
    authScopes: { permission: { webhook: ["read"] } },
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.webhookEndpoint.findMany({ ...query, where: { workspaceId: ctx.viewer.workspaceId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
  }),
);

builder.mutationField("createWebhookEndpoint", (t) =>
  t.field({
    type: CreatedWebhookEndpointRef,
    description: "Register a webhook endpoint; the response holds its signing secret, shown once",
    authScopes: { permission: { webhook: ["create"] } },
    args: {
      url: t.arg.string({ required: true }),
      events: t.arg({ type: [WebhookEventTypeEnum], description: "Event types to receive; omitted or empty means every event (UNKNOWN is refused)" }),
      description: t.arg.string(),
    },
    resolve: (_root, args, ctx) =>
      userInput(() =>
        createWebhookEndpoint({ prisma: ctx.prisma, vault: ctx.vault, env: ctx.env, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), url: args.url, events: args.events, description: args.description }),
      ),
  }),
);

builder.mutationField("updateWebhookEndpoint", (t) =>
  t.prismaField({
    type: "WebhookEndpoint",
    description: "Change an endpoint; omitted arguments keep their value",
    authScopes: { permission: { webhook: ["update"] } },
    args: {
      id: t.arg.id({ required: true }),
      url: t.arg.string(),
      events: t.arg({ type: [WebhookEventTypeEnum], description: "Event types to receive; empty means every event (UNKNOWN is refused)" }),
      description: t.arg.string(),
      enabled: t.arg.boolean(),
    },
    resolve: async (query, _root, { id, ...changes }, ctx) => {
      const updated = await userInput(() =>
        updateWebhookEndpoint({ prisma: ctx.prisma, env: ctx.env, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), id: endpointId(id), changes }),
      );
      if (!updated) throw notFound();
      return ctx.prisma.webhookEndpoint.findUniqueOrThrow({ ...query, where: { id: updated.id } });
    },
  }),
);

builder.mutationField("deleteWebhookEndpoint", (t) =>
  t.boolean({
    description: "Delete an endpoint and its delivery log",
    authScopes: { permission: { webhook: ["delete"] } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const deleted = await deleteWebhookEndpoint({ prisma: ctx.prisma, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), id: endpointId(args.id) });
      if (!deleted) throw notFound();
      return true;
    },
  }),
);

builder.mutationField("sendTestWebhook", (t) =>
  t.prismaField({
    type: "WebhookDelivery",
    description: "Send a signed `webhook.test` event to one endpoint now; failed attempts are retried like any delivery",
    authScopes: { permission: { webhook: ["update"] } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const sent = await sendTestWebhook({ prisma: ctx.prisma, vault: ctx.vault, logger: ctx.logger, env: ctx.env, workspaceId: ctx.viewer.workspaceId, endpointId: endpointId(args.id) });
      if (!sent) throw notFound();
      return ctx.prisma.webhookDelivery.findUniqueOrThrow({ ...query, where: { id: sent.deliveryId } });
    },
  }),
);
