import { COMPLETE_INTEGRATION_CONNECTION_MUTATION } from "$lib/graphql/documents";
import { postGraphQL } from "$lib/server/api";
import { DASHBOARD_PATH, OAUTH_API_TIMEOUT_MS, PROVIDER_ID, dashboardWith, outcomeCode, seeOther } from "$lib/server/oauth";
import { sameOriginPath } from "$lib/safe-next";
import type { RequestHandler } from "./$types";

// This URL carries the authorization code: nothing after it may leak it through a Referer
// header or a cache.
const HEADERS = { "referrer-policy": "no-referrer", "cache-control": "no-store" };

// GET /api/integrations/oauth/callback/:provider → 303 to the dashboard with ?connected=ID or
// ?error=CODE&provider=ID. The API checks the state and the binding cookie, exchanges the
// code and stores the tokens; the code and the tokens never stop here.
export const GET: RequestHandler = async ({ params, url, request }) => {
  const provider = params.provider;
  if (!PROVIDER_ID.test(provider)) return seeOther(dashboardWith({ error: "unknown_provider" }), { headers: HEADERS });

  let result;
  try {
    result = await postGraphQL({
      document: COMPLETE_INTEGRATION_CONNECTION_MUTATION,
      variables: { provider, callbackQuery: url.search },
      cookie: request.headers.get("cookie"),
      timeoutMs: OAUTH_API_TIMEOUT_MS,
    });
  } catch (error) {
    console.warn(`completeIntegrationConnection failed: ${error instanceof Error ? error.message : String(error)}`);
    return seeOther(dashboardWith({ error: "api_unavailable", provider }), { headers: HEADERS });
  }

  const forward = { setCookies: result.setCookies, headers: HEADERS };
  if (result.status === 401) return seeOther("/login", forward);
  const completion = result.body?.data?.completeIntegrationConnection;
  if (!completion) return seeOther(dashboardWith({ error: outcomeCode(result.body?.errors?.[0]), provider }), forward);
  // The API promises a path on this site; a value that is not one falls back to the dashboard
  // rather than becoming an open redirect.
  return seeOther(sameOriginPath(completion.redirectTo) ?? DASHBOARD_PATH, forward);
};
