import type { PrismaClient } from "../../generated/prisma/client.ts";
import { recordAudit } from "../integrations/audit.ts";
import type { Actor } from "./create-webhook-endpoint.ts";

/** Deletes an endpoint of the workspace with its delivery log; false when it has no such endpoint. */
export async function deleteWebhookEndpoint({ prisma, workspaceId, actor, id }: { prisma: PrismaClient; workspaceId: string; actor: Actor; id: string }): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.webhookEndpoint.deleteMany({ where: { id, workspaceId } });
    if (count === 0) return false;
    await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "webhook.deleted", targetType: "webhook_endpoint", targetId: id });
    return true;
  });
}
