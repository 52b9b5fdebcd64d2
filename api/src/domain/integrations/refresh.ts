import * as oauth from "oauth4webapi";
import { publishIntegrationEvent } from "../../realtime/pubsub.ts";
import type { Database } from "../../db/index.ts";
import type { Env } from "../../env.ts";
import type { CatalogProvider } from "../../providers/catalog.ts";
import { adapterFor, providerForConnection } from "../../providers/index.ts";
import { OutboundError, type OutboundOptions } from "../../http/outbound.ts";
import { authorizationServer, clientAuth, oauthClient, requestOptions } from "../../providers/oauth.ts";
import { endpointOf } from "../../providers/http.ts";
import { OAuthFlowError } from "../../providers/errors.ts";
import type { FlowServices } from "../oauth/flow.ts";
import { openTokens, sealTokens } from "./tokens.ts";
import { withIntegrationLock } from "./lock.ts";
import type { Prisma } from "../../generated/prisma/client.ts";

export type RefreshServices = FlowServices & { db: Database; env: Pick<Env, "TOKEN_REFRESH_MARGIN_SECONDS"> };
const TRANSIENT_RETRIES = [250, 1000];

type TokenTimes = { tokenExpiresAt: Date | null; tokenIssuedAt?: Date | null };

/**
 * How long before expiry to refresh: the configured margin, but never more than half of the
 * token's lifetime. A 5-second token under a 120-second margin would otherwise be "expiring"
 * from the moment it is issued and be refreshed on every use.
 */
export function refreshMarginMs(row: TokenTimes, marginSeconds: number): number {
  const margin = marginSeconds * 1000;
  if (!row.tokenExpiresAt || !row.tokenIssuedAt) return margin;
  const lifetime = row.tokenExpiresAt.getTime() - row.tokenIssuedAt.getTime();
  return lifetime > 0 ? Math.min(margin, lifetime / 2) : margin;
}

function expiring(row: TokenTimes, marginSeconds: number, now = Date.now()): boolean {
  return Boolean(row.tokenExpiresAt && row.tokenExpiresAt.getTime() - refreshMarginMs(row, marginSeconds) <= now);
}

function expired(row: TokenTimes, now = Date.now()): boolean {
  return Boolean(row.tokenExpiresAt && row.tokenExpiresAt.getTime() <= now);
}

/** The columns getAccessToken reads from a row the caller already has (a sweep's claim). */
export type TokenRow = {
  id: string;
  status: string;
  accessTokenEnc: string | null;
  tokenExpiresAt: Date | null;
  tokenIssuedAt?: Date | null;
  tokenGeneration?: number;
  providerConfig?: unknown;
};

export type AccessToken = { accessToken: string; refreshed: boolean; /** the row's token generation this token belongs to */ generation: number };

/**
 * A usable access token for a connection. Refreshes before expiry, or when `rejected` names the
 * token a provider just answered 401 to. Single-flight per connection across processes: the
 * lock holder re-reads the row; a caller that waited while another refreshed uses the token
 * that refresh stored. A rotated refresh token is stored in the same UPDATE as its access token;
 * a response without one keeps the old. The UPDATE only writes over the token generation it read,
 * so a refresh never overwrites a newer connect's tokens and never writes after a disconnect.
 */
export async function getAccessToken({
  services,
  provider: catalogProvider,
  integrationId,
  rejected,
  marginSeconds = catalogProvider.refreshMarginSeconds ?? services.env.TOKEN_REFRESH_MARGIN_SECONDS,
  row: known,
  outbound,
}: {
  services: RefreshServices;
  provider: CatalogProvider;
  integrationId: string;
  rejected?: string;
  marginSeconds?: number;
  row?: TokenRow;
  /** Limits of the refresh's calls to the provider (a health check's timeout); the defaults without. */
  outbound?: OutboundOptions;
}): Promise<AccessToken> {
  const { prisma, vault, db } = services;
  const first: TokenRow = known ?? (await prisma.integration.findUniqueOrThrow({ where: { id: integrationId } }));
  if (first.status === "REAUTH_REQUIRED") throw new OAuthFlowError("invalid_grant", "reconnect required");
  if (first.status === "DISCONNECTED" || !first.accessTokenEnc) throw new OAuthFlowError("invalid_grant", "not connected");
  const seen = first.tokenGeneration;
  if (!expiring(first, marginSeconds)) {
    // Only the access token: the refresh token is opened under the lock, when it is needed.
    const accessToken = openTokens(vault, { id: first.id, accessTokenEnc: first.accessTokenEnc, refreshTokenEnc: null })!.accessToken;
    if (accessToken !== rejected) return { accessToken, refreshed: false, generation: seen ?? -1 };
  }

  return withIntegrationLock(db, `refresh:${integrationId}`, async () => {
    const row = await prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
    if (row.status === "DISCONNECTED") throw new OAuthFlowError("invalid_grant", "disconnected");
    const tokens = openTokens(vault, row);
    if (!tokens || row.status === "REAUTH_REQUIRED") throw new OAuthFlowError("invalid_grant", "reconnect required");
    // Someone refreshed (or reconnected) while we waited for the lock: use what they stored,
    // unless it is the very token the provider just refused, or already past its expiry.
    if (seen !== undefined && row.tokenGeneration !== seen && tokens.accessToken !== rejected && !expired(row)) {
      return { accessToken: tokens.accessToken, refreshed: false, generation: row.tokenGeneration };
    }
    if (!expiring(row, marginSeconds) && tokens.accessToken !== rejected) return { accessToken: tokens.accessToken, refreshed: false, generation: row.tokenGeneration };
    if (!tokens.refreshToken) {
      if (rejected) {
        await markReauthRequired(services, row, "invalid_grant", "the provider rejected the token and there is no refresh token");
        throw new OAuthFlowError("invalid_grant", "token rejected and no refresh token");
      }
      return { accessToken: tokens.accessToken, refreshed: false, generation: row.tokenGeneration };
    }
    const provider = providerForConnection(catalogProvider, row.providerConfig);
    const fresh = await refreshWithRetries(services, provider, tokens.refreshToken, outbound).catch(async (error) => {
      if (error instanceof OAuthFlowError && error.code === "invalid_grant") await markReauthRequired(services, row, "invalid_grant", error.providerMessage ?? "invalid_grant");
      throw error;
    });
    const sealed = sealTokens(vault, row.id, { accessToken: fresh.accessToken, refreshToken: fresh.refreshToken ?? tokens.refreshToken });
    const now = new Date();
    const written = await prisma.integration.updateMany({
      // Only over the generation read above, and never onto a disconnected row: a connect or a
      // disconnect that happened while the provider was answering bumped the generation.
      where: { id: row.id, tokenGeneration: row.tokenGeneration, status: { not: "DISCONNECTED" } },
      data: {
        ...sealed,
        tokenExpiresAt: fresh.expiresAt ?? null,
        tokenIssuedAt: now,
        tokenGeneration: { increment: 1 },
        ...(fresh.scopesReported ? { grantedScopes: fresh.scopes } : {}),
        ...(Object.keys(fresh.extra).length > 0 ? { providerConfig: { ...((row.providerConfig as object) ?? {}), ...fresh.extra } as Prisma.InputJsonValue } : {}),
      },
    });
    if (written.count === 0) {
      services.logger.info({ integrationId: row.id, provider: provider.id }, "a refresh finished after the connection was replaced or disconnected; its tokens were dropped");
      const latest = await prisma.integration.findUnique({ where: { id: row.id } });
      const current = latest && latest.status !== "DISCONNECTED" ? openTokens(vault, latest) : null;
      if (!latest || !current) throw new OAuthFlowError("invalid_grant", "disconnected while refreshing");
      return { accessToken: current.accessToken, refreshed: false, generation: latest.tokenGeneration };
    }
    services.logger.info({ integrationId: row.id, provider: provider.id, rotated: Boolean(fresh.refreshToken) }, "refreshed an access token");
    return { accessToken: fresh.accessToken, refreshed: true, generation: row.tokenGeneration + 1 };
  });
}

async function refreshWithRetries(services: RefreshServices, provider: CatalogProvider, refreshToken: string, outbound?: OutboundOptions) {
  for (let attempt = 0; ; attempt++) {
    try {
      const as = await authorizationServer(provider, services.allowHttp, outbound);
      const response = await oauth.refreshTokenGrantRequest(as, oauthClient(provider), clientAuth(provider), refreshToken, requestOptions(provider, services.allowHttp, outbound));
      try {
        return await adapterFor(provider).readTokenResponse({ provider, response, requested: provider.scopes, allowHttp: services.allowHttp, grant: "refresh_token" });
      } catch (error) {
        // The token endpoint's answer: name the call for the card ("POST /oauth/v3/token").
        if (error instanceof OAuthFlowError && as.token_endpoint) error.about({ status: response.status, endpoint: endpointOf(as.token_endpoint, "POST") });
        throw error;
      }
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

async function markReauthRequired(services: RefreshServices, row: { id: string; workspaceId: string; providerId: string; tokenGeneration: number }, code: string, detail: string) {
  // Only the grant that failed: a connection reconnected meanwhile has a newer generation.
  const marked = await services.prisma.integration.updateMany({
    where: { id: row.id, tokenGeneration: row.tokenGeneration, status: { notIn: ["DISCONNECTED", "REAUTH_REQUIRED"] } },
    data: { status: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY", healthErrorCode: code, healthMessage: "The provider no longer accepts this connection's grant. Reconnect." },
  });
  if (marked.count === 0) return;
  services.logger.warn({ integrationId: row.id, provider: row.providerId, detail: detail.slice(0, 200) }, "a connection needs to be reconnected");
  publishIntegrationEvent(services.realtime, row, { status: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY", healthMessage: "Reconnect required", errorCode: code, kind: "reauth_required" });
}
