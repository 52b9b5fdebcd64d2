import type { CatalogProvider } from "./catalog.ts";
import { OAuthFlowError } from "./errors.ts";
import { bearer, bearerChallengeError, call, form, isObject, objectOf, parseOrThrow, providerText, readAnswer, retryAfter, splitScopes, standardToken, tokenError, toTokenSet, type Answer } from "./http.ts";
import { outboundFetch } from "../http/outbound.ts";
import type { Adapter } from "./types.ts";

// Google: what is particular to it. Facts from ../shared/providers/google.md:
// - Issuer https://accounts.google.com (the discovery document at
//   https://accounts.google.com/.well-known/openid-configuration; the catalog carries it), sent as
//   `iss` on the authorization redirect since February 2026, per account (openiddict-core #2428).
// - Granted scopes: the token response's `scope`, and tokeninfo's `scope` for the token now
//   (G2 google-auth-library-nodejs getTokenInfo: POST oauth2.googleapis.com/tokeninfo with the
//   token as Bearer). `email` and `profile` come back as full URLs (G3; observed).
// - Revocation: POST oauth2.googleapis.com/revoke, 200 on success, 400 with an error code
//   otherwise (G1); a token that is already dead answers 400
//   {"error":"invalid_token","error_description":"Token expired or revoked"} (observed,
//   mrdulin/nodejs-googleapis): the grant is gone, the disconnect is complete.
// - 403 is not "token revoked": usageLimits reasons (rateLimitExceeded, userRateLimitExceeded,
//   quotaExceeded) are rate limits; insufficientPermissions / insufficient_scope is a scope problem.

const SCOPE_URLS: Record<string, string> = {
  "https://www.googleapis.com/auth/userinfo.email": "email",
  "https://www.googleapis.com/auth/userinfo.profile": "profile",
};

/** Full-URL scopes read back as the short names that were requested, so like compares with like. */
export function googleScopes(granted: string[], requested: string[]): string[] {
  return [...new Set(granted.map((s) => (SCOPE_URLS[s] && requested.includes(SCOPE_URLS[s]) ? SCOPE_URLS[s] : s)))];
}

/** tokeninfo lives beside the token endpoint (https://oauth2.googleapis.com/token → /tokeninfo, G2). */
export function tokeninfoUrl(provider: CatalogProvider): string {
  return provider.tokenUrl.replace(/\/token\/?$/, "/tokeninfo");
}

const RATE_REASONS = new Set(["rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded", "RATE_LIMIT_EXCEEDED"]);

function classify(answer: Answer): OAuthFlowError | undefined {
  if (answer.status !== 403) return undefined;
  const error = isObject(answer.body) && isObject(answer.body.error) ? answer.body.error : {};
  const reasons = Array.isArray(error.errors) ? error.errors.map((e) => (isObject(e) ? String(e.reason) : "")) : [];
  const details = Array.isArray(error.details) ? error.details.map((d) => (isObject(d) ? String(d.reason ?? "") : "")) : [];
  const text = providerText(answer);
  if ([...reasons, ...details].some((r) => RATE_REASONS.has(r)) || error.status === "RESOURCE_EXHAUSTED") return new OAuthFlowError("rate_limited", text, retryAfter(answer.headers));
  if (bearerChallengeError(answer.headers) === "insufficient_scope" || reasons.includes("insufficientPermissions") || /insufficient authentication scopes/i.test(String(error.message ?? "")))
    return new OAuthFlowError("insufficient_scope", text);
  return undefined;
}

/** tokeninfo answers 400 invalid_token for a token it does not accept (google.md §5). */
function classifyTokeninfo(answer: Answer): OAuthFlowError | undefined {
  if (answer.status === 400 && isObject(answer.body) && answer.body.error === "invalid_token") return new OAuthFlowError("token_revoked", providerText(answer));
  return classify(answer);
}

export const google: Adapter = {
  async readTokenResponse({ response, requested }) {
    const answer = await readAnswer(response);
    if (answer.status < 200 || answer.status >= 300) throw tokenError(answer);
    const set = toTokenSet(parseOrThrow(standardToken, objectOf(answer), "Google's token response"), requested, " ");
    set.scopes = googleScopes(set.scopes, requested);
    return set;
  },
  async inspect({ provider, tokens, requested, outbound }) {
    const [userinfo, tokeninfo] = await Promise.all([
      call(provider.userinfoUrl!, { headers: bearer(tokens.accessToken) }, classify, outbound),
      call(tokeninfoUrl(provider), { method: "POST", headers: bearer(tokens.accessToken) }, classifyTokeninfo, outbound),
    ]);
    const info = objectOf(userinfo);
    const token = objectOf(tokeninfo);
    const sub = typeof info.sub === "string" ? info.sub : undefined;
    // The two answers must be about the same person; tokeninfo's sub is optional (G2).
    if (sub && typeof token.sub === "string" && token.sub !== sub) throw new OAuthFlowError("provider_error", "userinfo and tokeninfo name different accounts");
    return {
      account: {
        id: sub,
        name: typeof info.email === "string" ? info.email : undefined,
        url: "https://myaccount.google.com",
        user: typeof info.name === "string" ? info.name : undefined,
      },
      scopes: typeof token.scope === "string" ? googleScopes(splitScopes(token.scope, " "), requested) : undefined,
    };
  },
  async revoke({ provider, tokens }) {
    // Revoking the refresh token revokes its access tokens too (google.md §6).
    const answer = await readAnswer(await outboundFetch(provider.revocationUrl!, form({ token: tokens.refreshToken ?? tokens.accessToken })));
    if (answer.status >= 200 && answer.status < 300) return "revoked";
    if (answer.status === 400 && isObject(answer.body) && (answer.body.error === "invalid_token" || answer.body.error === "invalid_grant")) return "already_revoked";
    throw tokenError(answer);
  },
};
