import * as oauth from "oauth4webapi";
import { publishIntegrationEvent } from "../../realtime/pubsub.ts";
import type { Database } from "../../db/index.ts";
import type { Env } from "../../env.ts";
import type { CatalogProvider } from "../../providers/catalog.ts";
import { adapterFor } from "../../providers/adapters.ts";
import { OutboundError } from "../../http/outbound.ts";
import { authorizationServer, clientAuth, oauthClient, requestOptions } from "../oauth/client.ts";
import { OAuthFlowError } from "../oauth/errors.ts";
import type { FlowServices } from "../oauth/flow.ts";
import { openTokens, sealTokens } from "./tokens.ts";
import { withIntegrationLock } from "./lock.ts";
import type { Prisma } from "../../generated/prisma/client.ts";

export type RefreshServices = FlowServices & { db: Database; env: Pick<Env, "TOKEN_REFRESH_MARGIN_SECONDS"> };
const TRANSIENT_RETRIES = [250, 1000];

function expiring(expiresAt: Date | null, marginSeconds: number, now = Date.now()): boolean {
  return Boolean(expiresAt && expiresAt.getTime() - marginSeconds * 1000 <= now);
}

/**
 * A usable access token for a connection. Refreshes before expiry, or when `rejected` names the
 * token a provider just answered 401 to. Single-flight per connection across processes: the
 * lock holder re-reads the row and refreshes only if nobody did meanwhile. A rotated refresh
 * token is stored in the same UPDATE as its access token; a response without one keeps the old.
 */
export async function getAccessToken({
  services,
  provider,
  integrationId,
  rejected,
  marginSeconds = provider.refreshMarginSeconds ?? services.env.TOKEN_REFRESH_MARGIN_SECONDS,
  row: known,
}: {
  services: RefreshServices;
  provider: CatalogProvider;
  integrationId: string;
  rejected?: string;
  marginSeconds?: number;
  /** The row as the caller just read it (a sweep's claim): saves reading it again when its token is still good. */
  row?: { id: string; status: string; accessTokenEnc: string | null; tokenExpiresAt: Date | null };
}): Promise<{ accessToken: string; refreshed: boolean }> {
  const { prisma, vault, db } = services;
  const first = known ?? (await prisma.integration.findUniqueOrThrow({ where: { id: integrationId } }));
  if (first.status === "REAUTH_REQUIRED") throw new OAuthFlowError("invalid_grant", "reconnect required");
  if (!first.accessTokenEnc) throw new OAuthFlowError("invalid_grant", "no stored token");
  if (!expiring(first.tokenExpiresAt, marginSeconds)) {
    // Only the access token: the refresh token is opened under the lock, when it is needed.
    const accessToken = openTokens(vault, { id: first.id, accessTokenEnc: first.accessTokenEnc, refreshTokenEnc: null })!.accessToken;
    if (accessToken !== rejected) return { accessToken, refreshed: false };
  }

  return withIntegrationLock(db, `refresh:${integrationId}`, async () => {
    const row = await prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
    const tokens = openTokens(vault, row);
    if (!tokens || row.status === "REAUTH_REQUIRED") throw new OAuthFlowError("invalid_grant", "reconnect required");
    // Someone refreshed while we waited for the lock.
    if (!expiring(row.tokenExpiresAt, marginSeconds) && tokens.accessToken !== rejected) return { accessToken: tokens.accessToken, refreshed: false };
    if (!tokens.refreshToken) {
      if (rejected) await markReauthRequired(services, row, "invalid_grant", "the provider rejected the token and there is no refresh token");
      if (rejected) throw new OAuthFlowError("invalid_grant", "token rejected and no refresh token");
      return { accessToken: tokens.accessToken, refreshed: false };
    }
    const fresh = await refreshWithRetries(services, provider, tokens.refreshToken).catch(async (error) => {
      if (error instanceof OAuthFlowError && error.code === "invalid_grant") await markReauthRequired(services, row, "invalid_grant", error.providerMessage ?? "invalid_grant");
      throw error;
    });
    const sealed = sealTokens(vault, row.id, { accessToken: fresh.accessToken, refreshToken: fresh.refreshToken ?? tokens.refreshToken });
    await prisma.integration.update({
      where: { id: row.id },
      data: {
        ...sealed,
        tokenExpiresAt: fresh.expiresAt ?? null,
        ...(fresh.scopes.length > 0 && fresh.scopes !== provider.scopes ? { grantedScopes: fresh.scopes } : {}),
        ...(Object.keys(fresh.extra).length > 0 ? { providerConfig: { ...((row.providerConfig as object) ?? {}), ...fresh.extra } as Prisma.InputJsonValue } : {}),
      },
    });
    services.logger.info({ integrationId: row.id, provider: provider.id, rotated: Boolean(fresh.refreshToken) }, "refreshed an access token");
    return { accessToken: fresh.accessToken, refreshed: true };
  });
}


async function refreshWithRetries(services: RefreshServices, provider: CatalogProvider, refreshToken: string) {
  for (let attempt = 0; ; attempt++) {
    try {
      const as = await authorizationServer(provider, services.allowHttp);
      const response = await oauth.refreshTokenGrantRequest(as, oauthClient(provider), clientAuth(provider), refreshToken, requestOptions(provider, services.allowHttp));
      return await adapterFor(provider).readTokenResponse({ provider, response, requested: provider.scopes, allowHttp: services.allowHttp, grant: "refresh_token" });
    } catch (error) {
      // Transient: network, timeout, 5xx, 429 with a short Retry-After. Never retry invalid_grant.
      const transient =
        error instanceof OutboundError ||
        (error instanceof OAuthFlowError && (error.code === "provider_error" || error.code === "network" || error.code === "timeout" || (error.code === "rate_limited" && (error.retryAfterSeconds ?? 99) <= 2)));
      if (!transient || attempt >= TRANSIENT_RETRIES.length) {
        if (error instanceof OutboundError) throw new OAuthFlowError(error.code === "timeout" ? "timeout" : "network", error.message);
        throw error;
      }
      const wait = error instanceof OAuthFlowError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : TRANSIENT_RETRIES[attempt]!;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

async function markReauthRequired(services: RefreshServices, row: { id: string; workspaceId: string; providerId: string }, code: string, detail: string) {
  const now = new Date();
  await services.prisma.integration.update({
    where: { id: row.id },
    data: { status: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY", healthErrorCode: code, healthMessage: "The provider no longer accepts this connection's grant. Reconnect." },
  });
  services.logger.warn({ integrationId: row.id, provider: row.providerId, detail: detail.slice(0, 200) }, "a connection needs to be reconnected");
  publishIntegrationEvent(services.realtime, row, { status: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY", healthMessage: "Reconnect required", errorCode: code, kind: "reauth_required" });
}
