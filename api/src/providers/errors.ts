// One catalogue of connection error codes, shared by the callback, refresh, checks and revoke.
// The providers' code maps each provider's answers onto these; the domain acts on them; the web
// app turns each code into words (web/src/lib/oauth-errors.ts).
export const oauthErrorCodes = {
  access_denied: "The person declined at the provider.",
  invalid_request: "The provider refused the request as malformed.",
  invalid_scope: "The provider refused the requested scopes.",
  unauthorized_client: "The provider does not allow this client to connect.",
  server_error: "The provider failed while authorizing.",
  temporarily_unavailable: "The provider is temporarily unavailable.",
  invalid_state: "The sign-in link is not valid (missing, unknown, or for another provider or browser).",
  state_expired: "The sign-in took longer than 10 minutes.",
  state_mismatch: "This callback was already used.",
  missing_code: "The provider sent no authorization code.",
  token_exchange_failed: "The provider did not issue tokens for the code.",
  invalid_grant: "The provider no longer accepts the grant; connect again.",
  not_configured: "The provider has no client credentials on this server.",
  unknown_provider: "No such provider.",
  forbidden: "Your role does not allow connecting providers.",
  unauthenticated: "Sign in first.",
  account_fetch_failed: "Connected, but the account details could not be read.",
  provider_error: "The provider answered with an error.",
  config_error: "The provider's configuration on this server is wrong.",
  network: "The provider could not be reached.",
  timeout: "The provider did not answer in time.",
  rate_limited: "The provider is rate limiting this connection.",
  token_revoked: "The provider revoked the token.",
  // Slack with token rotation: the access token is past its 12 hours; a refresh fixes it.
  token_expired: "The access token expired.",
  invalid_org: "That is not a Salesforce org Switchboard can sign in to: choose Production, Sandbox or a My Domain (https://NAME.my.salesforce.com).",
  insufficient_scope: "The connection lacks a required scope.",
  api_unavailable: "Switchboard could not store the connection (its database failed); try again.",
} as const;

export type OAuthErrorCode = keyof typeof oauthErrorCodes;

export class OAuthFlowError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    /** The provider's own error text, shown escaped; never a token or code. */
    readonly providerMessage?: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(providerMessage ? `${oauthErrorCodes[code]} (${providerMessage})` : oauthErrorCodes[code]);
    this.name = "OAuthFlowError";
  }
}
