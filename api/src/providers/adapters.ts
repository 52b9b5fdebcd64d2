import * as oauth from "oauth4webapi";
import { z } from "zod";
import type { CatalogProvider } from "./catalog.ts";
import { outboundFetch, OutboundError } from "../http/outbound.ts";
import { OAuthFlowError, type OAuthErrorCode } from "../domain/oauth/errors.ts";
import { authorizationServer, oauthClient, requestOptions } from "../domain/oauth/client.ts";

// What data cannot say about a provider: how to read its token response, who the account is,
// and how to revoke. Facts from ../shared/providers/<provider>.md (source ids in comments).

export type TokenSet = {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: Date;
  scopes: string[];
  /** Provider fields worth keeping (Salesforce instance_url, Slack team, HubSpot hub_id ...). */
  extra: Record<string, unknown>;
};

export type AccountDetails = { id?: string; name?: string; url?: string; user?: string };

export type Adapter = {
  /** Reads a token endpoint response (code exchange or refresh); throws OAuthFlowError. */
  readTokenResponse(args: { provider: CatalogProvider; response: Response; requested: string[]; allowHttp: boolean; grant: "authorization_code" | "refresh_token" }): Promise<TokenSet>;
  account(args: { provider: CatalogProvider; tokens: TokenSet; allowHttp: boolean }): Promise<AccountDetails>;
  /** Revokes the grant at the provider; throws OAuthFlowError when the provider refuses. */
  revoke(args: { provider: CatalogProvider; tokens: { accessToken: string; refreshToken?: string }; extra: Record<string, unknown>; allowHttp: boolean }): Promise<void>;
};

async function json(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  try {
    const value = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {}
  throw new OAuthFlowError("provider_error", `HTTP ${response.status}, not a JSON object`);
}

function httpError(response: Response, body: Record<string, unknown> | null): OAuthFlowError {
  const error = typeof body?.error === "string" ? body.error : undefined;
  const description = typeof body?.error_description === "string" ? body.error_description : typeof body?.message === "string" ? body.message : undefined;
  const text = [error, description].filter(Boolean).join(": ").slice(0, 300) || `HTTP ${response.status}`;
  if (response.status === 429) return new OAuthFlowError("rate_limited", text, retryAfter(response));
  if (error === "invalid_grant" || body?.status === "BAD_REFRESH_TOKEN") return new OAuthFlowError("invalid_grant", text);
  if (error === "invalid_client" || error === "invalid_client_id" || error === "unauthorized_client") return new OAuthFlowError("config_error", text);
  if (response.status === 401 || response.status === 403) return new OAuthFlowError("token_revoked", text);
  return new OAuthFlowError("provider_error", text);
}

export function retryAfter(response: Response): number | undefined {
  const value = response.headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function checkedJson(response: Response): Promise<Record<string, unknown>> {
  if (!response.ok) {
    let body: Record<string, unknown> | null = null;
    try {
      body = await json(response);
    } catch {}
    throw httpError(response, body);
  }
  return json(response);
}

const standardToken = z
  .object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1).optional(),
    expires_in: z.coerce.number().positive().optional(),
    scope: z.string().optional(),
    token_type: z.string().optional(),
  })
  .passthrough();

function toTokenSet(parsed: z.infer<typeof standardToken>, requested: string[], separator = " ", extraKeys: string[] = []): TokenSet {
  const extra: Record<string, unknown> = {};
  for (const key of extraKeys) if (parsed[key] !== undefined) extra[key] = parsed[key];
  return {
    accessToken: parsed.access_token,
    refreshToken: parsed.refresh_token,
    expiresAt: parsed.expires_in ? new Date(Date.now() + parsed.expires_in * 1000) : undefined,
    // RFC 6749 §5.1: scope may be omitted when it equals what was requested.
    scopes: parsed.scope !== undefined ? parsed.scope.split(separator).map((s) => s.trim()).filter(Boolean) : requested,
    extra,
  };
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new OAuthFlowError("provider_error", `${what} is missing ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`);
  return parsed.data;
}

function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, accept: "application/json", ...extra };
}

async function get(url: string, token: string): Promise<Record<string, unknown>> {
  return checkedJson(await outboundFetch(url, { headers: bearer(token) }));
}

async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return outboundFetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", ...headers }, body: new URLSearchParams(form).toString() });
}

// ── Slack ────────────────────────────────────────────────────────────────────────────────
// Errors come as HTTP 200 {"ok":false,"error":"..."} (slack.md S6); scopes are comma-separated;
// tokens expire only with token rotation on (expires_in + refresh_token, S1/S4).

const SLACK_ERRORS: Record<string, OAuthErrorCode> = {
  invalid_code: "invalid_grant",
  invalid_refresh_token: "invalid_grant",
  token_expired: "invalid_grant",
  token_revoked: "token_revoked",
  invalid_auth: "token_revoked",
  not_authed: "token_revoked",
  account_inactive: "token_revoked",
  bad_client_secret: "config_error",
  invalid_client_id: "config_error",
  bad_redirect_uri: "config_error",
  ratelimited: "rate_limited",
  missing_scope: "insufficient_scope",
};

async function slackCall(response: Response): Promise<Record<string, unknown>> {
  if (response.status === 429) throw new OAuthFlowError("rate_limited", "ratelimited", retryAfter(response));
  const body = await checkedJson(response);
  if (body.ok !== true) {
    const error = typeof body.error === "string" ? body.error.slice(0, 100) : "unknown_error";
    throw new OAuthFlowError(SLACK_ERRORS[error] ?? "provider_error", error);
  }
  return body;
}

const slack: Adapter = {
  async readTokenResponse({ response, requested }) {
    const body = await slackCall(response);
    const parsed = parseOrThrow(standardToken, body, "Slack's token response");
    return toTokenSet(parsed, requested, ",", ["team", "authed_user", "bot_user_id", "app_id", "enterprise"]);
  },
  async account({ provider, tokens }) {
    const team = (tokens.extra.team ?? {}) as { id?: string; name?: string };
    const user = (tokens.extra.authed_user ?? {}) as { id?: string };
    // auth.test gives the workspace URL (slack.md §5); the token response gives the rest.
    const test = await slackCall(await outboundFetch(`${provider.apiBaseUrl}/auth.test`, { method: "POST", headers: bearer(tokens.accessToken) }));
    return {
      id: team.id ?? (test.team_id as string | undefined),
      name: team.name ?? (test.team as string | undefined),
      url: typeof test.url === "string" ? test.url : undefined,
      user: user.id ?? (test.user_id as string | undefined),
    };
  },
  async revoke({ provider, tokens }) {
    await slackCall(await outboundFetch(`${provider.apiBaseUrl}/auth.revoke`, { method: "POST", headers: bearer(tokens.accessToken) }));
  },
};

// ── HubSpot ──────────────────────────────────────────────────────────────────────────────
// 30-minute access tokens, refresh keeps the same refresh token (hubspot.md §3-4); the token
// info endpoint takes the token in the path and needs no header (H1).

const hubspot: Adapter = {
  async readTokenResponse({ response, requested }) {
    const body = await checkedJson(response);
    const parsed = parseOrThrow(standardToken, body, "HubSpot's token response");
    const set = toTokenSet(parsed, requested, " ", ["hub_id"]);
    if (parsed.scope === undefined && Array.isArray(body.scopes)) set.scopes = (body.scopes as unknown[]).map(String);
    return set;
  },
  async account({ provider, tokens }) {
    const lookup = await outboundFetch(`${provider.apiBaseUrl}/oauth/v1/access-tokens/${encodeURIComponent(tokens.accessToken)}`, { headers: { accept: "application/json" } });
    // The token-info lookup answers 404 for a token HubSpot does not know (expired or revoked):
    // that is an authentication failure, to be met with a refresh, not a provider outage.
    if (lookup.status === 404) {
      await lookup.body?.cancel().catch(() => {});
      throw new OAuthFlowError("token_revoked", "HubSpot does not know this access token");
    }
    const info = await checkedJson(lookup);
    let uiDomain = "app.hubspot.com";
    try {
      const details = await get(`${provider.apiBaseUrl}/account-info/v3/details`, tokens.accessToken);
      if (typeof details.uiDomain === "string" && /^[a-z0-9.-]+$/i.test(details.uiDomain)) uiDomain = details.uiDomain;
    } catch {
      // The portal link is a convenience; the token info above already names the account.
    }
    const hubId = info.hub_id !== undefined ? String(info.hub_id) : undefined;
    if (Array.isArray(info.scopes)) tokens.scopes = (info.scopes as unknown[]).map(String);
    return {
      id: hubId,
      name: typeof info.hub_domain === "string" ? info.hub_domain : hubId ? `Portal ${hubId}` : undefined,
      url: hubId ? `https://${uiDomain}/home?portalId=${hubId}` : undefined,
      user: typeof info.user === "string" ? info.user : undefined,
    };
  },
  async revoke({ provider, tokens }) {
    // DELETE /oauth/v1/refresh-tokens/{token} → 204 (hubspot.md §6); access tokens live on
    // until they expire (at most 30 minutes), which HubSpot documents.
    if (!tokens.refreshToken) return;
    const response = await outboundFetch(`${provider.apiBaseUrl}/oauth/v1/refresh-tokens/${encodeURIComponent(tokens.refreshToken)}`, { method: "DELETE" });
    if (response.status !== 204 && response.status !== 200) throw httpError(response, await json(response).catch(() => null));
  },
};

// ── Google ───────────────────────────────────────────────────────────────────────────────
// Google grants `email` and `profile` under their full URLs (google.md §3); read them back as
// the short names that were requested, so the granted-vs-requested check compares like with like.
const GOOGLE_ALIASES: Record<string, string> = {
  "https://www.googleapis.com/auth/userinfo.email": "email",
  "https://www.googleapis.com/auth/userinfo.profile": "profile",
};

const google: Adapter = {
  async readTokenResponse({ response, requested }) {
    const body = await checkedJson(response);
    const set = toTokenSet(parseOrThrow(standardToken, body, "Google's token response"), requested, " ");
    set.scopes = [...new Set(set.scopes.map((s) => (GOOGLE_ALIASES[s] && requested.includes(GOOGLE_ALIASES[s]) ? GOOGLE_ALIASES[s] : s)))];
    return set;
  },
  async account({ provider, tokens }) {
    const info = await get(provider.userinfoUrl!, tokens.accessToken);
    return {
      id: typeof info.sub === "string" ? info.sub : undefined,
      name: typeof info.email === "string" ? info.email : undefined,
      url: "https://myaccount.google.com",
      user: typeof info.name === "string" ? info.name : undefined,
    };
  },
  async revoke({ provider, tokens }) {
    // Revoking the refresh token revokes its access tokens too (google.md §6).
    const response = await postForm(provider.revocationUrl!, { token: tokens.refreshToken ?? tokens.accessToken });
    if (!response.ok) throw httpError(response, await json(response).catch(() => null));
  },
};

// ── Salesforce ───────────────────────────────────────────────────────────────────────────
// No expires_in; instance_url is where API calls go; an expired session shows as 401
// INVALID_SESSION_ID (salesforce.md §3-5).

const salesforce: Adapter = {
  async readTokenResponse({ response, requested }) {
    const body = await checkedJson(response);
    const parsed = parseOrThrow(standardToken.extend({ instance_url: z.string().url() }), body, "Salesforce's token response");
    return toTokenSet(parsed, requested, " ", ["instance_url", "id", "issued_at"]);
  },
  async account({ provider, tokens }) {
    const instance = String(tokens.extra.instance_url);
    const info = await get(provider.userinfoUrl ?? `${instance}/services/oauth2/userinfo`, tokens.accessToken);
    return {
      id: typeof info.organization_id === "string" ? info.organization_id : undefined,
      name: new URL(instance).host,
      url: instance,
      user: typeof info.preferred_username === "string" ? info.preferred_username : undefined,
    };
  },
  async revoke({ provider, tokens }) {
    // Revoking the refresh token revokes the access tokens issued from it (salesforce.md §6).
    const response = await postForm(provider.revocationUrl!, { token: tokens.refreshToken ?? tokens.accessToken });
    if (!response.ok) throw httpError(response, await json(response).catch(() => null));
  },
};

// ── Catalog providers (oidc, oauth2): standards all the way, through oauth4webapi ──────────
const generic: Adapter = {
  async readTokenResponse({ provider, response, requested, allowHttp, grant }) {
    const as = await authorizationServer(provider, allowHttp);
    const client = oauthClient(provider);
    try {
      const result =
        grant === "authorization_code"
          ? await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: false })
          : await oauth.processRefreshTokenResponse(as, client, response);
      return {
        accessToken: result.access_token,
        refreshToken: result.refresh_token,
        expiresAt: result.expires_in ? new Date(Date.now() + result.expires_in * 1000) : undefined,
        scopes: result.scope ? result.scope.split(" ").filter(Boolean) : requested,
        extra: {},
      };
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) throw new OAuthFlowError(error.error === "invalid_grant" ? "invalid_grant" : "token_exchange_failed", `${error.error}${error.error_description ? `: ${error.error_description}` : ""}`.slice(0, 300));
      throw new OAuthFlowError("token_exchange_failed", (error as Error).message.slice(0, 200));
    }
  },
  async account({ provider, tokens, allowHttp }) {
    const as = await authorizationServer(provider, allowHttp);
    const url = provider.userinfoUrl ?? as.userinfo_endpoint;
    if (!url) return {};
    const info = await get(url, tokens.accessToken);
    // OIDC Core §5.3.2: the UserInfo answer always carries `sub`; without it, it names nobody.
    if (typeof info.sub !== "string" && typeof info.id !== "string" && typeof info.id !== "number") throw new OAuthFlowError("provider_error", "the userinfo answer names no account (no sub)");
    return {
      id: typeof info.sub === "string" ? info.sub : String(info.id),
      name: typeof info.email === "string" ? info.email : typeof info.name === "string" ? info.name : typeof info.sub === "string" ? info.sub : undefined,
      url: provider.homepage,
      user: typeof info.name === "string" ? info.name : undefined,
    };
  },
  async revoke({ provider, tokens, allowHttp }) {
    const as = await authorizationServer(provider, allowHttp);
    if (!as.revocation_endpoint) return;
    const client = oauthClient(provider);
    const auth = oauth.ClientSecretPost(provider.clientSecret!);
    // RFC 7009: revoking the refresh token ends the grant; the access token goes too when the
    // server supports it (most do).
    for (const [token, hint] of [
      [tokens.refreshToken, "refresh_token"],
      [tokens.accessToken, "access_token"],
    ] as const) {
      if (!token) continue;
      try {
        const response = await oauth.revocationRequest(as, client, auth, token, { additionalParameters: { token_type_hint: hint }, ...requestOptions(provider, allowHttp) });
        await oauth.processRevocationResponse(response);
      } catch (error) {
        if (error instanceof OutboundError) throw new OAuthFlowError(error.code === "timeout" ? "timeout" : "network", error.message);
        if (error instanceof oauth.ResponseBodyError) throw new OAuthFlowError("provider_error", `${error.error}: ${error.error_description ?? ""}`.slice(0, 300));
        throw new OAuthFlowError("provider_error", (error as Error).message.slice(0, 200));
      }
    }
  },
};

export function adapterFor(provider: CatalogProvider): Adapter {
  switch (provider.type) {
    case "slack":
      return slack;
    case "hubspot":
      return hubspot;
    case "google":
      return google;
    case "salesforce":
      return salesforce;
    default:
      return generic;
  }
}
