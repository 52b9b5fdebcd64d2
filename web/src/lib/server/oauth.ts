import { isKnownOAuthError } from "$lib/oauth-errors";
import { DEFAULT_AFTER_SIGN_IN } from "$lib/safe-next";
import type { ApiGraphQLError } from "./api";

// Shared by the two OAuth routes, which only translate between the browser and the GraphQL API.

export const DASHBOARD_PATH = DEFAULT_AFTER_SIGN_IN;

/** Catalog ids, as the API accepts them; anything else is refused before the API is asked. */
export const PROVIDER_ID = /^[a-z0-9_-]{1,32}$/;

// Above the API's own 10 s limit per provider request: authorize may run discovery, the
// callback a token exchange and an account lookup, and the API answers with a code for each
// of those timing out. This only catches an API that does not answer at all.
export const OAUTH_API_TIMEOUT_MS = 30_000;

/** The dashboard with `?error=CODE&provider=ID` (or any other outcome parameters). */
export function dashboardWith(params: Record<string, string>): string {
  return `${DASHBOARD_PATH}?${new URLSearchParams(params)}`;
}

/** The outcome code for a GraphQL error of connectIntegration or completeIntegrationConnection. */
export function outcomeCode(error: ApiGraphQLError | undefined): string {
  const { code, reason } = error?.extensions ?? {};
  if (code === "FORBIDDEN") return "forbidden";
  if (code === "UNAUTHENTICATED") return "unauthenticated";
  if (code === "PROVIDER_NOT_CONFIGURED") return "not_configured";
  if (code === "BAD_USER_INPUT" && reason && isKnownOAuthError(reason)) return reason.toLowerCase();
  // A reconnect of a connection that is not (or no longer) in the workspace.
  if (code === "NOT_FOUND" && reason?.toLowerCase() === "unknown_connection") return "unknown_connection";
  return "provider_error";
}

/** A 303 that carries the API's Set-Cookie headers through to the browser unchanged. */
export function seeOther(location: string, { setCookies = [], headers = {} }: { setCookies?: string[]; headers?: Record<string, string> } = {}): Response {
  const response = new Response(null, { status: 303, headers: { location, "cache-control": "no-store", ...headers } });
  for (const cookie of setCookies) response.headers.append("set-cookie", cookie);
  return response;
}
