import { outboundFetch, outboundRequest, type OutboundAnswer } from "../http/outbound.ts";
import { OAuthFlowError, type OAuthErrorCode } from "./errors.ts";
import { bearer, isObject, objectOf, parseOrThrow, readAnswer, retryAfter, splitScopes, standardToken, toTokenSet, type Answer } from "./http.ts";
import type { Adapter } from "./types.ts";

// Slack: what is particular to it. Facts from ../shared/providers/slack.md:
// - Errors come as HTTP 200 {"ok":false,"error":"..."}; only rate limiting changes the status
//   (S6 node-slack-sdk WebClient: "Slack's Web API doesn't use meaningful status codes besides
//   429 and 200"), with Retry-After in seconds (S5).
// - Scopes are comma-separated (S1). Web API answers carry `x-oauth-scopes`, the scopes the token
//   has now (https://docs.slack.dev/tools/node-slack-sdk/reference/web-api/interfaces/WebAPICallResult,
//   slack-ruby-client issue #378).
// - Tokens expire only with token rotation on: then `expires_in` + `refresh_token`, 12 hours,
//   the refresh token rotates (S1, S4 https://docs.slack.dev/authentication/using-token-rotation),
//   and an expired access token answers `token_expired`: a refresh, not a reconnect.
// - auth.test returns team_id, user_id, url (S2/S3): the identity the token acts for now.
// - auth.revoke revokes the token, not the app (S3 https://api.slack.com/methods/auth.revoke).

/** Slack's error strings (S1 oauth.v2.access, S2 auth.test/auth.revoke enums) → our codes. */
export const SLACK_ERRORS: Record<string, OAuthErrorCode> = {
  // The grant is gone: reconnect.
  invalid_code: "invalid_grant",
  invalid_refresh_token: "invalid_grant",
  invalid_grant: "invalid_grant",
  // The access token is past its rotation lifetime: refresh once and retry (S4).
  token_expired: "token_expired",
  // The token is dead (revoked, app removed, user or workspace deleted): refresh if possible.
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

/** Answers of auth.revoke that mean the token was already dead (S2 enum, S1 descriptions). */
const DEAD_TOKEN = new Set(["token_revoked", "invalid_auth", "account_inactive"]);

async function slackCall(response: Response | OutboundAnswer, request?: { url: string; method: string }): Promise<{ body: Record<string, unknown>; answer: Answer }> {
  const answer = await readAnswer(response, request);
  if (answer.status === 429) throw new OAuthFlowError("rate_limited", "ratelimited", retryAfter(answer.headers)).about(answer);
  // A 5xx may still carry Slack's {"ok":false,"error":"..."}: show its words when it does.
  if (answer.status >= 500) throw new OAuthFlowError("provider_error", isObject(answer.body) && typeof answer.body.error === "string" ? answer.body.error.slice(0, 100) : `HTTP ${answer.status}`).about(answer);
  const body = objectOf(answer);
  if (body.ok !== true) {
    const error = typeof body.error === "string" ? body.error.slice(0, 100) : "unknown_error";
    const needed = typeof body.needed === "string" ? ` (needs ${body.needed.slice(0, 100)})` : "";
    throw new OAuthFlowError(SLACK_ERRORS[error] ?? "provider_error", error + needed).about(answer);
  }
  return { body, answer };
}

export const slack: Adapter = {
  async readTokenResponse({ response, requested }) {
    const { body } = await slackCall(response);
    const parsed = parseOrThrow(standardToken, body, "Slack's token response");
    return toTokenSet(parsed, requested, ",", ["team", "authed_user", "bot_user_id", "app_id", "enterprise"]);
  },
  async inspect({ provider, tokens, known, outbound }) {
    const url = `${provider.apiBaseUrl}/auth.test`;
    const { body: test, answer } = await slackCall(await outboundRequest(url, { method: "POST", headers: bearer(tokens.accessToken) }, outbound), { url, method: "POST" });
    const installer = (tokens.extra.authed_user ?? {}) as { id?: string };
    const header = answer.headers.get("x-oauth-scopes");
    return {
      account: {
        // What Slack says now (auth.test), never what was stored at connect time: comparing the
        // stored team id with itself would never notice a token that acts for another workspace.
        id: typeof test.team_id === "string" ? test.team_id : undefined,
        name: typeof test.team === "string" ? test.team : undefined,
        url: typeof test.url === "string" ? test.url : undefined,
        // The person who installed the app (token response), else the token's own user.
        user: known?.user ?? installer.id ?? (typeof test.user_id === "string" ? test.user_id : undefined),
      },
      scopes: header === null ? undefined : splitScopes(header, ","),
    };
  },
  async revoke({ provider, tokens }) {
    try {
      const url = provider.revocationUrl ?? `${provider.apiBaseUrl}/auth.revoke`;
      await slackCall(await outboundFetch(url, { method: "POST", headers: bearer(tokens.accessToken) }), { url, method: "POST" });
      return "revoked";
    } catch (error) {
      // token_expired (rotation) is thrown on: the caller refreshes and revokes the fresh token.
      if (error instanceof OAuthFlowError && DEAD_TOKEN.has(error.providerMessage ?? "")) return "already_revoked";
      throw error;
    }
  },
};
