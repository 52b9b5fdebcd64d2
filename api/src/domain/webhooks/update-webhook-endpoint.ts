import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import { recordAudit } from "../integrations/audit.ts";
import type { Actor } from "./create-webhook-endpoint.ts";
import { checkDescription, checkEvents, checkUrl } from "./input.ts";
import type { LookupAll, UrlPolicyEnv } from "./url-policy.ts";

export type WebhookEndpointChanges = {
  url?: string | null;
  /** An empty list subscribes to every event; null or absent keeps the list. */
  events?: readonly string[] | null;
  /** null or "" clears it; absent keeps it. */
  description?: string | null;
  enabled?: boolean | null;
};

/** Changes an endpoint of the workspace; null when it has no such endpoint. Throws WebhookInputError. */
export async function updateWebhookEndpoint({
  prisma,
  env,
  workspaceId,
  actor,
  id,
  changes,
  lookup,
}: {
  prisma: PrismaClient;
  env: UrlPolicyEnv;
  workspaceId: string;
  actor: Actor;
  id: string;
  changes: WebhookEndpointChanges;
  lookup?: LookupAll;
}): Promise<{ id: string } | null> {
  const data: Prisma.WebhookEndpointUpdateInput = {};
  if (changes.events != null) data.events = checkEvents(changes.events);
  if (changes.description !== undefined) data.description = checkDescription(changes.description);
  if (changes.enabled != null) data.enabled = changes.enabled;
  if (changes.url != null) data.url = await checkUrl(changes.url, env, lookup);

  return prisma.$transaction(async (tx) => {
    const { count } = await tx.webhookEndpoint.updateMany({ where: { id, workspaceId }, data });
    if (count === 0) return null;
    await recordAudit(tx, {
      workspaceId,
      actorUserId: actor.userId,
      actorApiKeyId: actor.apiKeyId,
      action: "webhook.updated",
      targetType: "webhook_endpoint",
      targetId: id,
      metadata: { changed: Object.keys(data), ...(typeof data.url === "string" ? { origin: new URL(data.url).origin } : {}) },
    });
    return { id };
  });
}
