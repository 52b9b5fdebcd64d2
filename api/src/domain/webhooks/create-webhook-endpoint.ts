import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { WebhookEndpoint } from "../../generated/prisma/client.ts";
import type { Vault } from "../vault/vault.ts";
import { recordAudit } from "../integrations/audit.ts";
import { checkDescription, checkEvents, checkUrl } from "./input.ts";
import { generateWebhookSecret, secretSealedFor } from "./secret.ts";
import type { LookupAll, UrlPolicyEnv } from "./url-policy.ts";

export type Actor = { userId: string; apiKeyId?: string };

/**
 * Registers an endpoint and returns its signing secret, the only time it leaves the server in
 * clear: it is stored sealed by the vault, bound to this row. Throws WebhookInputError.
 */
export async function createWebhookEndpoint({
  prisma,
  vault,
  env,
  workspaceId,
  actor,
  url,
  events = [],
  description,
  lookup,
}: {
  prisma: PrismaClient;
  vault: Vault;
  env: UrlPolicyEnv;
  workspaceId: string;
  actor: Actor;
  url: string;
  events?: readonly string[] | null;
  description?: string | null;
  lookup?: LookupAll;
}): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const checkedEvents = checkEvents(events ?? []);
  const checkedDescription = checkDescription(description);
  const checkedUrl = await checkUrl(url, env, lookup);
  const id = crypto.randomUUID();
  const secret = generateWebhookSecret();
  const endpoint = await prisma.$transaction(async (tx) => {
    const row = await tx.webhookEndpoint.create({
      data: {
        id,
        workspaceId,
        url: checkedUrl,
        description: checkedDescription,
        events: checkedEvents,
        secretEnc: vault.seal(secret, secretSealedFor(id)),
        keyId: vault.activeKeyId,
      },
    });
    // The origin only: URL paths often carry the receiver's own secret.
    await recordAudit(tx, {
      workspaceId,
      actorUserId: actor.userId,
      actorApiKeyId: actor.apiKeyId,
      action: "webhook.created",
      targetType: "webhook_endpoint",
      targetId: id,
      metadata: { origin: new URL(checkedUrl).origin, events: checkedEvents },
    });
    return row;
  });
  return { endpoint, secret };
}
