// Readable text for the connection error codes of api/src/domain/oauth/errors.ts
// (`oauthErrorCodes`): the `?error=CODE` the OAuth routes redirect to, and the codes of health
// checks. Each text continues "Could not connect to Slack: …". Codes are matched
// case-insensitively: providers send the standard ones (RFC 6749 §4.1.2.1) in lower case, but
// nothing stops one from shouting.
const MESSAGES: Record<string, string> = {
  access_denied: "access was denied at the provider.",
  invalid_request: "the provider rejected the request.",
  invalid_scope: "the provider rejected the requested scopes.",
  unauthorized_client: "the provider does not allow this app to connect. Check the client ID.",
  unsupported_response_type: "the provider does not support this sign-in flow.",
  server_error: "the provider had an error. Try again later.",
  temporarily_unavailable: "the provider is temporarily unavailable. Try again later.",
  invalid_state: "the sign-in link expired or was already used. Start again.",
  state_expired: "the sign-in link expired. Start again.",
  state_mismatch: "the sign-in link did not match this session. Start again.",
  missing_code: "the provider did not return an authorization code.",
  token_exchange_failed: "the provider did not issue a token.",
  invalid_grant: "the provider rejected the authorization code. Start again.",
  not_configured: "this provider has no client credentials on the server.",
  unknown_provider: "this provider is not in the catalog.",
  forbidden: "only workspace owners and admins can connect integrations.",
  unauthenticated: "your session ended. Sign in and try again.",
  account_fetch_failed: "the connection worked but the account details could not be read.",
  provider_error: "the provider returned an error.",
  config_error: "the provider's settings on this server are wrong. Check the catalog file.",
  network: "the provider could not be reached. Try again later.",
  timeout: "the provider did not answer in time. Try again later.",
  rate_limited: "the provider is limiting requests. Wait a moment and try again.",
  token_revoked: "the provider revoked access. Connect again.",
  insufficient_scope: "a required permission was not granted. Connect again and allow every requested scope.",
  invalid_org:
    "that org is not valid. Choose Production or Sandbox, or enter a My Domain such as acme or https://acme.my.salesforce.com.",
  // A reconnect (connectIntegration's integrationId) must come back with the connection's own
  // account; another one changes nothing, and may be added as a connection of its own.
  account_mismatch:
    "you signed in to a different account than the connection you were reconnecting, so nothing was changed. Reconnect and sign in to that connection's own account, or use Add another to connect the other one.",
  unknown_connection: "that connection no longer exists in this workspace (it may have been removed). Reload the page and start again from its card.",
  // Slack with token rotation: a refresh renews it, so this is rarely the last word.
  token_expired: "the access token expired. Switchboard renews it on its own; connect again if this persists.",
  // The web app's OAuth routes use this one when the GraphQL API did not answer, and the API
  // when its database failed while storing a new connection: either way, try again.
  api_unavailable: "Switchboard's server did not answer. Try again.",
};

export function isKnownOAuthError(code: string): boolean {
  return Object.hasOwn(MESSAGES, code.toLowerCase());
}

export function oauthErrorText(code: string): string {
  const known = isKnownOAuthError(code) ? MESSAGES[code.toLowerCase()] : undefined;
  if (known) return known;
  // An unknown code is still more useful than nothing: "SOME_CODE" → "some code."
  const words = code.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  return words ? `${words}.` : "something went wrong.";
}
