import { randomUUID } from "node:crypto";
import { accountOf } from "./accounts.ts";
import { sandboxClient } from "./catalog.ts";
import { bearerToken, correlationId, param, randomBase64Url, randomHex, type Reply } from "./http.ts";
import {
  authenticate,
  checkClient,
  grantTypeOf,
  isActive,
  issueToken,
  parseScopes,
  redeemCode,
  rotateRefreshToken,
  secondsLeft,
  useRefreshToken,
  type AccessFailure,
} from "./oauth.ts";
import type { Grant, IssuedToken } from "./store.ts";
import type { ProviderModule, Route, RouteInput, SandboxContext } from "./types.ts";

// HubSpot OAuth (v1, v3 and the date-versioned 2026-03 aliases) and the account-info API.
// Sources: /work/shared/providers/hubspot.md, H1 v1 guide, H4 v3 guide, H6 v3 reference,
// H7 account-info, H8 error handling, H9 rate limits, H10 hubspot-api-nodejs.

// One HubSpot login (a HubSpot user can belong to several accounts) and the accounts (portals)
// it can install the app into, chosen on the consent page as on HubSpot's own account chooser;
// the first is the default. Both are hosted in na1 (H7 uiDomain / dataHostingLocation values).
const USER = { email: "sandy@example.com", id: 4243 };
const APP_ID = 4244;
const PORTALS = [
  { key: "acme", name: "Acme Sandbox", id: 4242, domain: "acme-sandbox.hubspot.com", uiDomain: "app.hubspot.com", hublet: "na1" },
  { key: "globex", name: "Globex Sandbox", id: 40000002, domain: "globex-sandbox.com", uiDomain: "app.hubspot.com", hublet: "na1" },
] as const;
type Portal = (typeof PORTALS)[number];
const portalOf = (grant: Grant): Portal => accountOf<Portal>(PORTALS, grant.account);
// H4: "expires after 30 minutes", expires_in: 1800.
const ACCESS_LIFETIME_SECONDS = 1800;
const AUTH_MESSAGE =
  "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview";

export function createHubSpot(ctx: SandboxContext): ProviderModule {
  const provider = "hubspot" as const;
  const client = sandboxClient(provider);
  const runtime = () => ctx.runtime(provider);

  /** Every HubSpot response carries X-HubSpot-Correlation-Id (H10 recorded fixture). */
  function reply(status: number, json?: unknown, headers: Record<string, string> = {}): Reply {
    const id = correlationId();
    const body = json && typeof json === "object" && !Array.isArray(json) && "correlationId" in json ? { ...json, correlationId: id } : json;
    return { status, json: body, headers: { "x-hubspot-correlation-id": id, ...headers } };
  }

  /** H1/H4: RFC 6749 error plus the legacy HubSpot `status` and `message` fields. HTTP 400 (UNCONFIRMED). */
  function tokenError(error: string, status: string, description: string): Reply {
    return reply(400, { error, error_description: description, status, message: description });
  }

  function accessFailure(reason: AccessFailure, token?: IssuedToken): Reply {
    if (reason === "expired" && token?.expiresAt !== undefined) {
      // EXPIRED_AUTHENTICATION and this message are UNCONFIRMED (hubspot.md §5).
      const ago = Math.max(1, Math.floor((ctx.now() - token.expiresAt) / 1000));
      return reply(401, { status: "error", message: `The OAuth token used to make this call expired ${ago} second(s) ago.`, correlationId: "", category: "EXPIRED_AUTHENTICATION" });
    }
    // H8: 401 when "the authentication provided is invalid"; body PARTIAL (recorded captures).
    return reply(401, { status: "error", message: AUTH_MESSAGE, correlationId: "", category: "INVALID_AUTHENTICATION" });
  }

  function notFound(message: string): Reply {
    // The status and body for an unknown token on the v1 lookup endpoints are UNCONFIRMED
    // ("commonly 404"); the sandbox answers 404 in HubSpot's classic error shape.
    return reply(404, { status: "error", message, correlationId: "", category: "OBJECT_NOT_FOUND" });
  }

  function clientFailure(input: RouteInput): Reply | undefined {
    // H4: v3 "require[s] that parameters are included in the request body"; HTTP Basic is not
    // documented, so a Basic header is ignored and the request fails like a missing client_id.
    const check = checkClient({ provider, clientId: param(input.params, "client_id"), clientSecret: param(input.params, "client_secret") });
    // BAD_CLIENT_ID / BAD_CLIENT_SECRET status values are UNCONFIRMED (hubspot.md §3).
    if (check === "unknown_client") return tokenError("invalid_client", "BAD_CLIENT_ID", "missing or invalid client_id");
    if (check === "bad_secret") return tokenError("invalid_client", "BAD_CLIENT_SECRET", "client_secret does not match client_id");
    return undefined;
  }

  function newAccess(grant: Grant) {
    // H1: "allow for tokens to be up to 512 characters"; H1's example starts with "C" and is
    // base64url-like.
    return issueToken(ctx, {
      grant,
      kind: "access",
      value: `CN${randomBase64Url(108)}`,
      lifetimeSeconds: runtime().options.accessTokenLifetimeSeconds ?? ACCESS_LIFETIME_SECONDS,
    });
  }

  function newRefresh(grant: Grant) {
    // H4 example refresh token: "na1-aaaa-bbbb-cccc-dddd-eeeeeeeeeeee".
    return issueToken(ctx, { grant, kind: "refresh", value: `na1-${randomHex(4)}-${randomHex(4)}-${randomHex(4)}-${randomHex(4)}-${randomHex(12)}` });
  }

  function tokenResponse(version: "v1" | "v3", grant: Grant, access: IssuedToken, refresh: IssuedToken): Reply {
    // v1 (H1): token_type, refresh_token, access_token, expires_in. v3 (H4) adds hub_id, scopes.
    return reply(200, {
      token_type: "bearer",
      refresh_token: refresh.value,
      access_token: access.value,
      ...(version === "v3" ? { hub_id: portalOf(grant).id, scopes: grant.scopes } : {}),
      expires_in: secondsLeft(ctx, access),
    });
  }

  function token(version: "v1" | "v3") {
    return (input: RouteInput): Reply => {
      const { params } = input;
      const grantType = grantTypeOf(params);
      if (!params.get("grant_type")) return tokenError("invalid_request", "BAD_GRANT_TYPE", "missing grant_type");
      if (grantType === undefined) return tokenError("unsupported_grant_type", "BAD_GRANT_TYPE", "unsupported grant_type");
      const refused = clientFailure(input);
      if (refused) return refused;
      if (grantType === "authorization_code") {
        const redeemed = redeemCode(ctx, {
          provider,
          clientId: client.clientId,
          code: param(params, "code"),
          redirectUri: param(params, "redirect_uri"),
          codeVerifier: param(params, "code_verifier"),
        });
        if (!redeemed.ok) {
          // BAD_AUTH_CODE / BAD_REDIRECT_URI and their descriptions are UNCONFIRMED (hubspot.md §3).
          if (redeemed.reason === "redirect_mismatch") return tokenError("invalid_grant", "BAD_REDIRECT_URI", "redirect_uri does not match the one used to obtain the code");
          return tokenError("invalid_grant", "BAD_AUTH_CODE", "missing or unknown auth code");
        }
        return tokenResponse(version, redeemed.grant, newAccess(redeemed.grant), newRefresh(redeemed.grant));
      }
      const used = useRefreshToken(ctx, { provider, clientId: client.clientId, refreshToken: param(params, "refresh_token") });
      // H1/H4 verbatim error for a bad refresh token.
      if (!used.ok) return tokenError("invalid_grant", "BAD_REFRESH_TOKEN", "refresh token is invalid, expired or revoked");
      // HubSpot returns the same refresh token (observed by integrators, UNCONFIRMED officially);
      // rotation is a sandbox option for testing clients that must cope with it.
      let refreshToken = used.token;
      if (runtime().options.rotateRefreshTokens) {
        rotateRefreshToken(ctx, used.token);
        refreshToken = newRefresh(used.grant);
      }
      return tokenResponse(version, used.grant, newAccess(used.grant), refreshToken);
    };
  }

  function signedAccessToken(token: IssuedToken, grant: Grant) {
    const portal = portalOf(grant);
    // H1/H4 example: opaque signature fields; the sandbox fills them with random values.
    return {
      expiresAt: token.expiresAt,
      scopes: randomBase64Url(9),
      hubId: portal.id,
      userId: USER.id,
      appId: APP_ID,
      signature: randomBase64Url(15),
      scopeToScopeGroupPks: randomBase64Url(24),
      newSignature: randomBase64Url(15),
      hublet: portal.hublet,
      trialScopes: "",
      trialScopeToScopeGroupPks: "",
      isUserLevel: false,
      isPrivateDistribution: false,
    };
  }

  function introspect(input: RouteInput): Reply {
    const refused = clientFailure(input);
    if (refused) return refused;
    const { params } = input;
    // H4 documents token_type_hint + access_token/refresh_token; the 2026-03 reference shows a
    // generic `token`. Accept all.
    const hint = param(params, "token_type_hint");
    const value = param(params, "token") ?? (hint === "refresh_token" ? param(params, "refresh_token") : param(params, "access_token")) ?? param(params, "refresh_token");
    const token = value === undefined ? undefined : ctx.store.token(value);
    const grant = token && ctx.store.grant(token.grantId);
    // RFC 7662 §2.2 style inactive answer (PARTIAL: HubSpot's catalog shows {"active": <boolean>}).
    if (!token || !grant || token.provider !== provider || !isActive(ctx, token)) return reply(200, { active: false });
    const portal = portalOf(grant);
    const common = { active: true, token: token.value, hub_id: portal.id, user_id: USER.id, client_id: grant.clientId, app_id: APP_ID, user: USER.email, hub_domain: portal.domain, scopes: grant.scopes };
    if (token.kind === "refresh") return reply(200, { ...common, token_use: "refresh_token", token_type: "Bearer" });
    return reply(200, {
      ...common,
      signed_access_token: signedAccessToken(token, grant),
      expires_in: secondsLeft(ctx, token),
      is_private_distribution: false,
      token_use: "access_token",
      token_type: "Bearer",
    });
  }

  function revokeV3(input: RouteInput): Reply {
    // v3 revoke's parameters, status and cascade are UNCONFIRMED (hubspot.md §6). The sandbox
    // requires the client (RFC 7009 §2.1), takes `token` (or access_token/refresh_token), and
    // revokes the whole grant; unknown tokens still get 200 (RFC 7009 §2.2).
    const refused = clientFailure(input);
    if (refused) return refused;
    const value = param(input.params, "token") ?? param(input.params, "refresh_token") ?? param(input.params, "access_token");
    const token = value === undefined ? undefined : ctx.store.token(value);
    if (token && token.provider === provider) ctx.store.revokeGrant(token.grantId, ctx.now());
    return reply(200);
  }

  function accountDetails(input: RouteInput): Reply {
    const result = authenticate(ctx, { provider, token: bearerToken(input.req) });
    if (!result.ok) return accessFailure(result.reason, result.token);
    // H7: "Scope requirements: oauth". The 403 body is UNCONFIRMED (H8: 403 = missing permissions).
    if (!result.grant.scopes.includes("oauth")) {
      return reply(403, { status: "error", message: "This app hasn't been granted all required scopes to make this call.", correlationId: "", category: "MISSING_SCOPES", errors: [{ message: "One or more of the following scopes are required.", context: { requiredScopes: ["oauth"] } }] });
    }
    const portal = portalOf(result.grant);
    // H7 field list; values after timeZone are PARTIAL (reconstructed in hubspot.md).
    return reply(200, {
      portalId: portal.id,
      accountType: "STANDARD",
      timeZone: "US/Eastern",
      companyCurrency: "USD",
      additionalCurrencies: [],
      utcOffset: "-05:00",
      utcOffsetMilliseconds: -18000000,
      uiDomain: portal.uiDomain,
      dataHostingLocation: portal.hublet,
    });
  }

  const versions = [
    ["v1", "/oauth/v1"],
    ["v3", "/oauth/v3"],
    // H5: the date-versioned "latest" paths mirror v3.
    ["v3", "/oauth/2026-03"],
  ] as const;

  const routes: Route[] = [
    ...versions.map(([version, prefix]): Route => ({ methods: ["POST"], path: `${prefix}/token`, kind: "token", handle: token(version) })),
    ...versions
      .filter(([version]) => version === "v3")
      .flatMap(([, prefix]): Route[] => [
        { methods: ["POST"], path: `${prefix}/token/introspect`, kind: "api", invalidToken: () => reply(200, { active: false }), handle: introspect },
        { methods: ["POST"], path: `${prefix}/token/revoke`, kind: "revoke", handle: revokeV3 },
      ]),
    {
      methods: ["GET"],
      path: /^\/oauth\/v1\/access-tokens\/([^/]+)$/,
      kind: "api",
      invalidToken: () => notFound("Token not found"),
      handle({ match }) {
        // No auth header: the token is in the path (H1).
        const result = authenticate(ctx, { provider, token: decodeURIComponent(match[1]!) });
        if (!result.ok) return notFound("Token not found");
        const { token, grant } = result;
        const portal = portalOf(grant);
        // H1 verbatim shape; H3 lists the required fields.
        return reply(200, {
          token: token.value,
          user: USER.email,
          hub_domain: portal.domain,
          scopes: grant.scopes,
          signed_access_token: signedAccessToken(token, grant),
          hub_id: portal.id,
          app_id: APP_ID,
          expires_in: secondsLeft(ctx, token),
          user_id: USER.id,
          token_type: "access",
        });
      },
    },
    {
      methods: ["GET"],
      path: /^\/oauth\/v1\/refresh-tokens\/([^/]+)$/,
      kind: "api",
      invalidToken: () => notFound("Token not found"),
      handle({ match }) {
        const token = ctx.store.token(decodeURIComponent(match[1]!));
        const grant = token && ctx.store.grant(token.grantId);
        if (!token || !grant || token.kind !== "refresh" || token.provider !== provider || !isActive(ctx, token)) return notFound("Token not found");
        // H10 RefreshTokenInfoResponse fields.
        const portal = portalOf(grant);
        return reply(200, { token: token.value, user: USER.email, hub_domain: portal.domain, scopes: grant.scopes, hub_id: portal.id, client_id: grant.clientId, user_id: USER.id, token_type: "refresh" });
      },
    },
    {
      methods: ["DELETE"],
      path: /^\/oauth\/v1\/refresh-tokens\/([^/]+)$/,
      kind: "revoke",
      handle({ match }) {
        const token = ctx.store.token(decodeURIComponent(match[1]!));
        if (!token || token.kind !== "refresh" || token.provider !== provider || !isActive(ctx, token)) return notFound("Token not found");
        // H1: "This will only delete the refresh token. Access tokens generated with the refresh
        // token will not be deleted." H10: 204 No Content.
        ctx.store.revokeToken(token.value, ctx.now());
        return reply(204);
      },
    },
    { methods: ["GET"], path: "/account-info/v3/details", kind: "api", handle: accountDetails },
    { methods: ["GET"], path: "/account-info/2026-03/details", kind: "api", handle: accountDetails },
    {
      methods: ["GET"],
      path: "/integrations/v1/me",
      kind: "api",
      handle(input) {
        const result = authenticate(ctx, { provider, token: bearerToken(input.req) });
        if (!result.ok) return accessFailure(result.reason, result.token);
        // Verbatim shape from its API reference page (hubspot.md §5).
        return reply(200, { portalId: portalOf(result.grant).id, timeZone: "America/New_York", currency: "USD", utcOffsetMilliseconds: -18000000, utcOffset: "-05:00" });
      },
    },
  ];

  return {
    id: provider,
    routes,
    retired({ path }) {
      if (!runtime().options.v1Retired || !(path === "/oauth/v1" || path.startsWith("/oauth/v1/"))) return undefined;
      // v1 sunsets on February 16, 2027 (hubspot.md "Facts added 2026-12-05", H2/H5). What HubSpot
      // answers afterwards is UNCONFIRMED: the sandbox answers every method on every v1 path (token,
      // access-tokens, refresh-tokens) 404 in HubSpot's classic error shape (hubspot.md §3/§5,
      // H10 ModelError), before faults, so a client still on v1 fails the same way every time.
      return reply(404, { status: "error", message: "Resource not found", correlationId: "", category: "OBJECT_NOT_FOUND" });
    },
    authorize: {
      path: "/oauth/authorize",
      accent: "#c2410c",
      // The picker's label is HubSpot's account chooser's ("Account"); options are the accounts' names.
      account: { label: "Account", accounts: PORTALS, lines: [["Signed in as", USER.email]] },
      validate(query) {
        const clientId = param(query, "client_id");
        // HubSpot's own error pages are not documented; the sandbox shows one and never redirects.
        if (clientId !== client.clientId) return { kind: "page", status: 400, title: "Authorization failed: unknown client_id", message: `No app with client_id ${clientId ?? "(missing)"} exists in the sandbox. Use ${client.clientId}.` };
        const registered = ctx.callbackUrl(provider);
        const sent = param(query, "redirect_uri");
        // H4: the install URL includes client_id, redirect_uri and scopes.
        if (sent === undefined) return { kind: "page", status: 400, title: "Authorization failed: missing redirect_uri", message: `Pass redirect_uri=${registered}.` };
        if (sent !== registered) return { kind: "page", status: 400, title: "Authorization failed: redirect_uri mismatch", message: `Passed URI: ${sent}. Registered: ${registered}.` };
        const state = param(query, "state");
        // Space-separated (PARTIAL). Optional scopes: the guide says optional_scopes, integrations
        // send optional_scope (UNCONFIRMED which HubSpot accepts), so both are read.
        const scopes = parseScopes(param(query, "scope"), " ");
        const optional = parseScopes(param(query, "optional_scope") ?? param(query, "optional_scopes"), " ");
        if (scopes === "invalid" || optional === "invalid") return { kind: "redirect", redirectUri: registered, params: { error: "invalid_scope", state } };
        if (scopes.length === 0) return { kind: "redirect", redirectUri: registered, params: { error: "invalid_request", error_description: "missing scope", state } };
        // H2/H6 list code_verifier at the token endpoint (PARTIAL); authorize-side parameter
        // names are UNCONFIRMED and assumed to be RFC 7636's.
        const challenge = param(query, "code_challenge");
        const method = param(query, "code_challenge_method") ?? "plain";
        if (challenge !== undefined && method !== "S256" && method !== "plain") return { kind: "redirect", redirectUri: registered, params: { error: "invalid_request", error_description: "unsupported code_challenge_method", state } };
        return {
          kind: "consent",
          request: {
            provider,
            clientId,
            redirectUri: registered,
            redirectUriSent: true,
            state,
            scopeGroups: [
              { field: "scope", label: "Required scopes (scope)", scopes },
              { field: "scope", label: "Optional scopes (optional_scope)", scopes: optional.filter((s) => !scopes.includes(s)) },
            ],
            codeChallenge: challenge === undefined ? undefined : { value: challenge, method: method as "S256" | "plain" },
            offline: true,
            promptConsent: false,
            includeGrantedScopes: false,
          },
        };
      },
      // Format UNCONFIRMED; H4 only says "a temporary, single-use code".
      newCode: () => randomUUID(),
    },
    faultReply({ mode, kind, route, params, retryAfterSeconds }) {
      if (mode === "rate_limited") {
        // H10 RetryDecorator keys off policyName TEN_SECONDLY_ROLLING and this message; category
        // from a recorded response; X-HubSpot-RateLimit-* names PARTIAL; Retry-After UNCONFIRMED.
        return reply(
          429,
          { status: "error", message: "You have reached your secondly limit.", errorType: "RATE_LIMIT", correlationId: "", policyName: "TEN_SECONDLY_ROLLING", category: "RATE_LIMITS" },
          { "retry-after": String(retryAfterSeconds), "x-hubspot-ratelimit-interval-milliseconds": "10000", "x-hubspot-ratelimit-max": "100", "x-hubspot-ratelimit-remaining": "0" },
        );
      }
      // Body UNCONFIRMED: HubSpot's classic error shape with an internal-error category.
      if (mode === "server_error") return reply(500, { status: "error", message: "internal error", correlationId: "", category: "INTERNAL_ERROR" });
      if (kind === "token") {
        return grantTypeOf(params) === "refresh_token"
          ? tokenError("invalid_grant", "BAD_REFRESH_TOKEN", "refresh token is invalid, expired or revoked")
          : tokenError("invalid_grant", "BAD_AUTH_CODE", "missing or unknown auth code");
      }
      return route.invalidToken?.() ?? accessFailure("unknown");
    },
    malformed({ kind }) {
      if (kind === "token") return tokenError("invalid_request", "BAD_REQUEST", "malformed request body");
      // H6: the v3 reference's default error shape.
      return reply(400, { message: "Invalid input (malformed request body)", correlationId: "", category: "VALIDATION_ERROR", links: { "knowledge-base": "https://www.hubspot.com/products/service/knowledge-base" } });
    },
  };
}
