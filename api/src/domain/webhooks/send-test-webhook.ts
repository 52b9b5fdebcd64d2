import type { Prisma } from "../../generated/prisma/client.ts";
import { claimLeaseMs, deliverOne, type DeliveryOutcome, type DeliveryServices } from "./deliver-one.ts";
import { buildPayload, newMessageId } from "./payload.ts";
import type { LookupAll } from "./url-policy.ts";

/**
 * Queues a `webhook.test` event for one endpoint and sends it at once. The delivery is created
 * already claimed (first attempt counted, lease set), so no dispatcher sends it meanwhile; when
 * the attempt fails it is retried on the usual schedule. Null when the workspace has no such endpoint.
 */
export async function sendTestWebhook({
  prisma,
  vault,
  logger,
  env,
  workspaceId,
  endpointId,
  now = new Date(),
  lookup,
}: DeliveryServices & { workspaceId: string; endpointId: string; now?: Date; lookup?: LookupAll }): Promise<{ deliveryId: string; outcome: DeliveryOutcome | null } | null> {
  const endpoint = await prisma.webhookEndpoint.findFirst({ where: { id: endpointId, workspaceId }, select: { id: true, url: true, secretEnc: true, enabled: true } });
  if (!endpoint) return null;
  const payload = buildPayload("webhook.test", { endpointId, message: "A test event from Switchboard." }, now);
  const delivery = await prisma.webhookDelivery.create({
    data: {
      endpointId,
      messageId: newMessageId(),
      eventType: payload.type,
      payload: payload as unknown as Prisma.InputJsonValue,
      status: "pending",
      attempts: 1,
      nextAttemptAt: new Date(now.getTime() + claimLeaseMs(env)),
    },
  });
  const outcome = await deliverOne({ prisma, vault, logger, env, delivery: { ...delivery, payload }, endpoint, now, allowDisabled: true, lookup });
  return { deliveryId: delivery.id, outcome };
}
