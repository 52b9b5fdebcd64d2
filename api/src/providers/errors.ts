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
  account_mismatch: "You signed in to a different account than the connection you were reconnecting; nothing was changed.",
  unknown_connection: "That connection does not exist in this workspace (it may have been removed).",
} as const;

export type OAuthErrorCode = keyof typeof oauthErrorCodes;

/**
 * Codes a health check stores besides the catalogue's: `slow` (answered, past
 * HEALTH_SLOW_THRESHOLD_MS) and `identity_changed` (a step's code: the token acts for another
 * account). `unknown` is what GraphQL answers for a stored code this build does not know (an
 * older or newer release wrote it), so a query never fails on one.
 */
export const checkOnlyCodes = {
  slow: "The provider answered, slowly.",
  identity_changed: "The token now belongs to another account.",
  unknown: "A code this version of Switchboard does not know.",
} as const;

/** Every code a connection, a check, an incident or an event may carry (GraphQL's ConnectionErrorCode). */
export type ConnectionErrorCode = OAuthErrorCode | keyof typeof checkOnlyCodes;

export const CONNECTION_ERROR_CODES = [...Object.keys(oauthErrorCodes), ...Object.keys(checkOnlyCodes)] as ConnectionErrorCode[];

export function isConnectionErrorCode(value: string): value is ConnectionErrorCode {
  return Object.hasOwn(oauthErrorCodes, value) || Object.hasOwn(checkOnlyCodes, value);
}

/** A stored code as GraphQL may answer it: known codes as they are, anything else `unknown`. */
export function connectionErrorCode(value: string | null | undefined): ConnectionErrorCode | null {
  if (value === null || value === undefined) return null;
  return isConnectionErrorCode(value) ? value : "unknown";
}

/**
 * What a person can do next, per code: a specific step, never "nothing yet". `{provider}` is
 * replaced with the provider's name. Integration.suggestedAction refines a few with the row's
 * facts (the missing scopes, the time a rate limit ends).
 */
export const nextSteps: Record<ConnectionErrorCode, string> = {
  access_denied: "Connect again and choose Allow at {provider}.",
  invalid_request: "Connect again; if it repeats, check the provider's settings on this server (PROVIDERS_FILE).",
  invalid_scope: "Remove the scopes {provider} refuses from this server's scopes for it, or enable them in the app at {provider}; then connect again.",
  unauthorized_client: "Allow this OAuth client at {provider} (app settings or the admin console), then connect again.",
  server_error: "Check {provider}'s status page, then connect again.",
  temporarily_unavailable: "Wait a few minutes and connect again; check {provider}'s status page.",
  invalid_state: "Start again from Connect in this browser.",
  state_expired: "Start again from Connect and finish within 10 minutes.",
  state_mismatch: "Start again from Connect; each sign-in link works once.",
  missing_code: "Start again from Connect; if it repeats, check the redirect URI registered at {provider}.",
  token_exchange_failed: "Check the client secret and the redirect URI registered at {provider}, then connect again.",
  invalid_grant: "Reconnect: {provider} no longer accepts this connection's grant.",
  not_configured: "Set this provider's client id and secret on the server (environment or PROVIDERS_FILE) and restart.",
  unknown_provider: "Choose a provider from the list; this one is not configured on this server.",
  account_mismatch: "Reconnect and sign in to the connection's own account at {provider}, or use Add another to connect the other account.",
  unknown_connection: "Reload the dashboard and start again from the connection's card.",
  forbidden: "Ask an owner or admin of this workspace to connect it, or to change your role.",
  unauthenticated: "Sign in again, then retry what you were doing.",
  account_fetch_failed: "Test the connection; if the account stays unknown, reconnect.",
  provider_error: "Check {provider}'s status page; Switchboard keeps checking and shows when it answers again.",
  config_error: "Check {provider}'s client id and secret on the server, then reconnect.",
  network: "Check this server's outbound network and DNS to {provider}; Switchboard retries on its own.",
  timeout: "Check {provider}'s status page and this server's outbound network; Switchboard retries on its own.",
  rate_limited: "Wait until {provider}'s rate limit resets; checks resume by themselves.",
  token_revoked: "Reconnect: the token was revoked at {provider} (app removed or access withdrawn).",
  token_expired: "Test the connection: Switchboard refreshes the token; reconnect if that fails.",
  invalid_org: "Choose Production, Sandbox or your My Domain (https://NAME.my.salesforce.com) and connect again.",
  insufficient_scope: "Reconnect and grant every requested scope.",
  api_unavailable: "Try again in a minute; if it repeats, check this server's database.",
  slow: "Check {provider}'s status page if it stays slow; the connection still works.",
  identity_changed: "Reconnect with the account this connection was made for, or disconnect and connect the new one.",
  unknown: "Test the connection to get a current result.",
};

/** The next step for a code, with the provider's name filled in. */
export function nextStepFor(code: ConnectionErrorCode, providerName: string): string {
  return nextSteps[code].replaceAll("{provider}", providerName);
}

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

  /** The provider's HTTP status, when the error comes from an answer. */
  httpStatus?: number;
  /** The call that failed: method and URL path on the provider's host ("POST /api/auth.test"); never a query string. */
  endpoint?: string;

  /** Records which answer this error is about; keeps what was recorded first (the innermost call). */
  about(answer: { status: number; endpoint?: string }): this {
    this.httpStatus ??= answer.status;
    this.endpoint ??= answer.endpoint;
    return this;
  }
}
