import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import type { WebhookEventData, WebhookEventType } from "./events.ts";
import { buildPayload, newMessageId } from "./payload.ts";

type Db = PrismaClient | Prisma.TransactionClient;

/**
 * Queues one pending delivery per enabled endpoint of the workspace that subscribes to `type`
 * (an empty subscription list means every event). The dispatcher sends them; callers may pass a
 * transaction client so the event commits with the change it reports. Returns the count queued.
 */
export async function emitWorkspaceEvent({
  prisma,
  workspaceId,
  type,
  data,
  now = new Date(),
}: {
  prisma: Db;
  workspaceId: string;
  type: WebhookEventType;
  data: WebhookEventData;
  now?: Date;
}): Promise<number> {
  const endpoints = await prisma.webhookEndpoint.findMany({
    where: { workspaceId, enabled: true, OR: [{ events: { isEmpty: true } }, { events: { has: type } }] },
    select: { id: true },
  });
  if (endpoints.length === 0) return 0;
  const payload = buildPayload(type, data, now) as unknown as Prisma.InputJsonValue;
  const { count } = await prisma.webhookDelivery.createMany({
    data: endpoints.map((e) => ({ endpointId: e.id, messageId: newMessageId(), eventType: type, payload, status: "pending", nextAttemptAt: now })),
  });
  return count;
}
