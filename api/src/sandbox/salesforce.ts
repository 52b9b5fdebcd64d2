import { createHmac } from "node:crypto";
import { z } from "zod";
import { sandboxClient } from "./catalog.ts";
import { basicCredentials, bearerToken, param, randomBase62, randomBase64Url, type Reply } from "./http.ts";
import { authenticate, checkClient, grantTypeOf, isActive, issueToken, parseScopes, redeemCode, rotateRefreshToken, signIdToken, useRefreshToken } from "./oauth.ts";
import type { Grant, IssuedToken } from "./store.ts";
import type { ProviderModule, Route, RouteInput, SandboxContext } from "./types.ts";

// Salesforce's OAuth 2.0 web server flow (with PKCE), userinfo, the Identity URL and the REST
// limits and query resources. Sources: /work/shared/providers/salesforce.md, F1 web server flow
// help page, F2 REST API guide (222.0), F3 Chatter token guide, F4 Identity URLs, F5 jsforce,
// F6 Nango.
//
// Login hosts (salesforce.md §1 and "Facts added 2026-12-05"): login.salesforce.com is
// ${publicUrl}/sandbox/salesforce, test.salesforce.com is …/salesforce/test, and a My Domain
// NAME.my.salesforce.com (NAME--SANDBOX.sandbox.my.salesforce.com) is …/salesforce/my/<domain>.
// Each host is its own org, and the token response's instance_url and id are on the host that
// issued it, so every later call for that org goes through the same prefix.

type Org = { id: string; id15: string; name: string; isSandbox: boolean; instanceName: string; user: { id: string; username: string } };

// Ids are 18 characters: the 15-character case-sensitive id and a 3-character suffix (Salesforce's
// case checksum; computed for the UAT org, kept as it always was for the production org).
const PRODUCTION_ORG: Org = {
  id: "00D0S00000SANDBXAA",
  id15: "00D0S00000SANDB",
  name: "Acme Sandbox Org",
  isSandbox: false,
  instanceName: "NA1",
  user: { id: "0050S00000SANDYAAA", username: "sandy@acme.sandbox" },
};
// A sandbox copy of the production org: its own org id, instance (CS = sandbox pods) and a
// username with the sandbox name appended, as Salesforce does when it creates a sandbox.
const UAT_ORG: Org = {
  id: "00D7Q00000UATSBUA5",
  id15: "00D7Q00000UATSB",
  name: "Acme UAT Sandbox",
  isSandbox: true,
  instanceName: "CS42",
  user: { id: "0057Q00000SANDYQA5", username: "sandy@acme.sandbox.uat" },
};
const USER = { email: "sandy@example.com", name: "Sandy Example", givenName: "Sandy", familyName: "Example" };
/** /test, or /my/<My Domain name> in the lower-case form of a host label. */
const HOST_PREFIX = /^(\/test|\/my\/[a-z0-9][a-z0-9-]*(?:--[a-z0-9]+)?(?:\.sandbox)?)(?=\/|$)/;

/** The org behind a login host: test.salesforce.com and *.sandbox My Domains are the UAT sandbox. */
function orgOf(host: string): Org {
  return host === "/test" || (host.startsWith("/my/") && host.endsWith(".sandbox")) ? UAT_ORG : PRODUCTION_ORG;
}

// No expires_in is sent (F1, F5); tokens live as long as the org's session timeout, 2 hours by
// default (F3 "The session timeout value in Setup governs the expiration of access tokens").
// The sandbox enforces that so refresh-on-401 INVALID_SESSION_ID can be exercised; tests shorten it
// with accessTokenLifetimeSeconds or an injected clock.
const SESSION_TIMEOUT_SECONDS = 7200;
// When no scope is requested the connected app's configured scopes apply (salesforce.md §8).
const CONNECTED_APP_SCOPES = ["api", "refresh_token", "openid"];
// The REST API versions the sandbox serves; salesforce.md documents only vXX.X, so the range is
// a sandbox choice (UNCONFIRMED): v20.0 through v62.0.
const API_VERSIONS = { min: 20, max: 62 };
const INVALID_SESSION = [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }];
// Organization fields the query resource answers, by their API names (SOQL names are
// case-insensitive; the answer uses these spellings).
const ORGANIZATION_FIELDS = ["Id", "Name", "IsSandbox", "OrganizationType", "InstanceName"] as const;
const SOQL = /^\s*select\s+(.+?)\s+from\s+(\w+)(?:\s+limit\s+\d+)?\s*$/is;

export function createSalesforce(ctx: SandboxContext): ProviderModule {
  const provider = "salesforce" as const;
  const client = sandboxClient(provider);
  const runtime = () => ctx.runtime(provider);
  /** instance_url of the org behind a login host: the same prefix. */
  const instance = (host: string) => `${ctx.baseUrl(provider)}${host}`;
  const identityUrl = (host: string) => `${instance(host)}/id/${orgOf(host).id}/${orgOf(host).user.id}`;
  // F2: immediate=true succeeds only for a client the user approved before, in that org.
  const approvedClients = new Set<string>();
  const approvalKey = (host: string, clientId: string) => `${orgOf(host).id} ${clientId}`;

  const oauthError = (error: string, description: string, status = 400): Reply => ({ status, json: { error, error_description: description } });
  // REST API errors are JSON arrays (salesforce.md §5, PARTIAL).
  const restUnauthorized = (): Reply => ({ status: 401, json: INVALID_SESSION });
  // userinfo / Identity URL with a bad token: 403 plain text Bad_OAuth_Token (UNCONFIRMED).
  const identityUnauthorized = (): Reply => ({ status: 403, text: "Bad_OAuth_Token" });

  const offline = (grant: Grant) => grant.scopes.includes("refresh_token") || grant.scopes.includes("offline_access");

  function newAccess(grant: Grant) {
    // F1 example "00DB0000000TfcR!AQQAQ…": 15-character org id, "!", opaque session part.
    return issueToken(ctx, { grant, kind: "access", value: `${orgOf(grant.host).id15}!AQ${randomBase62(20)}.${randomBase64Url(72)}`, lifetimeSeconds: runtime().options.accessTokenLifetimeSeconds ?? SESSION_TIMEOUT_SECONDS });
  }

  function newRefresh(grant: Grant) {
    // Real refresh tokens start "5Aep86…" (well known, UNCONFIRMED in salesforce.md).
    return issueToken(ctx, { grant, kind: "refresh", value: `5Aep861${randomBase62(80)}` });
  }

  function tokenResponse(grant: Grant, access: IssuedToken, refresh: IssuedToken | undefined): Reply {
    const issuedAt = String(access.issuedAt);
    const id = identityUrl(grant.host);
    // signature: Base64 HMAC-SHA256 of id + issued_at keyed with the client secret (PARTIAL).
    const signature = createHmac("sha256", client.clientSecret).update(id + issuedAt).digest("base64");
    // F1 example field order. No expires_in; issued_at is a string of epoch milliseconds.
    return {
      status: 200,
      json: {
        access_token: access.value,
        ...(refresh ? { refresh_token: refresh.value } : {}),
        signature,
        scope: grant.scopes.join(" "),
        ...(grant.scopes.includes("openid")
          ? {
              id_token: signIdToken({
                clientSecret: client.clientSecret,
                claims: { iss: instance(grant.host), sub: id, aud: grant.clientId, iat: Math.floor(access.issuedAt / 1000), exp: Math.floor(access.issuedAt / 1000) + 300, ...(grant.nonce ? { nonce: grant.nonce } : {}) },
              }),
            }
          : {}),
        instance_url: instance(grant.host),
        id,
        token_type: "Bearer",
        issued_at: issuedAt,
      },
    };
  }

  function token(input: RouteInput): Reply {
    const { params } = input;
    // Descriptions below are UNCONFIRMED (salesforce.md §3), kept stable for tests.
    if (!params.get("grant_type")) return oauthError("invalid_request", "grant type is missing");
    const grantType = grantTypeOf(params);
    if (grantType === undefined) return oauthError("unsupported_grant_type", "grant type not supported");
    // Body parameters (F5) or HTTP Basic (help text, PARTIAL).
    const credentials = basicCredentials(input.req) ?? { clientId: param(params, "client_id"), clientSecret: param(params, "client_secret") };
    const check = checkClient({ provider, ...credentials });
    if (check === "unknown_client") return oauthError("invalid_client_id", "client identifier invalid");
    // F3: client_secret is optional on refresh only for apps that do not require it; the sandbox
    // app is confidential and requires it.
    if (check === "bad_secret") return oauthError("invalid_client", "invalid client credentials");

    if (grantType === "refresh_token") {
      const used = useRefreshToken(ctx, { provider, clientId: client.clientId, refreshToken: param(params, "refresh_token"), host: input.host });
      // A refresh token belongs to the org (login host) that issued it; at another host it is
      // unknown, which Salesforce answers "authentication failure" (UNCONFIRMED verbatim, §3).
      if (!used.ok) return oauthError("invalid_grant", used.reason === "other_host" ? "authentication failure" : "expired access/refresh token");
      // F3: the refresh response has no refresh_token. Rotation ("Enable Refresh Token
      // Rotation", UNCONFIRMED) is a sandbox option.
      let refresh: IssuedToken | undefined;
      if (runtime().options.rotateRefreshTokens) {
        rotateRefreshToken(ctx, used.token);
        refresh = newRefresh(used.grant);
      }
      return tokenResponse(used.grant, newAccess(used.grant), refresh);
    }

    const redeemed = redeemCode(ctx, {
      provider,
      clientId: client.clientId,
      code: param(params, "code"),
      redirectUri: param(params, "redirect_uri"),
      codeVerifier: param(params, "code_verifier"),
      host: input.host,
    });
    if (!redeemed.ok) {
      switch (redeemed.reason) {
        case "expired":
          return oauthError("invalid_grant", "expired authorization code");
        case "redirect_mismatch":
          return oauthError("redirect_uri_mismatch", "redirect_uri must match configuration");
        // F2: a code_challenge without code_verifier → invalid_grant; a wrong verifier → invalid_request.
        case "verifier_mismatch":
          return oauthError("invalid_request", "invalid code verifier");
        default:
          return oauthError("invalid_grant", "authentication failure");
      }
    }
    const { grant } = redeemed;
    // A refresh token only with the refresh_token / offline_access scope (F1 copies).
    return tokenResponse(grant, newAccess(grant), offline(grant) ? newRefresh(grant) : undefined);
  }

  // A token of another login host (org) is as invalid here as an unknown one.
  function rest(input: RouteInput) {
    return authenticate(ctx, { provider, token: bearerToken(input.req), host: input.host });
  }

  function identityToken(input: RouteInput) {
    // F4: Bearer header or an oauth_token parameter.
    return authenticate(ctx, { provider, token: bearerToken(input.req) ?? param(input.url.searchParams, "oauth_token") ?? param(input.params, "oauth_token"), host: input.host });
  }

  const hasIdentityScope = (grant: Grant) => grant.scopes.some((s) => ["openid", "id", "profile", "email", "address", "phone", "full"].includes(s));

  function urls(host: string, version: string) {
    // F4: without a version the URLs contain the literal "{version}".
    const base = instance(host);
    const v = version;
    const org = orgOf(host);
    return {
      enterprise: `${base}/services/Soap/c/${v}/${org.id15}`,
      metadata: `${base}/services/Soap/m/${v}/${org.id15}`,
      partner: `${base}/services/Soap/u/${v}/${org.id15}`,
      rest: `${base}/services/data/v${v}/`,
      sobjects: `${base}/services/data/v${v}/sobjects/`,
      search: `${base}/services/data/v${v}/search/`,
      query: `${base}/services/data/v${v}/query/`,
      recent: `${base}/services/data/v${v}/recent/`,
      profile: `${base}/${org.user.id}`,
      custom_domain: base,
    };
  }

  function limits(apiCalls: number) {
    const used = Math.min(apiCalls, 15000);
    // Shape: limit name → {Max, Remaining} (UNCONFIRMED verbatim, salesforce.md §5).
    return {
      ConcurrentAsyncGetReportInstances: { Max: 200, Remaining: 200 },
      DailyApiRequests: { Max: 15000, Remaining: 15000 - used },
      DailyAsyncApexExecutions: { Max: 250000, Remaining: 250000 },
      DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
      DailyStreamingApiEvents: { Max: 10000, Remaining: 10000 },
      DataStorageMB: { Max: 5, Remaining: 5 },
      FileStorageMB: { Max: 20, Remaining: 20 },
      HourlyTimeBasedWorkflow: { Max: 50, Remaining: 50 },
    };
  }

  const versionOk = (v: string) => {
    const n = Number(v);
    return Number.isFinite(n) && n >= API_VERSIONS.min && n <= API_VERSIONS.max;
  };
  const restNotFound = (): Reply => ({ status: 404, json: [{ errorCode: "NOT_FOUND", message: "The requested resource does not exist" }] });

  /** A REST API call's session: the grant, or the error answer (bad session, version, scope). */
  function restSession(input: RouteInput, version: string): { ok: true; grant: Grant } | { ok: false; reply: Reply } {
    const result = rest(input);
    // salesforce.md §5: expired or revoked sessions answer 401 INVALID_SESSION_ID (PARTIAL).
    if (!result.ok) return { ok: false, reply: restUnauthorized() };
    if (!versionOk(version)) return { ok: false, reply: restNotFound() };
    // The REST API needs the api scope; the 403 status is a sandbox choice (salesforce.md says
    // 401/403, PARTIAL) so a scope problem is not mistaken for an expired session.
    if (!result.grant.scopes.includes("api") && !result.grant.scopes.includes("full")) {
      return { ok: false, reply: { status: 403, json: [{ message: "This session is not valid for use with the REST API", errorCode: "INVALID_SESSION_ID" }] } };
    }
    return { ok: true, grant: result.grant };
  }

  /**
   * GET /services/data/vNN.N/query?q=SELECT … FROM Organization: the one query the sandbox
   * answers, in the documented query shape (REST API Developer Guide "Execute a SOQL Query",
   * https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm):
   * totalSize, done, records with attributes {type, url}, then the selected fields in SELECT order.
   */
  function soqlQuery(input: { host: string; version: string; q: string | undefined }): Reply {
    const malformed = (message: string): Reply => ({ status: 400, json: [{ message, errorCode: "MALFORMED_QUERY" }] });
    // Error texts are UNCONFIRMED verbatim; the errorCodes are the REST API's.
    if (input.q === undefined) return malformed("A query string has to be specified");
    const parsed = SOQL.exec(input.q);
    if (!parsed || parsed[2]!.toLowerCase() !== "organization") return malformed("The sandbox answers only SELECT <fields> FROM Organization");
    const selected: (typeof ORGANIZATION_FIELDS)[number][] = [];
    for (const raw of parsed[1]!.split(",").map((f) => f.trim())) {
      const field = ORGANIZATION_FIELDS.find((f) => f.toLowerCase() === raw.toLowerCase());
      // An unknown column is INVALID_FIELD in Salesforce (not MALFORMED_QUERY); text UNCONFIRMED.
      if (!field) return { status: 400, json: [{ message: `No such column '${raw}' on entity 'Organization'.`, errorCode: "INVALID_FIELD" }] };
      if (!selected.includes(field)) selected.push(field);
    }
    const org = orgOf(input.host);
    const values = { Id: org.id, Name: org.name, IsSandbox: org.isSandbox, OrganizationType: "Enterprise Edition", InstanceName: org.instanceName };
    const record = Object.fromEntries(selected.map((f) => [f, values[f]]));
    return {
      status: 200,
      json: { totalSize: 1, done: true, records: [{ attributes: { type: "Organization", url: `/services/data/v${input.version}/sobjects/Organization/${org.id}` }, ...record }] },
    };
  }

  function revoke(input: RouteInput): Reply {
    // F5: POST form `token`; GET ?token= also supported (PARTIAL).
    const value = param(input.params, "token") ?? param(input.url.searchParams, "token");
    const found = value === undefined ? undefined : ctx.store.token(value);
    const grant = found && ctx.store.grant(found.grantId);
    // UNCONFIRMED verbatim (salesforce.md §6). A dead token, or one of another login host (org),
    // is not this org's to revoke: 400 like an unknown one.
    if (!found || !grant || found.provider !== provider || grant.host !== input.host || !isActive(ctx, found)) return oauthError("unsupported_token_type", "this token type is not supported");
    // Revoking a refresh token revokes every access token issued from it; revoking an access
    // token ends only that session (UNCONFIRMED wording, well-known behaviour).
    if (found.kind === "refresh") ctx.store.revokeGrant(found.grantId, ctx.now());
    else ctx.store.revokeToken(found.value, ctx.now());
    return { status: 200 };
  }

  const routes: Route[] = [
    { methods: ["POST"], path: "/services/oauth2/token", kind: "token", handle: token },
    { methods: ["POST", "GET"], path: "/services/oauth2/revoke", kind: "revoke", handle: revoke },
    {
      methods: ["GET", "POST"],
      path: "/services/oauth2/userinfo",
      kind: "api",
      invalidToken: identityUnauthorized,
      handle(input) {
        const result = identityToken(input);
        if (!result.ok) return identityUnauthorized();
        if (!hasIdentityScope(result.grant)) return { status: 403, text: "Insufficient_Scope" };
        const { host } = input;
        const org = orgOf(host);
        const id = identityUrl(host);
        // Field list PARTIAL (salesforce.md §5, reconstructed example).
        return {
          status: 200,
          json: {
            sub: id,
            user_id: org.user.id,
            organization_id: org.id,
            preferred_username: org.user.username,
            nickname: "sandy",
            name: USER.name,
            email: USER.email,
            email_verified: true,
            given_name: USER.givenName,
            family_name: USER.familyName,
            zoneinfo: "America/Los_Angeles",
            photos: { picture: `${instance(host)}/profilephoto/005/F`, thumbnail: `${instance(host)}/profilephoto/005/T` },
            profile: `${instance(host)}/${org.user.id}`,
            picture: `${instance(host)}/profilephoto/005/F`,
            address: { country: "US" },
            is_salesforce_integration_user: false,
            urls: urls(host, param(input.url.searchParams, "version") ?? "{version}"),
            active: true,
            user_type: "STANDARD",
            language: "en_US",
            locale: "en_US",
            utcOffset: -28800000,
            updated_at: "2024-01-01T00:00:00Z",
            is_app_installed: true,
          },
        };
      },
    },
    {
      methods: ["GET", "POST"],
      path: /^\/id\/([^/]+)\/([^/]+)$/,
      kind: "api",
      invalidToken: identityUnauthorized,
      handle(input) {
        const result = identityToken(input);
        if (!result.ok) return identityUnauthorized();
        const { host } = input;
        const org = orgOf(host);
        if (input.match[1] !== org.id || input.match[2] !== org.user.id) return { status: 404, text: "Not Found" };
        // F4/F5 IdentityInfo fields (rest PARTIAL).
        return {
          status: 200,
          json: {
            id: identityUrl(host),
            asserted_user: true,
            user_id: org.user.id,
            organization_id: org.id,
            username: org.user.username,
            nick_name: "sandy",
            display_name: USER.name,
            email: USER.email,
            email_verified: true,
            first_name: USER.givenName,
            last_name: USER.familyName,
            timezone: "America/Los_Angeles",
            photos: { picture: `${instance(host)}/profilephoto/005/F`, thumbnail: `${instance(host)}/profilephoto/005/T` },
            urls: urls(host, param(input.url.searchParams, "version") ?? "{version}"),
            active: true,
            user_type: "STANDARD",
            language: "en_US",
            locale: "en_US",
            utcOffset: -28800000,
            last_modified_date: "2024-01-01T00:00:00.000+0000",
            is_app_installed: true,
          },
        };
      },
    },
    {
      methods: ["GET"],
      path: /^\/services\/data\/?$/,
      kind: "api",
      handle() {
        // Lists versions (authentication requirement UNCONFIRMED: none here).
        const list = [];
        for (let n = API_VERSIONS.min; n <= API_VERSIONS.max; n++) list.push({ label: `API ${n}.0`, url: `/services/data/v${n}.0`, version: `${n}.0` });
        return { status: 200, json: list };
      },
    },
    {
      methods: ["GET"],
      path: /^\/services\/data\/v(\d+\.\d)\/limits\/?$/,
      kind: "api",
      invalidToken: restUnauthorized,
      handle(input) {
        const session = restSession(input, input.match[1]!);
        if (!session.ok) return session.reply;
        const calls = runtime().stats.apiCalls;
        // Sforce-Limit-Info header (UNCONFIRMED).
        return { status: 200, headers: { "sforce-limit-info": `api-usage=${Math.min(calls, 15000)}/15000` }, json: limits(calls) };
      },
    },
    {
      methods: ["GET"],
      path: /^\/services\/data\/v(\d+\.\d)\/query\/?$/,
      kind: "api",
      invalidToken: restUnauthorized,
      handle(input) {
        const version = input.match[1]!;
        const session = restSession(input, version);
        if (!session.ok) return session.reply;
        return soqlQuery({ host: input.host, version, q: param(input.params, "q") });
      },
    },
    {
      methods: ["GET", "POST", "PATCH", "DELETE"],
      path: /^\/services\/data\/.+$/,
      kind: "api",
      invalidToken: restUnauthorized,
      handle(input) {
        return rest(input).ok ? restNotFound() : restUnauthorized();
      },
    },
  ];

  return {
    id: provider,
    routes,
    authorize: {
      path: "/services/oauth2/authorize",
      accent: "#0b5cab",
      account: (host) => [
        ["Org", `${orgOf(host).name} (${orgOf(host).id})`],
        ["Username", orgOf(host).user.username],
      ],
      validate(query, host) {
        const clientId = param(query, "client_id");
        // Salesforce shows these as a page, not a redirect; texts UNCONFIRMED (salesforce.md §3).
        if (clientId !== client.clientId) return { kind: "page", status: 400, title: "OAuth Error", message: `error=invalid_client_id, error_description=client identifier invalid (client_id ${clientId ?? "(missing)"}; use ${client.clientId}).` };
        const registered = ctx.callbackUrl(provider);
        const sent = param(query, "redirect_uri");
        if (sent !== registered) return { kind: "page", status: 400, title: "OAuth Error", message: `error=redirect_uri_mismatch, error_description=redirect_uri must match configuration (passed ${sent ?? "(missing)"}; registered ${registered}).` };
        const state = param(query, "state");
        const error = (code: string, description: string) => ({ kind: "redirect" as const, redirectUri: registered, params: { error: code, error_description: description, state } });
        // F2: response_type "Must be code for this authentication flow."
        if (param(query, "response_type") !== "code") return error("unsupported_response_type", "response type not supported");
        const requested = parseScopes(param(query, "scope"), " ");
        if (requested === "invalid") return error("invalid_scope", "the requested scope is not allowed");
        const scopes = requested.length > 0 ? requested : CONNECTED_APP_SCOPES;
        // F2: code_challenge is the base64url SHA-256 of the verifier; no method parameter is
        // documented, so S256 is assumed and anything else refused.
        const challenge = param(query, "code_challenge");
        const method = param(query, "code_challenge_method") ?? "S256";
        if (challenge !== undefined && method !== "S256") return error("invalid_request", "unsupported code challenge method");
        const request = {
          provider,
          clientId,
          redirectUri: registered,
          redirectUriSent: true,
          state,
          scopeGroups: [{ field: "scope" as const, label: `Allow access to ${orgOf(host).name}?`, scopes }],
          codeChallenge: challenge === undefined ? undefined : { value: challenge, method: "S256" as const },
          nonce: param(query, "nonce"),
          offline: false,
          promptConsent: false,
          includeGrantedScopes: false,
        };
        // F2: immediate=true without an earlier approval → immediate_unsuccessful.
        if (param(query, "immediate") === "true") {
          return approvedClients.has(approvalKey(host, clientId)) ? { kind: "approve", request } : error("immediate_unsuccessful", "immediate authorization failed");
        }
        return { kind: "consent", request };
      },
      approved(grant) {
        approvedClients.add(approvalKey(grant.host, grant.clientId));
        return {};
      },
      // Observed codes start "aPrx" (UNCONFIRMED); single-use (salesforce.md §2).
      newCode: () => `aPrx${randomBase64Url(60)}`,
      // Exact text UNCONFIRMED (salesforce.md §2).
      deniedParams: () => ({ error_description: "end-user denied authorization" }),
    },
    splitHost(path) {
      const prefix = HOST_PREFIX.exec(path)?.[1];
      return prefix === undefined ? undefined : { host: prefix, rest: path.slice(prefix.length) || "/" };
    },
    faultReply({ mode, kind, route, params, retryAfterSeconds }) {
      if (mode === "rate_limited") {
        const overLimit = [{ message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" }];
        // API, identity and userinfo calls: a real org over its 24-hour API request limit answers
        // 403 REQUEST_LIMIT_EXCEEDED with no Retry-After (salesforce.md §7 and "Facts added
        // 2026-12-05"; message UNCONFIRMED verbatim), so a client must not read it as revocation.
        if (kind === "api") return { status: 403, json: overLimit };
        // Token endpoint: not governed by the API request limit, and Salesforce's login rate
        // limiting is undocumented (§7 UNCONFIRMED); the sandbox keeps a 429 with Retry-After
        // there so token-endpoint back-off can still be exercised.
        return { status: 429, headers: { "retry-after": String(retryAfterSeconds) }, json: overLimit };
      }
      // UNCONFIRMED body (not in salesforce.md): Salesforce's generic unexpected-error shape.
      if (mode === "server_error") return { status: 500, json: [{ message: "An unexpected error occurred. Please include this ErrorId if you contact support: 424242424-4242 (-424242)", errorCode: "UNKNOWN_EXCEPTION" }] };
      if (kind === "token") return grantTypeOf(params) === "refresh_token" ? oauthError("invalid_grant", "expired access/refresh token") : oauthError("invalid_grant", "authentication failure");
      return route.invalidToken?.() ?? restUnauthorized();
    },
    malformed() {
      return oauthError("invalid_request", "malformed request body");
    },
    reset() {
      approvedClients.clear();
    },
    save: () => ({ approvedClients: [...approvedClients] }),
    load(saved) {
      const parsed = z.object({ approvedClients: z.array(z.string()) }).safeParse(saved);
      if (parsed.success) for (const key of parsed.data.approvedClients) approvedClients.add(key);
    },
  };
}
