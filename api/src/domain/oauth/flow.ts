import * as oauth from "oauth4webapi";
import type { PrismaClient, Prisma } from "../../generated/prisma/client.ts";
import type { CatalogProvider } from "../../providers/catalog.ts";
import { adapterFor, parseOrg, providerForConnection, type AccountDetails, type Inspection, type TokenSet } from "../../providers/index.ts";
import type { Vault } from "../vault/vault.ts";
import { publishIntegrationEvent, type Realtime } from "../../realtime/pubsub.ts";
import type { Logger } from "../../logger.ts";
import { OutboundError } from "../../http/outbound.ts";
import { authorizationServer, clientAuth, oauthClient, requestOptions } from "../../providers/oauth.ts";
import { consumeOAuthState, createOAuthState, type StateProblem } from "./state.ts";
import { OAuthFlowError, oauthErrorCodes, type OAuthErrorCode } from "../../providers/errors.ts";
import { sealTokens } from "../integrations/tokens.ts";
import { recordAudit } from "../integrations/audit.ts";
import { emitWorkspaceEvent } from "../webhooks/index.ts";
import { noteIncidentCheck } from "../health/incidents.ts";
import { addCheckToRollups } from "../health/rollups.ts";
import { ANSWERING_CODES } from "../health/uptime.ts";
import { can, isRoleName } from "../../auth/roles.ts";

export type FlowServices = { prisma: PrismaClient; vault: Vault; realtime: Realtime; logger: Logger; allowHttp: boolean };

export const DASHBOARD_PATH = "/dashboard/integrations";

/** Starts a connection: a state row and the provider's authorization URL. */
export async function beginConnection({
  services,
  provider,
  workspaceId,
  userId,
  returnTo,
  binding,
  org: orgInput,
  integrationId = null,
}: {
  services: FlowServices;
  provider: CatalogProvider;
  workspaceId: string;
  userId: string;
  returnTo?: string | null;
  binding?: string | null;
  /** Which org, for providers that ask (Salesforce): production, sandbox or a My Domain. */
  org?: string | null;
  /** Reconnect: the connection to renew (of this workspace and provider); omitted for a new connection. */
  integrationId?: string | null;
}): Promise<{ authorizationUrl: string; binding: string }> {
  if (!provider.clientId || !provider.clientSecret) throw new OAuthFlowError("not_configured");
  if (integrationId !== null) {
    const target = integrationId.length <= 64 ? await services.prisma.integration.findFirst({ where: { id: integrationId, workspaceId, providerId: provider.id }, select: { providerConfig: true } }) : null;
    if (!target) throw new OAuthFlowError("unknown_connection");
    // A reconnect signs in to the org the connection already belongs to unless told otherwise.
    const saved = (target.providerConfig as { org?: unknown } | null)?.org;
    if (!orgInput && provider.orgLoginUrls && typeof saved === "string") orgInput = saved;
  }
  let org: string | null = null;
  if (provider.orgLoginUrls) {
    const parsed = parseOrg(orgInput);
    if (!parsed.ok) throw new OAuthFlowError("invalid_org", parsed.message);
    org = parsed.org;
  } else if (orgInput) {
    throw new OAuthFlowError("invalid_org", `${provider.name} does not ask which org`);
  }
  const as = await authorizationServer(providerForConnection(provider, { org }), services.allowHttp);
  const codeVerifier = provider.pkce ? oauth.generateRandomCodeVerifier() : null;
  const created = await createOAuthState({
    prisma: services.prisma,
    vault: services.vault,
    workspaceId,
    userId,
    providerId: provider.id,
    codeVerifier,
    returnTo: returnTo ?? null,
    org,
    integrationId,
    binding: binding ?? undefined,
  });
  const url = new URL(as.authorization_endpoint ?? provider.authorizationUrl);
  url.searchParams.set("client_id", provider.clientId);
  url.searchParams.set("redirect_uri", provider.redirectUri);
  url.searchParams.set("response_type", "code");
  if (provider.scopes.length > 0) url.searchParams.set("scope", provider.scopes.join(provider.scopeSeparator));
  url.searchParams.set("state", created.state);
  if (codeVerifier) {
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set("code_challenge_method", "S256");
  }
  // OpenID Connect Core §11: offline_access is only honoured with prompt=consent.
  if (provider.type === "oidc" && provider.scopes.includes("offline_access")) url.searchParams.set("prompt", "consent");
  for (const [key, value] of Object.entries(provider.authorizationParams)) url.searchParams.set(key, value);
  return { authorizationUrl: url.toString(), binding: created.binding };
}

const STATE_CODES: Record<StateProblem, OAuthErrorCode> = {
  state_missing: "invalid_state",
  state_invalid: "invalid_state",
  state_wrong_provider: "invalid_state",
  state_wrong_browser: "invalid_state",
  state_wrong_user: "invalid_state",
  state_expired: "state_expired",
  state_used: "state_mismatch",
};

const PROVIDER_ERRORS = new Set<string>(["access_denied", "invalid_request", "invalid_scope", "unauthorized_client", "server_error", "temporarily_unavailable"]);

export type CallbackOutcome = { redirectTo: string; integrationId?: string; error?: OAuthErrorCode };

function withParams(path: string, params: Record<string, string>): string {
  const url = new URL(path, "http://switchboard.invalid");
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.pathname + url.search + url.hash;
}

function failure(providerId: string, code: OAuthErrorCode, returnTo?: string | null): CallbackOutcome {
  return { redirectTo: withParams(returnTo ?? DASHBOARD_PATH, { error: code, provider: providerId }), error: code };
}

/**
 * Completes a connection from the provider's redirect. Every check on the state happens
 * before any token request; the code is exchanged at most once (the state is consumed
 * atomically first); the tokens are sealed before they are stored.
 */
export async function completeConnection({
  services,
  provider: catalogProvider,
  params,
  binding,
  userId,
}: {
  services: FlowServices;
  provider: CatalogProvider;
  params: URLSearchParams;
  binding: string | null;
  userId: string | null;
}): Promise<CallbackOutcome> {
  const { prisma, vault, logger } = services;
  const consumed = await consumeOAuthState({ prisma, vault, state: params.get("state"), providerId: catalogProvider.id, binding, userId });
  if (!consumed.ok) {
    logger.warn({ provider: catalogProvider.id, problem: consumed.problem }, "refused an OAuth callback");
    return failure(catalogProvider.id, STATE_CODES[consumed.problem], consumed.returnTo);
  }
  // The person may have been removed or demoted since they pressed Connect (up to the state's
  // 10 minutes ago): the connection is made with their role as it is now, before any code
  // exchange, so a refused callback stores nothing and the code is never spent.
  if (!(await mayStillConnect(prisma, { userId: consumed.userId, workspaceId: consumed.workspaceId }))) {
    logger.warn({ provider: catalogProvider.id, workspaceId: consumed.workspaceId }, "refused an OAuth callback: the person who started it may no longer connect in this workspace");
    return failure(catalogProvider.id, "forbidden", consumed.returnTo);
  }
  // The org chosen at Connect decides where the code is exchanged (Salesforce sandboxes).
  const provider = providerForConnection(catalogProvider, { org: consumed.org });
  const returnTo = consumed.returnTo;
  const providerError = params.get("error");
  if (providerError) {
    const code = (PROVIDER_ERRORS.has(providerError) ? providerError : "provider_error") as OAuthErrorCode;
    logger.info({ provider: provider.id, error: providerError.slice(0, 64) }, "the provider answered the authorization with an error");
    return failure(provider.id, code, returnTo);
  }
  try {
    const as = await authorizationServer(provider, services.allowHttp);
    const client = oauthClient(provider);
    // Checks `state` again and the RFC 9207 `iss` parameter: when sent, it must equal the
    // provider's issuer exactly (providers/oauth.ts expectedIssuer); required only where the
    // provider's metadata promises it. Other parameters (Google's authuser, prompt, hd, scope)
    // pass through untouched.
    let callbackParams: URLSearchParams;
    try {
      callbackParams = oauth.validateAuthResponse(as, client, params, params.get("state")!);
    } catch (error) {
      throw new OAuthFlowError("invalid_request", (error as Error).message.slice(0, 200));
    }
    if (!callbackParams.get("code")) throw new OAuthFlowError("missing_code");
    const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth(provider), callbackParams, provider.redirectUri, consumed.codeVerifier ?? oauth.nopkce, requestOptions(provider, services.allowHttp));
    const adapter = adapterFor(provider);
    const tokens = await adapter.readTokenResponse({ provider, response, requested: provider.scopes, allowHttp: services.allowHttp, grant: "authorization_code" });
    let inspection: Inspection | null = null;
    let accountError: OAuthErrorCode | null = null;
    const started = performance.now();
    try {
      inspection = await adapter.inspect({ provider, tokens, requested: provider.scopes, allowHttp: services.allowHttp });
    } catch (error) {
      accountError = error instanceof OAuthFlowError ? error.code : "account_fetch_failed";
    }
    const latencyMs = Math.round(performance.now() - started);
    const target = await whichConnection(prisma, { workspaceId: consumed.workspaceId, providerId: provider.id, reconnecting: consumed.integrationId, accountId: inspection?.account.id ?? null }).catch((error: unknown) => {
      throw new ConnectionNotStored(error);
    });
    if (!target.ok) {
      // The tokens are dropped, not revoked: at Google and HubSpot a revocation ends the
      // whole grant of that account and client, which another connection (here or in another
      // workspace) may be using.
      logger.info({ provider: provider.id, workspaceId: consumed.workspaceId, errorCode: target.code }, "an OAuth callback signed in to another account than the connection being reconnected");
      return failure(provider.id, target.code, returnTo);
    }
    const save = (existingId: string | null) => saveConnection({ services, provider, org: consumed.org, workspaceId: consumed.workspaceId, userId: consumed.userId, existingId, tokens, inspection, accountError, latencyMs });
    const integration = await save(target.id)
      .catch(async (error: unknown) => {
        // Two callbacks for one new account at once: the unique (workspace, provider, account)
        // index let the other create the row; this one renews it.
        if (target.id !== null || (error as { code?: string }).code !== "P2002" || !inspection?.account.id) throw error;
        const again = await whichConnection(prisma, { workspaceId: consumed.workspaceId, providerId: provider.id, reconnecting: null, accountId: inspection.account.id });
        if (!again.ok || again.id === null) throw error;
        return save(again.id);
      })
      .catch((error: unknown) => {
        throw new ConnectionNotStored(error);
      });
    logger.info({ provider: provider.id, integrationId: integration.id, workspaceId: consumed.workspaceId }, "connected an integration");
    return { redirectTo: withParams(returnTo ?? DASHBOARD_PATH, { connected: provider.id }), integrationId: integration.id };
  } catch (error) {
    const code: OAuthErrorCode =
      error instanceof ConnectionNotStored ? "api_unavailable" : error instanceof OAuthFlowError ? (error.code === "invalid_grant" ? "token_exchange_failed" : error.code) : error instanceof OutboundError ? error.code === "timeout" ? "timeout" : "network" : "token_exchange_failed";
    logger.warn({ provider: provider.id, errorCode: code, detail: error instanceof OAuthFlowError ? error.providerMessage : (error as Error).message }, "an OAuth callback failed");
    return failure(provider.id, code, returnTo);
  }
}

/**
 * Which row a callback writes: the provider account decides (connecting an account that is
 * already connected here renews that connection, never a twin). A reconnect must come back
 * with its own account; when the account could not be read, the reconnect target (or a new
 * row) takes it.
 */
async function whichConnection(
  prisma: PrismaClient,
  input: { workspaceId: string; providerId: string; reconnecting: string | null; accountId: string | null },
): Promise<{ ok: true; id: string | null } | { ok: false; code: OAuthErrorCode }> {
  const target = input.reconnecting ? await prisma.integration.findFirst({ where: { id: input.reconnecting, workspaceId: input.workspaceId, providerId: input.providerId }, select: { id: true, accountId: true } }) : null;
  if (input.reconnecting && !target) return { ok: false, code: "unknown_connection" };
  if (input.accountId === null) return { ok: true, id: target?.id ?? null };
  if (target && target.accountId !== null && target.accountId !== input.accountId) return { ok: false, code: "account_mismatch" };
  const same = await prisma.integration.findFirst({ where: { workspaceId: input.workspaceId, providerId: input.providerId, accountId: input.accountId }, select: { id: true } });
  return { ok: true, id: same?.id ?? target?.id ?? null };
}

async function mayStillConnect(prisma: PrismaClient, { userId, workspaceId }: { userId: string; workspaceId: string }): Promise<boolean> {
  const membership = await prisma.member.findFirst({ where: { userId, organizationId: workspaceId }, select: { role: true } });
  return membership !== null && isRoleName(membership.role) && can(membership.role, { integration: ["connect"] });
}

/** The provider issued tokens but this server could not store them (its database failed); nothing was written. */
class ConnectionNotStored extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "ConnectionNotStored";
  }
}

async function saveConnection({
  services,
  provider,
  org,
  workspaceId,
  userId,
  existingId,
  tokens,
  inspection,
  accountError,
  latencyMs,
}: {
  services: FlowServices;
  provider: CatalogProvider;
  org: string | null;
  workspaceId: string;
  userId: string;
  /** The row to renew (whichConnection), or null for a new connection */
  existingId: string | null;
  tokens: TokenSet;
  inspection: Inspection | null;
  accountError: OAuthErrorCode | null;
  latencyMs: number;
}) {
  const { prisma, vault, realtime } = services;
  const now = new Date();
  const account: AccountDetails | null = inspection?.account ?? null;
  const existing = existingId ? await prisma.integration.findUnique({ where: { id: existingId }, select: { id: true, labelSetByUser: true } }) : null;
  const id = existing?.id ?? crypto.randomUUID();
  // What the provider grants now (introspection, tokeninfo, x-oauth-scopes) wins over the token
  // response, so a scope unticked on the consent page shows at once.
  const grantedScopes = inspection?.scopes ?? tokens.scopes;
  const missing = provider.scopes.filter((s) => !grantedScopes.includes(s));
  const healthy = !accountError && missing.length === 0;
  const data = {
    status: "CONNECTED" as const,
    ...sealTokens(vault, id, tokens),
    tokenExpiresAt: tokens.expiresAt ?? null,
    tokenIssuedAt: now,
    // A refresh that started before this connect must not write over it (refresh.ts).
    tokenGeneration: { increment: 1 },
    requestedScopes: provider.scopes,
    grantedScopes,
    account: (account ?? {}) as Prisma.InputJsonValue,
    // Kept when the account could not be read this time (a reconnect of a known account).
    ...(account?.id ? { accountId: account.id } : {}),
    // The label follows the account's name until a person renames the connection.
    ...(existing?.labelSetByUser ? {} : account?.name || !existing ? { label: account?.name || provider.name } : {}),
    providerConfig: { ...tokens.extra, ...(org ? { org } : {}) } as Prisma.InputJsonValue,
    connectedById: userId,
    connectedAt: now,
    disconnectedAt: null,
    lastRevocation: null,
    // The first check is the account read that just happened.
    healthStatus: healthy ? ("HEALTHY" as const) : ("DEGRADED" as const),
    healthMessage: accountError ? oauthErrorCodes.account_fetch_failed : missing.length ? `Missing scopes: ${missing.join(", ")}` : null,
    healthErrorCode: accountError ?? (missing.length ? "insufficient_scope" : null),
    lastHealthCheckAt: now,
    nextHealthCheckAt: now,
    consecutiveFailures: accountError ? 1 : 0,
    consecutiveSuccesses: accountError ? 0 : 1,
  };
  const integration = await prisma.$transaction(async (tx) => {
    const row = existing
      ? await tx.integration.update({ where: { id }, data })
      : await tx.integration.create({ data: { id, workspaceId, providerId: provider.id, ...data, tokenGeneration: 1 } });
    const check = await tx.integrationHealthLog.create({
      data: {
        integrationId: row.id,
        workspaceId,
        status: data.healthStatus,
        trigger: "CALLBACK",
        latencyMs,
        steps: [
          { step: "identity", ok: !accountError, latencyMs, ...(accountError ? { code: accountError } : {}) },
          { step: "scopes", ok: missing.length === 0, latencyMs: 0, ...(missing.length ? { code: "insufficient_scope", message: `missing ${missing.join(", ")}` } : {}) },
        ],
        errorCode: data.healthErrorCode,
        message: data.healthMessage,
        transitionFrom: "UNKNOWN",
        checkedAt: now,
      },
      select: { id: true },
    });
    // The connect-time check counts in uptime like any other (rollups.ts).
    const code = data.healthErrorCode;
    await addCheckToRollups(tx, { integrationId: row.id, workspaceId, checkedAt: now, latencyMs, up: code === null || (ANSWERING_CODES as readonly string[]).includes(code) });
    // A reconnect whose account read answers ends the incident a reconnect-required check opened.
    await noteIncidentCheck(tx, { integrationId: row.id, workspaceId, providerId: provider.id, checkId: check.id, failed: accountError !== null, at: now, errorCode: data.healthErrorCode, message: data.healthMessage });
    await recordAudit(tx, { workspaceId, actorUserId: userId, action: "integration.connected", targetType: "integration", targetId: row.id, metadata: { provider: provider.id } });
    await emitWorkspaceEvent({
      prisma: tx as never,
      workspaceId,
      type: "integration.connected",
      data: { integrationId: row.id, providerId: provider.id, healthStatus: row.healthStatus, ...(account?.name ? { accountName: account.name } : {}) },
    });
    return row;
  });
  publishIntegrationEvent(realtime, integration, {
    status: integration.status,
    healthStatus: integration.healthStatus,
    healthMessage: integration.healthMessage,
    errorCode: integration.healthErrorCode,
    kind: "connected",
    at: now,
  });
  return integration;
}
