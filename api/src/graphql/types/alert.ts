import { AlertChannelKind } from "../../generated/prisma/enums.ts";
import { builder } from "../builder.ts";
import { clientError } from "../errors.ts";
import type { Context } from "../context.ts";
import {
  ALERT_EVENTS,
  AlertInputError,
  createAlertChannel,
  deleteAlertChannel,
  maskSlackWebhookUrl,
  sendTestAlert,
  updateAlertChannel,
  webhookUrlSealedFor,
} from "../../domain/alerts/index.ts";
import { mailFrom } from "../../auth/mailer.ts";
import { sandboxSlackWebhookUrl } from "../../sandbox/slack.ts";

// Alert channels of the caller's workspace (owners and admins): where DOWN / RECOVERED /
// REAUTH_REQUIRED / MISSING_SCOPES alerts go, and each channel's delivery log. An incoming-webhook
// URL is write-only: it is shown masked.

function channelId(id: string | number): string {
  const value = String(id);
  if (value.length > 64) throw clientError("BAD_USER_INPUT", "id is too long");
  return value;
}

function actorOf(ctx: Context) {
  return { userId: ctx.viewer.userId, apiKeyId: ctx.viewer.apiKeyId };
}

async function userInput<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AlertInputError) throw clientError("BAD_USER_INPUT", error.message, undefined, { field: error.field });
    throw error;
  }
}

const notFound = () => clientError("NOT_FOUND", "No such alert channel in this workspace.");

export const AlertChannelKindEnum = builder.enumType(AlertChannelKind, {
  name: "AlertChannelKind",
  description: "EMAIL: addresses over SMTP; SLACK: a channel of the Slack workspace connected here (chat:write); SLACK_WEBHOOK: a Slack incoming-webhook URL",
});

export const AlertEventEnum = builder.enumType("AlertEvent", {
  description: "DOWN: an incident opened; RECOVERED: it closed; REAUTH_REQUIRED: a connection needs a reconnect; MISSING_SCOPES: it lacks permissions it asked for",
  values: ALERT_EVENTS,
});

builder.prismaObject("AlertDelivery", {
  authScopes: { permission: { alert: ["read"] } },
  description: "One alert sent (or to be sent) to one channel; retried with the webhook backoff",
  fields: (t) => ({
    id: t.exposeID("id"),
    event: t.exposeString("event", { description: "DOWN | RECOVERED | REAUTH_REQUIRED | MISSING_SCOPES | TEST" }),
    subject: t.exposeString("subject", { description: "The alert's subject line (the e-mail subject, the Slack message's first line)" }),
    text: t.exposeString("text", { description: "The alert's text as sent" }),
    incidentIds: t.exposeIDList("incidentIds", { description: "The incidents this alert is about (DOWN, RECOVERED)" }),
    integrationIds: t.exposeIDList("integrationIds", { description: "The connections this alert names" }),
    status: t.exposeString("status", { description: "pending | delivered | failed" }),
    attempts: t.exposeInt("attempts"),
    responseStatus: t.exposeInt("responseStatus", { nullable: true, description: "HTTP status (Slack) or SMTP reply code of the latest attempt" }),
    lastError: t.exposeString("lastError", { nullable: true, description: "Why the latest attempt failed, in words an admin can act on" }),
    durationMs: t.exposeInt("durationMs", { nullable: true, description: "How long the latest attempt took" }),
    nextAttemptAt: t.expose("nextAttemptAt", { type: "DateTime", nullable: true }),
    deliveredAt: t.expose("deliveredAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.prismaObject("AlertChannel", {
  authScopes: { permission: { alert: ["read"] } },
  description: "Where the workspace's alerts go",
  fields: (t) => ({
    id: t.exposeID("id"),
    kind: t.expose("kind", { type: AlertChannelKindEnum }),
    name: t.exposeString("name"),
    emails: t.exposeStringList("emails", { description: "EMAIL: the recipients" }),
    slackChannel: t.exposeString("slackChannel", { nullable: true, description: "SLACK: the channel (#name or id) in the connected Slack workspace" }),
    slackIntegrationId: t.exposeID("slackIntegrationId", { nullable: true, description: "SLACK: the Slack connection that posts; null: the workspace's only connected Slack" }),
    webhookUrlMasked: t.string({
      nullable: true,
      description: "SLACK_WEBHOOK: the incoming-webhook URL with its secret part hidden",
      resolve: (c, _args, ctx) => {
        if (!c.webhookUrlEnc) return null;
        try {
          return maskSlackWebhookUrl(ctx.vault.open(c.webhookUrlEnc, webhookUrlSealedFor(c.id)));
        } catch {
          return "(cannot be decrypted: missing encryption key)";
        }
      },
    }),
    events: t.field({ type: [AlertEventEnum], description: "The events this channel receives", resolve: (c) => c.events.filter((e): e is (typeof ALERT_EVENTS)[number] => (ALERT_EVENTS as readonly string[]).includes(e)) }),
    providers: t.exposeStringList("providers", { description: "Provider ids this channel hears about; empty means every provider" }),
    enabled: t.exposeBoolean("enabled"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    deliveries: t.relation("deliveries", {
      description: "Latest deliveries first",
      args: { first: t.arg.int({ defaultValue: 20 }) },
      query: (args) => ({ orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: Math.min(Math.max(args.first ?? 20, 1), 100) }),
    }),
  }),
});

type SlackChoice = { id: string; label: string; canPost: boolean };
type AlertSetup = { emailConfigured: boolean; emailFrom: string | null; slackConnected: boolean; slackCanPost: boolean; slackConnections: SlackChoice[]; sandboxWebhookUrl: string | null };

const SlackChoiceRef = builder.objectRef<SlackChoice>("AlertSlackConnection").implement({
  description: "A connected Slack workspace a SLACK channel can post through",
  fields: (t) => ({ id: t.exposeID("id"), label: t.exposeString("label"), canPost: t.exposeBoolean("canPost", { description: "It holds chat:write" }) }),
});

const AlertSetupRef = builder.objectRef<AlertSetup>("AlertSetup").implement({
  description: "What the server and the workspace offer for alert channels",
  fields: (t) => ({
    emailConfigured: t.exposeBoolean("emailConfigured", { description: "SMTP_URL is set: EMAIL channels can send" }),
    emailFrom: t.exposeString("emailFrom", { nullable: true, description: "The From address of alert e-mails (SMTP_FROM)" }),
    slackConnected: t.exposeBoolean("slackConnected", { description: "Slack is connected in this workspace: SLACK channels can post through it" }),
    slackCanPost: t.exposeBoolean("slackCanPost", { description: "A connected Slack holds chat:write" }),
    slackConnections: t.field({ type: [SlackChoiceRef], description: "The connected Slack workspaces (choose one per SLACK channel when there are several)", resolve: (s) => s.slackConnections }),
    sandboxWebhookUrl: t.exposeString("sandboxWebhookUrl", { nullable: true, description: "Sandbox mode: an incoming-webhook URL of the Slack emulator to try SLACK_WEBHOOK with" }),
  }),
});

builder.queryField("alertChannels", (t) =>
  t.prismaField({
    type: ["AlertChannel"],
    description: "The alert channels of the caller's workspace (owners and admins)",
    authScopes: { permission: { alert: ["read"] } },
    resolve: (query, _root, _args, ctx) => ctx.prisma.alertChannel.findMany({ ...query, where: { workspaceId: ctx.viewer.workspaceId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
  }),
);

builder.queryField("alertSetup", (t) =>
  t.field({
    type: AlertSetupRef,
    description: "Whether e-mail and Slack alerts can be sent from this server and workspace (owners and admins)",
    authScopes: { permission: { alert: ["read"] } },
    resolve: async (_root, _args, ctx) => {
      const slack = await ctx.prisma.integration.findMany({
        where: { workspaceId: ctx.viewer.workspaceId, providerId: "slack", status: "CONNECTED" },
        select: { id: true, label: true, account: true, grantedScopes: true },
        orderBy: { connectedAt: "asc" },
        take: 100,
      });
      const slackConnections = slack.map((s) => ({ id: s.id, label: s.label ?? (s.account as { name?: string } | null)?.name ?? "Slack", canPost: s.grantedScopes.includes("chat:write") }));
      return {
        emailConfigured: Boolean(ctx.env.SMTP_URL),
        emailFrom: ctx.env.SMTP_URL ? mailFrom(ctx.env) : null,
        slackConnected: slackConnections.length > 0,
        slackCanPost: slackConnections.some((s) => s.canPost),
        slackConnections,
        sandboxWebhookUrl: ctx.env.sandboxEnabled ? sandboxSlackWebhookUrl(ctx.env.PUBLIC_URL) : null,
      };
    },
  }),
);

const channelArgs = (t: Parameters<Parameters<typeof builder.mutationField>[1]>[0]) => ({
  name: t.arg.string(),
  emails: t.arg.stringList({ description: "EMAIL: recipients (1 to 20)" }),
  slackChannel: t.arg.string({ description: "SLACK: #name or channel id" }),
  slackIntegrationId: t.arg.id({ description: "SLACK: the Slack connection that posts (needed when several Slack workspaces are connected); \"\" goes back to the workspace's only one" }),
  webhookUrl: t.arg.string({ description: "SLACK_WEBHOOK: https://hooks.slack.com/services/…; stored encrypted, never shown again" }),
  events: t.arg({ type: [AlertEventEnum], description: "Events to receive; omitted on create: all four" }),
  providers: t.arg.stringList({ description: "Provider ids; empty: every provider" }),
  enabled: t.arg.boolean(),
});

builder.mutationField("createAlertChannel", (t) =>
  t.prismaField({
    type: "AlertChannel",
    description: "Add an alert channel",
    authScopes: { permission: { alert: ["create"] } },
    args: { kind: t.arg({ type: AlertChannelKindEnum, required: true }), ...channelArgs(t) },
    resolve: async (query, _root, { kind, ...input }, ctx) => {
      const row = await userInput(() => createAlertChannel({ services: ctx, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), kind, input }));
      return ctx.prisma.alertChannel.findUniqueOrThrow({ ...query, where: { id: row.id } });
    },
  }),
);

builder.mutationField("updateAlertChannel", (t) =>
  t.prismaField({
    type: "AlertChannel",
    description: "Change an alert channel; omitted arguments keep their value",
    authScopes: { permission: { alert: ["update"] } },
    args: { id: t.arg.id({ required: true }), ...channelArgs(t) },
    resolve: async (query, _root, { id, ...input }, ctx) => {
      const row = await userInput(() => updateAlertChannel({ services: ctx, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), id: channelId(id), input }));
      if (!row) throw notFound();
      return ctx.prisma.alertChannel.findUniqueOrThrow({ ...query, where: { id: row.id } });
    },
  }),
);

builder.mutationField("deleteAlertChannel", (t) =>
  t.boolean({
    description: "Delete an alert channel and its delivery log",
    authScopes: { permission: { alert: ["delete"] } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const deleted = await deleteAlertChannel({ prisma: ctx.prisma, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), id: channelId(args.id) });
      if (!deleted) throw notFound();
      return true;
    },
  }),
);

builder.mutationField("sendTestAlert", (t) =>
  t.prismaField({
    type: "AlertDelivery",
    description: "Send a test alert to one channel now (even a disabled one); a failed attempt is retried like any alert",
    authScopes: { permission: { alert: ["update"] } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const sent = await sendTestAlert({ services: ctx, workspaceId: ctx.viewer.workspaceId, actor: actorOf(ctx), id: channelId(args.id) });
      if (!sent) throw notFound();
      return ctx.prisma.alertDelivery.findUniqueOrThrow({ ...query, where: { id: sent.deliveryId } });
    },
  }),
);
