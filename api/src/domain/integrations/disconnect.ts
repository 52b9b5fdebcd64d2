import type { CatalogProvider } from "../../providers/catalog.ts";
import { publishIntegrationEvent } from "../../realtime/pubsub.ts";
import { adapterFor } from "../../providers/adapters.ts";
import { OutboundError } from "../../http/outbound.ts";
import { OAuthFlowError, type OAuthErrorCode } from "../oauth/errors.ts";
import type { FlowServices } from "../oauth/flow.ts";
import { openTokens } from "./tokens.ts";
import { recordAudit } from "./audit.ts";
import { emitWorkspaceEvent } from "../webhooks/index.ts";

export type DisconnectResult = { disconnected: boolean; revoked: boolean; revocationError: OAuthErrorCode | null; revocationMessage: string | null };

/**
 * Revokes the grant at the provider, records the outcome, then deletes the tokens. When the
 * provider refuses or cannot be reached, the tokens stay and the result says so, until the
 * caller asks to forget them anyway. The health history stays either way.
 */
export async function disconnectIntegration({
  services,
  provider,
  integrationId,
  workspaceId,
  actor,
  forget = false,
}: {
  services: FlowServices;
  provider: CatalogProvider | undefined;
  integrationId: string;
  workspaceId: string;
  actor: { userId: string; apiKeyId?: string };
  forget?: boolean;
}): Promise<DisconnectResult | null> {
  const { prisma, vault, logger, realtime } = services;
  const row = await prisma.integration.findFirst({ where: { id: integrationId, workspaceId } });
  if (!row) return null;
  let revoked = false;
  let revocationError: OAuthErrorCode | null = null;
  let revocationMessage: string | null = null;
  const tokens = openTokens(vault, row);
  if (tokens && provider) {
    try {
      await adapterFor(provider).revoke({ provider, tokens, extra: (row.providerConfig as Record<string, unknown>) ?? {}, allowHttp: services.allowHttp });
      revoked = true;
    } catch (error) {
      revocationError = error instanceof OAuthFlowError ? error.code : error instanceof OutboundError ? (error.code === "timeout" ? "timeout" : "network") : "provider_error";
      revocationMessage = error instanceof OAuthFlowError ? (error.providerMessage ?? error.message) : "revocation failed";
      // A token the provider already revoked is as good as revoked.
      if (revocationError === "token_revoked" || revocationError === "invalid_grant") {
        revoked = true;
        revocationError = null;
      }
    }
  } else if (!provider) {
    revocationError = "unknown_provider";
    revocationMessage = "the provider is no longer in the catalog";
  }
  const outcome = revoked ? "ok" : tokens ? `failed:${revocationError}` : "no-tokens";
  if (!revoked && tokens && !forget) {
    await prisma.integration.update({ where: { id: row.id }, data: { lastRevocation: outcome } });
    logger.warn({ integrationId: row.id, provider: row.providerId, errorCode: revocationError }, "revocation failed; tokens kept until the user forgets them");
    return { disconnected: false, revoked: false, revocationError, revocationMessage };
  }
  const now = new Date();
  await prisma.$transaction(async (tx) => {
    await tx.integration.update({
      where: { id: row.id },
      data: {
        status: "DISCONNECTED",
        healthStatus: "UNKNOWN",
        healthMessage: null,
        healthErrorCode: null,
        accessTokenEnc: null,
        refreshTokenEnc: null,
        tokenKeyId: null,
        tokenExpiresAt: null,
        nextHealthCheckAt: null,
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
        disconnectedAt: now,
        lastRevocation: outcome,
      },
    });
    await recordAudit(tx, {
      workspaceId,
      actorUserId: actor.userId,
      actorApiKeyId: actor.apiKeyId,
      action: "integration.disconnected",
      targetType: "integration",
      targetId: row.id,
      metadata: { provider: row.providerId, revocation: outcome },
    });
    await emitWorkspaceEvent({ prisma: tx as never, workspaceId, type: "integration.disconnected", data: { integrationId: row.id, providerId: row.providerId, message: `revocation: ${outcome}` } });
  });
  publishIntegrationEvent(realtime, row, { status: "DISCONNECTED", healthStatus: "UNKNOWN", kind: "disconnected", at: now });
  return { disconnected: true, revoked, revocationError, revocationMessage };
}
