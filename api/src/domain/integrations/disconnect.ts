import type { CatalogProvider } from "../../providers/catalog.ts";
import { publishIntegrationEvent } from "../../realtime/pubsub.ts";
import { adapterFor, providerForConnection, type Revocation } from "../../providers/index.ts";
import { codeOf } from "../../providers/http.ts";
import { OAuthFlowError, type OAuthErrorCode } from "../../providers/errors.ts";
import { openTokens } from "./tokens.ts";
import { getAccessToken, type RefreshServices } from "./refresh.ts";
import { recordAudit } from "./audit.ts";
import { emitWorkspaceEvent } from "../webhooks/index.ts";
import { closeIncident } from "../health/incidents.ts";

export type DisconnectResult = {
  disconnected: boolean;
  revoked: boolean;
  /** The provider said the grant was already dead (the person removed the app there). */
  alreadyRevoked: boolean;
  revocationError: OAuthErrorCode | null;
  revocationMessage: string | null;
};

/**
 * Revokes the grant at the provider, records the outcome, then deletes the tokens. An answer
 * that the token is already dead completes the disconnect. When the provider cannot be reached,
 * fails (5xx), rate limits or answers something unreadable, the grant may still be alive: the
 * tokens stay and the result says so, until the caller asks to forget them anyway. The health
 * history stays either way.
 */
export async function disconnectIntegration({
  services,
  provider: catalogProvider,
  integrationId,
  workspaceId,
  actor,
  forget = false,
}: {
  services: RefreshServices;
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
  let alreadyRevoked = false;
  let revocationError: OAuthErrorCode | null = null;
  let revocationMessage: string | null = null;
  const tokens = openTokens(vault, row);
  if (tokens && catalogProvider) {
    try {
      const outcome = await revokeGrant(services, catalogProvider, row, tokens);
      revoked = true;
      alreadyRevoked = outcome === "already_revoked";
    } catch (error) {
      revocationError = codeOf(error);
      revocationMessage = error instanceof OAuthFlowError ? (error.providerMessage ?? error.message) : "revocation failed";
    }
  } else if (!catalogProvider) {
    revocationError = "unknown_provider";
    revocationMessage = "the provider is no longer in the catalog";
  }
  const outcome = alreadyRevoked ? "already-revoked" : revoked ? "ok" : tokens ? `failed:${revocationError}` : "no-tokens";
  if (!revoked && tokens && !forget) {
    await prisma.integration.update({ where: { id: row.id }, data: { lastRevocation: outcome } });
    logger.warn({ integrationId: row.id, provider: row.providerId, errorCode: revocationError }, "revocation failed; tokens kept until the user forgets them");
    // The card shows lastRevocation: tell it, the rest of the row is unchanged.
    publishIntegrationEvent(realtime, row, { status: row.status, healthStatus: row.healthStatus, healthMessage: row.healthMessage, errorCode: row.healthErrorCode, kind: "revocation_failed" });
    return { disconnected: false, revoked: false, alreadyRevoked: false, revocationError, revocationMessage };
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
        tokenIssuedAt: null,
        // A refresh still in flight must not write its tokens back (refresh.ts).
        tokenGeneration: { increment: 1 },
        nextHealthCheckAt: null,
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
        disconnectedAt: now,
        lastRevocation: outcome,
      },
    });
    await closeIncident(tx, { integrationId: row.id, at: now });
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
  return { disconnected: true, revoked, alreadyRevoked, revocationError, revocationMessage };
}

/**
 * The provider's revocation, once more after a refresh when the access token had merely expired
 * (Slack with token rotation answers auth.revoke `token_expired`). A refresh the provider refuses
 * (invalid_grant) means the grant is already gone.
 */
async function revokeGrant(
  services: RefreshServices,
  catalogProvider: CatalogProvider,
  row: { id: string; providerConfig: unknown },
  tokens: { accessToken: string; refreshToken?: string },
): Promise<Revocation> {
  const provider = providerForConnection(catalogProvider, row.providerConfig);
  const revoke = (t: typeof tokens) => adapterFor(provider).revoke({ provider, tokens: t, extra: (row.providerConfig as Record<string, unknown>) ?? {}, allowHttp: services.allowHttp });
  try {
    return await revoke(tokens);
  } catch (error) {
    if (!(error instanceof OAuthFlowError && error.code === "token_expired" && tokens.refreshToken)) throw error;
    try {
      const fresh = await getAccessToken({ services, provider: catalogProvider, integrationId: row.id, rejected: tokens.accessToken });
      return await revoke({ ...tokens, accessToken: fresh.accessToken });
    } catch (refreshError) {
      if (refreshError instanceof OAuthFlowError && refreshError.code === "invalid_grant") return "already_revoked";
      throw refreshError;
    }
  }
}
