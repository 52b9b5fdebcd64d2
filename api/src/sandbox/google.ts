import { z } from "zod";
import { accountOf } from "./accounts.ts";
import { sandboxClient } from "./catalog.ts";
import { basicCredentials, bearerToken, param, randomBase64Url, type Reply } from "./http.ts";
import {
  authenticate,
  checkClient,
  grantTypeOf,
  isActive,
  issueToken,
  parseScopes,
  redeemCode,
  secondsLeft,
  signIdToken,
  useRefreshToken,
} from "./oauth.ts";
import type { Grant } from "./store.ts";
import type { ProviderModule, Route, RouteInput, SandboxContext } from "./types.ts";

// Google's OAuth 2.0 web-server flow, OpenID Connect userinfo, tokeninfo and revocation.
// Sources: /work/shared/providers/google.md, G1 web-server guide (excerpts and verbatim copies),
// G2 google-auth-library-nodejs, G3 CredentialRequest reference, G4 OIDC reference, G6 Nango.

// The Google accounts signed in to the sandbox's browser, chosen on the consent page as on
// Google's own account chooser; the first is the default. Both are Google Workspace users (of
// example.com and globex.example): `hd` on the redirect, in the id_token and in userinfo ("hd only
// for Workspace accounts", google.md §5, PARTIAL).
const USERS = [
  {
    key: "sandy",
    sub: "104242424242424242424",
    email: "sandy@example.com",
    hostedDomain: "example.com",
    name: "Sandy Example",
    givenName: "Sandy",
    familyName: "Example",
    picture: "https://lh3.googleusercontent.com/a/default-user=s96-c",
  },
  {
    key: "sam",
    sub: "108000000000000000002",
    email: "sam@globex.example",
    hostedDomain: "globex.example",
    name: "Sam Globex",
    givenName: "Sam",
    familyName: "Globex",
    picture: "https://lh3.googleusercontent.com/a/default-user=s96-c",
  },
] as const;
type User = (typeof USERS)[number];
const userOf = (account: string | undefined): User => accountOf<User>(USERS, account);
// RFC 9207 iss on the authorization redirect: exactly Google's issuer, whatever host the sandbox
// runs on, since that is the value a client must expect from Google (google.md §2, CONFIRMED by
// openiddict-core #2428 / #2446; the discovery document names the same issuer).
const GOOGLE_ISSUER = "https://accounts.google.com";
// "In practice expires_in is ~3599 (1 hour)" (google.md §3, PARTIAL).
const ACCESS_LIFETIME_SECONDS = 3599;
// Short scope aliases come back as full URLs in the token response (google.md §3, PARTIAL).
const SCOPE_URLS: Record<string, string> = {
  email: "https://www.googleapis.com/auth/userinfo.email",
  profile: "https://www.googleapis.com/auth/userinfo.profile",
};
const GOOGLE_500 = `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <title>Error 500 (Server Error)!!1</title>
  <p><b>500.</b> <ins>That’s an error.</ins>
  <p>There was an error. Please try again later. <ins>That’s all we know.</ins>
</html>`;

const accountMemory = z.object({ granted: z.record(z.string(), z.array(z.string())), offlineConsented: z.array(z.string()) });
/** Per account (by key); a state saved before there were several accounts holds the default's alone. */
const googleMemory = z.union([z.object({ accounts: z.record(z.string(), accountMemory) }), accountMemory]);

type AccountMemory = { granted: Map<string, Set<string>>; offlineConsented: Set<string> };

export function createGoogle(ctx: SandboxContext): ProviderModule {
  const provider = "google" as const;
  const client = sandboxClient(provider);
  const runtime = () => ctx.runtime(provider);
  // What each user has granted each client: include_granted_scopes adds it to new grants (G2
  // incremental authorization), and the refresh token is only returned the first time unless
  // prompt=consent (G2 access_type comment; PARTIAL). Revocation forgets both.
  const memory = new Map<string, AccountMemory>();
  const memoryOf = (account: string | undefined): AccountMemory => {
    const key = userOf(account).key;
    let entry = memory.get(key);
    if (!entry) memory.set(key, (entry = { granted: new Map(), offlineConsented: new Set() }));
    return entry;
  };

  /** Rolled out per account (google.md §2): the issParameter option turns it off. */
  const iss = (): Record<string, string> => (runtime().options.issParameter === false ? {} : { iss: GOOGLE_ISSUER });

  const has = (grant: Grant, scope: string) => grant.scopes.includes(scope) || (SCOPE_URLS[scope] !== undefined && grant.scopes.includes(SCOPE_URLS[scope]!));
  const scopeString = (grant: Grant) => grant.scopes.map((s) => SCOPE_URLS[s] ?? s).join(" ");

  /** RFC 6749 §5.2 shape; descriptions are UNCONFIRMED (google.md §3). */
  const oauthError = (status: number, error: string, description: string): Reply => ({ status, json: { error, error_description: description } });

  /** Invalid token on the OIDC userinfo endpoint (UNCONFIRMED body; WWW-Authenticate widely observed). */
  const userinfoUnauthorized = (): Reply => ({
    status: 401,
    headers: { "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
    json: { error: "invalid_request", error_description: "Invalid Credentials" },
  });
  /** googleapis.com JSON APIs (UNCONFIRMED verbatim, google.md §5). */
  const apiUnauthorized = (): Reply => ({
    status: 401,
    headers: { "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
    json: {
      error: {
        code: 401,
        message:
          "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        status: "UNAUTHENTICATED",
      },
    },
  });
  // UNCONFIRMED (google.md §5 tokeninfo).
  const tokeninfoInvalid = (): Reply => oauthError(400, "invalid_token", "Invalid Value");

  function forget(account: string | undefined, clientId: string) {
    const { granted, offlineConsented } = memoryOf(account);
    granted.delete(clientId);
    offlineConsented.delete(clientId);
  }

  function idToken(grant: Grant, issuedAtMs: number): string {
    const iat = Math.floor(issuedAtMs / 1000);
    const user = userOf(grant.account);
    return signIdToken({
      clientSecret: client.clientSecret,
      claims: {
        // Google's issuer is https://accounts.google.com; the sandbox names itself instead so a
        // validating client configured for the sandbox does not accept real Google tokens.
        iss: ctx.baseUrl(provider),
        azp: grant.clientId,
        aud: grant.clientId,
        sub: user.sub,
        hd: user.hostedDomain,
        ...(has(grant, "email") ? { email: user.email, email_verified: true } : {}),
        ...(has(grant, "profile") ? { name: user.name, picture: user.picture, given_name: user.givenName, family_name: user.familyName } : {}),
        ...(grant.nonce ? { nonce: grant.nonce } : {}),
        iat,
        exp: iat + 3600,
      },
    });
  }

  function newAccess(grant: Grant) {
    // Real access tokens start "ya29." (well known; G1's example "1/fFAG…" is an old format).
    return issueToken(ctx, { grant, kind: "access", value: `ya29.a0${randomBase64Url(120)}`, lifetimeSeconds: runtime().options.accessTokenLifetimeSeconds ?? ACCESS_LIFETIME_SECONDS });
  }

  function token(input: RouteInput): Reply {
    const { params } = input;
    // Body (client_secret_post, G1) or HTTP Basic (discovery document, PARTIAL).
    const credentials = basicCredentials(input.req) ?? { clientId: param(params, "client_id"), clientSecret: param(params, "client_secret") };
    const check = checkClient({ provider, ...credentials });
    // 401 invalid_client is UNCONFIRMED (google.md §3).
    if (check === "unknown_client") return oauthError(401, "invalid_client", "The OAuth client was not found.");
    if (check === "bad_secret") return oauthError(401, "invalid_client", "Unauthorized");
    const grantType = grantTypeOf(params);
    if (!params.get("grant_type")) return oauthError(400, "invalid_request", "Missing required parameter: grant_type");
    if (grantType === undefined) return oauthError(400, "unsupported_grant_type", "Invalid grant_type");

    if (grantType === "refresh_token") {
      const used = useRefreshToken(ctx, { provider, clientId: client.clientId, refreshToken: param(params, "refresh_token") });
      if (!used.ok) return oauthError(400, "invalid_grant", "Token has been expired or revoked.");
      const access = newAccess(used.grant);
      // No refresh_token: Google's do not rotate (google.md §4, PARTIAL).
      return {
        status: 200,
        json: {
          access_token: access.value,
          expires_in: secondsLeft(ctx, access),
          scope: scopeString(used.grant),
          token_type: "Bearer",
          ...(has(used.grant, "openid") ? { id_token: idToken(used.grant, access.issuedAt) } : {}),
        },
      };
    }

    const redeemed = redeemCode(ctx, {
      provider,
      clientId: client.clientId,
      code: param(params, "code"),
      redirectUri: param(params, "redirect_uri"),
      codeVerifier: param(params, "code_verifier"),
    });
    if (!redeemed.ok) {
      // "Bad/used/expired code … invalid_grant" (google.md §2-3); the other descriptions are UNCONFIRMED.
      switch (redeemed.reason) {
        case "redirect_mismatch":
          return oauthError(400, "redirect_uri_mismatch", "Bad Request");
        case "verifier_missing":
          return oauthError(400, "invalid_grant", "Missing code verifier.");
        case "verifier_mismatch":
          return oauthError(400, "invalid_grant", "Invalid code verifier.");
        default:
          return oauthError(400, "invalid_grant", "Bad Request");
      }
    }
    const { grant } = redeemed;
    const access = newAccess(grant);
    // G3: refresh_token "is only present if the access_type parameter was set to offline";
    // G2: returned "the first time" — again only with prompt=consent.
    const { offlineConsented } = memoryOf(grant.account);
    const withRefresh = grant.offline && (!offlineConsented.has(grant.clientId) || grant.promptConsent);
    if (grant.offline) offlineConsented.add(grant.clientId);
    const refresh = withRefresh ? issueToken(ctx, { grant, kind: "refresh", value: `1//0${randomBase64Url(72)}` }) : undefined;
    // G1 example field order; id_token with openid (G3).
    return {
      status: 200,
      json: {
        access_token: access.value,
        expires_in: secondsLeft(ctx, access),
        token_type: "Bearer",
        scope: scopeString(grant),
        ...(refresh ? { refresh_token: refresh.value } : {}),
        ...(has(grant, "openid") ? { id_token: idToken(grant, access.issuedAt) } : {}),
      },
    };
  }

  function claims(grant: Grant) {
    const user = userOf(grant.account);
    // G4 / OIDC standard claims: email only with the email scope, name and picture with profile.
    return {
      sub: user.sub,
      ...(has(grant, "profile") ? { name: user.name, given_name: user.givenName, family_name: user.familyName, picture: user.picture } : {}),
      ...(has(grant, "email") ? { email: user.email, email_verified: true } : {}),
      ...(has(grant, "profile") ? { locale: "en" } : {}),
      hd: user.hostedDomain,
    };
  }

  const userinfo = (input: RouteInput): Reply => {
    const result = authenticate(ctx, { provider, token: bearerToken(input.req) });
    if (!result.ok) return userinfoUnauthorized();
    return { status: 200, json: claims(result.grant) };
  };

  const routes: Route[] = [
    { methods: ["POST"], path: "/token", kind: "token", handle: token },
    // userinfo_endpoint from the discovery document (G4, PARTIAL).
    { methods: ["GET", "POST"], path: "/v1/userinfo", kind: "api", invalidToken: userinfoUnauthorized, handle: userinfo },
    { methods: ["GET", "POST"], path: "/oauth2/v3/userinfo", kind: "api", invalidToken: userinfoUnauthorized, handle: userinfo },
    {
      methods: ["GET"],
      path: "/oauth2/v2/userinfo",
      kind: "api",
      invalidToken: apiUnauthorized,
      handle(input) {
        const result = authenticate(ctx, { provider, token: bearerToken(input.req) });
        if (!result.ok) return apiUnauthorized();
        const { grant } = result;
        const user = userOf(grant.account);
        // Legacy field names (google.md §5, PARTIAL).
        return {
          status: 200,
          json: {
            id: user.sub,
            ...(has(grant, "email") ? { email: user.email, verified_email: true } : {}),
            ...(has(grant, "profile") ? { name: user.name, given_name: user.givenName, family_name: user.familyName, picture: user.picture, locale: "en" } : {}),
            hd: user.hostedDomain,
          },
        };
      },
    },
    {
      methods: ["GET", "POST"],
      path: "/tokeninfo",
      kind: "api",
      invalidToken: tokeninfoInvalid,
      handle(input) {
        // G2 getTokenInfo: POST with a Bearer header; GET ?access_token= also works (PARTIAL).
        const value = param(input.url.searchParams, "access_token") ?? bearerToken(input.req) ?? param(input.params, "access_token");
        const result = authenticate(ctx, { provider, token: value });
        if (!result.ok) return tokeninfoInvalid();
        const { token: access, grant } = result;
        const user = userOf(grant.account);
        // Raw tokeninfo returns exp and expires_in as strings (UNCONFIRMED, google.md §5).
        return {
          status: 200,
          json: {
            azp: grant.clientId,
            aud: grant.clientId,
            sub: user.sub,
            scope: scopeString(grant),
            exp: String(Math.floor((access.expiresAt ?? 0) / 1000)),
            expires_in: String(secondsLeft(ctx, access) ?? 0),
            ...(has(grant, "email") ? { email: user.email, email_verified: "true" } : {}),
            access_type: grant.offline ? "offline" : "online",
          },
        };
      },
    },
    {
      methods: ["POST"],
      path: "/revoke",
      kind: "revoke",
      handle(input) {
        // G2 revokeToken puts token in the query string; the docs show a form body: accept both.
        const value = param(input.url.searchParams, "token") ?? param(input.params, "token");
        const found = value === undefined ? undefined : ctx.store.token(value);
        // Observed error body (google.md §6): 400 invalid_token "Token expired or revoked".
        if (!found || found.provider !== provider || !isActive(ctx, found)) return oauthError(400, "invalid_token", "Token expired or revoked");
        // Revoking an access token also revokes its refresh token (G1 prose, PARTIAL): the grant.
        ctx.store.revokeGrant(found.grantId, ctx.now());
        const grant = ctx.store.grant(found.grantId);
        if (grant) forget(grant.account, grant.clientId);
        return { status: 200, json: {} };
      },
    },
    // "/revoke should be invoked with a POST": a GET answers 404 (google.md §6).
    { methods: ["GET"], path: "/revoke", kind: "other", handle: () => ({ status: 404, html: GOOGLE_404 }) },
  ];

  return {
    id: provider,
    routes,
    authorize: {
      path: "/o/oauth2/v2/auth",
      accent: "#1a73e8",
      // The account chooser, labelled "Account"; its options are the users' names.
      account: { label: "Account", accounts: USERS },
      validate(query) {
        const clientId = param(query, "client_id");
        // Google shows "Access blocked: Authorization Error … Error 401: invalid_client" (PARTIAL).
        if (clientId !== client.clientId) return { kind: "page", status: 401, title: "Access blocked: Authorization Error", message: `The OAuth client was not found. Error 401: invalid_client (client_id ${clientId ?? "(missing)"}; use ${client.clientId}).` };
        const registered = ctx.callbackUrl(provider);
        const sent = param(query, "redirect_uri");
        // redirect_uri is required and must match exactly, else an error page (G1/G2, PARTIAL).
        if (sent === undefined) return { kind: "page", status: 400, title: "Access blocked: Authorization Error", message: "Missing required parameter: redirect_uri. Error 400: invalid_request" };
        if (sent !== registered) return { kind: "page", status: 400, title: "Access blocked: This app's request is invalid", message: `Error 400: redirect_uri_mismatch. Passed URI: ${sent}. Registered: ${registered}.` };
        const state = param(query, "state");
        // RFC 9207 §2: iss goes on error responses too.
        const error = (code: string, description: string) => ({ kind: "redirect" as const, redirectUri: registered, params: { error: code, error_description: description, state, ...iss() } });
        // After the redirect URI is trusted, errors go back to the app (RFC 6749 §4.1.2.1;
        // Google's exact behaviour for these is UNCONFIRMED).
        const responseType = param(query, "response_type");
        if (responseType === undefined) return error("invalid_request", "Missing required parameter: response_type");
        if (responseType !== "code") return error("unsupported_response_type", "Only response_type=code is supported");
        // G3: space-delimited, case-sensitive.
        const scopes = parseScopes(param(query, "scope"), " ");
        if (scopes === "invalid") return error("invalid_scope", "Malformed scope");
        if (scopes.length === 0) return error("invalid_request", "Missing required parameter: scope");
        const accessType = param(query, "access_type") ?? "online";
        if (accessType !== "online" && accessType !== "offline") return error("invalid_request", "Invalid access_type");
        // G2: code_challenge_method "defaults to plain … The only supported values … S256 or plain".
        const challenge = param(query, "code_challenge");
        const method = param(query, "code_challenge_method") ?? "plain";
        if (challenge !== undefined && method !== "S256" && method !== "plain") return error("invalid_request", "Invalid code_challenge_method");
        return {
          kind: "consent",
          request: {
            provider,
            clientId,
            redirectUri: registered,
            redirectUriSent: true,
            state,
            scopeGroups: [{ field: "scope", label: "Sandbox app wants to access your Google Account", scopes }],
            codeChallenge: challenge === undefined ? undefined : { value: challenge, method: method as "S256" | "plain" },
            nonce: param(query, "nonce"),
            offline: accessType === "offline",
            promptConsent: (param(query, "prompt") ?? "").split(" ").includes("consent"),
            includeGrantedScopes: param(query, "include_granted_scopes") === "true",
            prompt: param(query, "prompt"),
          },
        };
      },
      grantScopes(request, ticked, account) {
        if (!request.includeGrantedScopes) return ticked;
        return [...new Set([...(memoryOf(account).granted.get(request.clientId) ?? []), ...ticked])];
      },
      approved(grant, request) {
        const { granted } = memoryOf(grant.account);
        granted.set(grant.clientId, new Set([...(granted.get(grant.clientId) ?? []), ...grant.scopes]));
        // Real redirects also carry the granted scope (full URLs), authuser, prompt and, for a
        // Workspace account, hd (google.md §2: UNCONFIRMED in the docs, seen on real redirects),
        // and iss (google.md §2, CONFIRMED). The sandbox always shows its consent page, so the
        // echoed prompt is "consent" unless another was asked for.
        // authuser is the account's place among the browser's signed-in accounts.
        const user = userOf(grant.account);
        return { ...iss(), scope: scopeString(grant), authuser: String(USERS.indexOf(user)), prompt: request.prompt ?? "consent", hd: user.hostedDomain };
      },
      deniedParams: () => iss(),
      // G1 example code "4/P7q7W91a-oMsCeLvIaQm6bTrgtp7".
      newCode: () => `4/0A${randomBase64Url(54)}`,
    },
    faultReply({ mode, kind, route, params, retryAfterSeconds }) {
      if (mode === "rate_limited") {
        // Google APIs answer 429 RESOURCE_EXHAUSTED (UNCONFIRMED verbatim); Retry-After is not
        // reliably sent by Google but the sandbox fault always sets it.
        return { status: 429, headers: { "retry-after": String(retryAfterSeconds) }, json: { error: { code: 429, message: "Resource has been exhausted (e.g. check quota).", status: "RESOURCE_EXHAUSTED" } } };
      }
      // Google's front ends answer 5xx with an HTML page, not JSON: clients must not assume JSON.
      if (mode === "server_error") return { status: 500, html: GOOGLE_500 };
      if (kind === "token") return oauthError(400, "invalid_grant", grantTypeOf(params) === "refresh_token" ? "Token has been expired or revoked." : "Bad Request");
      return route.invalidToken?.() ?? apiUnauthorized();
    },
    malformed() {
      return oauthError(400, "invalid_request", "Malformed request body");
    },
    reset() {
      memory.clear();
    },
    save: () => ({
      accounts: Object.fromEntries(
        [...memory].map(([key, { granted, offlineConsented }]) => [
          key,
          { granted: Object.fromEntries([...granted].map(([clientId, scopes]) => [clientId, [...scopes]])), offlineConsented: [...offlineConsented] },
        ]),
      ),
    }),
    load(saved) {
      const parsed = googleMemory.safeParse(saved);
      if (!parsed.success) return;
      const accounts = "accounts" in parsed.data ? parsed.data.accounts : { [USERS[0].key]: parsed.data };
      for (const [key, entry] of Object.entries(accounts)) {
        // Only the sandbox's own users (an unknown key would otherwise land on the default's).
        if (!USERS.some((user) => user.key === key)) continue;
        const { granted, offlineConsented } = memoryOf(key);
        for (const [clientId, scopes] of Object.entries(entry.granted)) granted.set(clientId, new Set(scopes));
        for (const clientId of entry.offlineConsented) offlineConsented.add(clientId);
      }
    },
  };
}

const GOOGLE_404 = `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <title>Error 404 (Not Found)!!1</title>
  <p><b>404.</b> <ins>That’s an error.</ins>
  <p>The requested URL was not found on this server. <ins>That’s all we know.</ins>
</html>`;
