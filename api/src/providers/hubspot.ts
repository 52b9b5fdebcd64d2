import type { CatalogProvider } from "./catalog.ts";
import { OAuthFlowError } from "./errors.ts";
import { bearer, call, form, isObject, objectOf, parseOrThrow, providerText, readAnswer, retryAfter, standardToken, tokenError, toTokenSet, type Answer } from "./http.ts";
import { outboundFetch, type OutboundOptions } from "../http/outbound.ts";
import type { Adapter } from "./types.ts";

// HubSpot: what is particular to it. Facts from ../shared/providers/hubspot.md:
// - Nothing here calls /oauth/v1/*: "On February 16, 2027, HubSpot will deprecate v1 of the OAuth
//   API" (https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/migration-guide).
//   Tokens and refreshes go to POST /oauth/v3/token (H4), token metadata comes from
//   POST /oauth/v3/token/introspect (H4), revocation from POST /oauth/v3/token/revoke
//   (https://developers.hubspot.com/docs/api-reference/latest/authentication/oauth-tokens/revoke-token).
// - Client credentials go in the form body (H4: v3 "require[s] that parameters are included in
//   the request body"). The latest reference names the token field `token`, with token_type_hint.
// - An inactive token introspects as {"active": false} (RFC 7662 §2.2; HubSpot's schema is
//   {"active": <boolean>}, hubspot.md §5, PARTIAL).
// - Access tokens last 30 minutes (expires_in 1800, H4); the v3 token response carries hub_id and
//   `scopes` as an array (H4).
// - Errors: 401 INVALID_AUTHENTICATION, 403 for missing permissions (H8), 429 RATE_LIMITS (H10).

/** POST /oauth/v3/token/introspect beside the token endpoint (overridable through tokenUrl). */
export function introspectionUrl(provider: CatalogProvider): string {
  return /\/token\/?$/.test(new URL(provider.tokenUrl).pathname) ? `${provider.tokenUrl.replace(/\/$/, "")}/introspect` : `${provider.apiBaseUrl}/oauth/v3/token/introspect`;
}

function classify(answer: Answer): OAuthFlowError | undefined {
  const category = isObject(answer.body) ? answer.body.category : undefined;
  if (answer.status === 403 && category === "MISSING_SCOPES") return new OAuthFlowError("insufficient_scope", providerText(answer));
  if (category === "RATE_LIMITS" || answer.status === 429) return new OAuthFlowError("rate_limited", providerText(answer), retryAfter(answer.headers));
  return undefined;
}

type Introspection = { active: false } | { active: true; body: Record<string, unknown> };

async function introspect(provider: CatalogProvider, token: string, hint: "access_token" | "refresh_token", outbound?: OutboundOptions): Promise<Introspection> {
  const answer = await call(
    introspectionUrl(provider),
    // The latest reference names the field `token`; the v3 guide names it after the hint
    // (access_token= / refresh_token=): both are sent, with the same value.
    form({ client_id: provider.clientId, client_secret: provider.clientSecret, token_type_hint: hint, token, [hint]: token }),
    (a) => classify(a) ?? (a.status === 400 || a.status === 401 ? tokenError(a) : undefined),
    outbound,
  );
  const body = objectOf(answer);
  if (body.active === true) return { active: true, body };
  if (body.active === false) return { active: false };
  throw new OAuthFlowError("provider_error", "HubSpot's introspection answer has no `active`");
}

export const hubspot: Adapter = {
  async readTokenResponse({ response, requested }) {
    const answer = await readAnswer(response);
    if (answer.status < 200 || answer.status >= 300) throw tokenError(answer);
    const body = objectOf(answer);
    const set = toTokenSet(parseOrThrow(standardToken, body, "HubSpot's token response"), requested, " ", ["hub_id"]);
    // v3 reports the granted scopes as an array `scopes` (H4); v1 reported none.
    if (!set.scopesReported && Array.isArray(body.scopes)) {
      set.scopes = body.scopes.map(String);
      set.scopesReported = true;
    }
    return set;
  },
  async inspect({ provider, tokens, known, outbound }) {
    const info = await introspect(provider, tokens.accessToken, "access_token", outbound);
    if (!info.active) throw new OAuthFlowError("token_revoked", "HubSpot says the access token is not active");
    const { body } = info;
    const hubId = body.hub_id !== undefined ? String(body.hub_id) : undefined;
    let url = known?.url;
    if (!url && hubId) {
      // The portal's own UI host, for the account link (H7: account-info needs the oauth scope).
      // A convenience: the introspection above already names the account.
      let uiDomain = "app.hubspot.com";
      try {
        const details = objectOf(await call(`${provider.apiBaseUrl}/account-info/v3/details`, { headers: bearer(tokens.accessToken) }, classify, outbound));
        if (typeof details.uiDomain === "string" && /^[a-z0-9.-]+$/i.test(details.uiDomain)) uiDomain = details.uiDomain;
      } catch {}
      url = `https://${uiDomain}/home?portalId=${hubId}`;
    }
    return {
      account: {
        id: hubId,
        name: typeof body.hub_domain === "string" ? body.hub_domain : hubId ? `Portal ${hubId}` : undefined,
        url,
        user: typeof body.user === "string" ? body.user : undefined,
      },
      scopes: Array.isArray(body.scopes) ? body.scopes.map(String) : undefined,
    };
  },
  async revoke({ provider, tokens }) {
    const [token, hint] = tokens.refreshToken ? ([tokens.refreshToken, "refresh_token"] as const) : ([tokens.accessToken, "access_token"] as const);
    // HubSpot does not document what revoking a dead token answers; introspection does say
    // whether it is dead. When introspection cannot answer (an outage), revoke anyway.
    try {
      if (!(await introspect(provider, token, hint)).active) return "already_revoked";
    } catch {}
    const response = await outboundFetch(
      provider.revocationUrl ?? `${provider.apiBaseUrl}/oauth/v3/token/revoke`,
      form({ client_id: provider.clientId, client_secret: provider.clientSecret, token, token_type_hint: hint }),
    );
    const answer = await readAnswer(response);
    if (answer.status >= 200 && answer.status < 300) return "revoked";
    throw classify(answer) ?? tokenError(answer);
  },
};
