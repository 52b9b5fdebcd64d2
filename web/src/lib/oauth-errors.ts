// Readable text for the `?error=CODE` the OAuth callback redirects to. Codes are matched
// case-insensitively: the standard OAuth ones (RFC 6749 §4.1.2.1) arrive lower-case from the
// provider, Switchboard's own ones upper-case.
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
};

export function oauthErrorText(code: string): string {
  const known = MESSAGES[code.toLowerCase()];
  if (known) return known;
  // An unknown code is still more useful than nothing: "SOME_CODE" → "some code."
  const words = code.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();
  return words ? `${words}.` : "something went wrong.";
}
