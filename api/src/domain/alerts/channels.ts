import type { AlertChannel, PrismaClient } from "../../generated/prisma/client.ts";
import { recordAudit } from "../integrations/audit.ts";
import { claimLeaseMs } from "../webhooks/deliver-one.ts";
import type { LookupAll } from "../webhooks/url-policy.ts";
import { CHANNEL_SELECT, deliverAlert } from "./dispatcher.ts";
import type { AlertChannelKind } from "./events.ts";
import { AlertInputError, checkEmails, checkEvents, checkName, checkProviders, checkSlackChannel, checkSlackWebhookUrl } from "./input.ts";
import { composeTestAlert } from "./message.ts";
import { webhookUrlSealedFor, type AlertServices } from "./send.ts";

// Channels of a workspace: created, changed, deleted and tested by owners and admins, each
// audited. The audit row never holds an incoming-webhook URL (its path is the secret) or the
// recipients' addresses beyond their count.

export type Actor = { userId: string; apiKeyId?: string };

export type ChannelInput = {
  name?: string | null;
  emails?: string[] | null;
  slackChannel?: string | null;
  /** SLACK: the Slack connection that posts; "" clears it (the workspace's only Slack connection) */
  slackIntegrationId?: string | null;
  webhookUrl?: string | null;
  events?: string[] | null;
  providers?: string[] | null;
  enabled?: boolean | null;
};

function auditMetadata(row: Pick<AlertChannel, "kind" | "name" | "events" | "providers" | "enabled" | "emails" | "slackChannel">) {
  return { kind: row.kind, name: row.name, events: row.events, providers: row.providers, enabled: row.enabled, recipients: row.emails.length, slackChannel: row.slackChannel };
}

/** A Slack connection of this workspace, or null for "the workspace's only one". */
async function checkSlackConnection(prisma: PrismaClient, workspaceId: string, id: string | null | undefined): Promise<string | null> {
  if (!id) return null;
  if (id.length > 64) throw new AlertInputError("slackIntegrationId", "That is not a connection id.");
  const row = await prisma.integration.findFirst({ where: { id, workspaceId, providerId: "slack" }, select: { id: true } });
  if (!row) throw new AlertInputError("slackIntegrationId", "No Slack connection with that id in this workspace.");
  return row.id;
}

export async function createAlertChannel({
  services,
  workspaceId,
  actor,
  kind,
  input,
  lookup,
}: {
  services: AlertServices;
  workspaceId: string;
  actor: Actor;
  kind: AlertChannelKind;
  input: ChannelInput;
  lookup?: LookupAll;
}): Promise<AlertChannel> {
  const { prisma, vault, env, catalog } = services;
  const name = checkName(input.name);
  const events = checkEvents(input.events);
  const providers = checkProviders(input.providers, catalog.map((p) => p.id));
  const id = crypto.randomUUID();
  const data = {
    id,
    workspaceId,
    kind,
    name,
    events,
    providers,
    enabled: input.enabled ?? true,
    emails: kind === "EMAIL" ? checkEmails(input.emails) : [],
    slackChannel: kind === "SLACK" ? checkSlackChannel(input.slackChannel) : null,
    slackIntegrationId: kind === "SLACK" ? await checkSlackConnection(prisma, workspaceId, input.slackIntegrationId) : null,
    webhookUrlEnc: kind === "SLACK_WEBHOOK" ? vault.seal(await checkSlackWebhookUrl(input.webhookUrl, env, lookup), webhookUrlSealedFor(id)) : null,
    keyId: kind === "SLACK_WEBHOOK" ? vault.activeKeyId : null,
  };
  return prisma.$transaction(async (tx) => {
    const row = await tx.alertChannel.create({ data });
    await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "alert_channel.created", targetType: "alert_channel", targetId: id, metadata: auditMetadata(row) });
    return row;
  });
}

/** Null when the workspace has no such channel. Omitted fields keep their value. */
export async function updateAlertChannel({
  services,
  workspaceId,
  actor,
  id,
  input,
  lookup,
}: {
  services: AlertServices;
  workspaceId: string;
  actor: Actor;
  id: string;
  input: ChannelInput;
  lookup?: LookupAll;
}): Promise<AlertChannel | null> {
  const { prisma, vault, env, catalog } = services;
  const current = await prisma.alertChannel.findFirst({ where: { id, workspaceId } });
  if (!current) return null;
  const data: Partial<AlertChannel> = {};
  if (input.name !== undefined && input.name !== null) data.name = checkName(input.name);
  if (input.events !== undefined && input.events !== null) data.events = checkEvents(input.events);
  if (input.providers !== undefined && input.providers !== null) data.providers = checkProviders(input.providers, catalog.map((p) => p.id));
  if (input.enabled !== undefined && input.enabled !== null) data.enabled = input.enabled;
  if (input.emails !== undefined && input.emails !== null) {
    if (current.kind !== "EMAIL") throw new AlertInputError("emails", "Only an e-mail channel has addresses.");
    data.emails = checkEmails(input.emails);
  }
  if (input.slackChannel !== undefined && input.slackChannel !== null) {
    if (current.kind !== "SLACK") throw new AlertInputError("slackChannel", "Only a Slack channel has a Slack channel name.");
    data.slackChannel = checkSlackChannel(input.slackChannel);
  }
  if (input.slackIntegrationId !== undefined && input.slackIntegrationId !== null) {
    if (current.kind !== "SLACK") throw new AlertInputError("slackIntegrationId", "Only a Slack channel posts through a Slack connection.");
    data.slackIntegrationId = await checkSlackConnection(prisma, workspaceId, input.slackIntegrationId);
  }
  let urlChanged = false;
  if (input.webhookUrl !== undefined && input.webhookUrl !== null) {
    if (current.kind !== "SLACK_WEBHOOK") throw new AlertInputError("webhookUrl", "Only a Slack incoming-webhook channel has a webhook URL.");
    data.webhookUrlEnc = vault.seal(await checkSlackWebhookUrl(input.webhookUrl, env, lookup), webhookUrlSealedFor(id));
    data.keyId = vault.activeKeyId;
    urlChanged = true;
  }
  return prisma.$transaction(async (tx) => {
    const row = await tx.alertChannel.update({ where: { id }, data });
    await recordAudit(tx, {
      workspaceId,
      actorUserId: actor.userId,
      actorApiKeyId: actor.apiKeyId,
      action: "alert_channel.updated",
      targetType: "alert_channel",
      targetId: id,
      metadata: { ...auditMetadata(row), changed: Object.keys(data).filter((k) => k !== "webhookUrlEnc" && k !== "keyId").concat(urlChanged ? ["webhookUrl"] : []) },
    });
    return row;
  });
}

/** Deletes a channel and its delivery log; false when the workspace has no such channel. */
export async function deleteAlertChannel({ prisma, workspaceId, actor, id }: { prisma: PrismaClient; workspaceId: string; actor: Actor; id: string }): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const row = await tx.alertChannel.findFirst({ where: { id, workspaceId } });
    if (!row) return false;
    await tx.alertChannel.delete({ where: { id } });
    await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "alert_channel.deleted", targetType: "alert_channel", targetId: id, metadata: auditMetadata(row) });
    return true;
  });
}

/**
 * Sends a test alert to one channel now (even a disabled one: the admin may be fixing it). The
 * delivery is created already claimed, so no dispatcher sends it meanwhile; a failed attempt is
 * retried on the usual schedule and logged like any alert. Null when there is no such channel.
 */
export async function sendTestAlert({
  services,
  workspaceId,
  actor,
  id,
  now = new Date(),
  lookup,
}: {
  services: AlertServices;
  workspaceId: string;
  actor: Actor;
  id: string;
  now?: Date;
  lookup?: LookupAll;
}): Promise<{ deliveryId: string } | null> {
  const { prisma, env } = services;
  const channel = await prisma.alertChannel.findFirst({ where: { id, workspaceId }, select: CHANNEL_SELECT });
  if (!channel) return null;
  const message = composeTestAlert(channel.name, env.PUBLIC_URL);
  const delivery = await prisma.$transaction(async (tx) => {
    const row = await tx.alertDelivery.create({
      data: { channelId: id, workspaceId, event: "TEST", subject: message.subject, text: message.text, status: "pending", attempts: 1, nextAttemptAt: new Date(now.getTime() + claimLeaseMs(env)) },
    });
    await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "alert_channel.tested", targetType: "alert_channel", targetId: id, metadata: { kind: channel.kind, deliveryId: row.id } });
    return row;
  });
  await deliverAlert(services, { ...delivery, attempts: 1 }, channel, { now, allowDisabled: true, lookup });
  return { deliveryId: delivery.id };
}
