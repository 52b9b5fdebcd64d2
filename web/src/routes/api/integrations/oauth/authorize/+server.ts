import { CONNECT_INTEGRATION_MUTATION } from "$lib/graphql/documents";
import { postGraphQL } from "$lib/server/api";
import { DASHBOARD_PATH, OAUTH_API_TIMEOUT_MS, PROVIDER_ID, dashboardWith, outcomeCode, seeOther } from "$lib/server/oauth";
import { sameOriginPath } from "$lib/safe-next";
import type { RequestHandler } from "./$types";

// Far above any My Domain URL; the API checks the value itself.
const MAX_ORG_LENGTH = 200;
// A connection's id (a UUID); the API refuses anything over 64 characters as unknown too.
const CONNECTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

// GET /api/integrations/oauth/authorize?provider=ID[&org=ORG][&integration=ID][&returnTo=PATH]
// → 303 to the provider. The API creates the state and answers with the authorization URL and
// the cookie that binds the flow to this browser; this route only hands both over. `org`
// (production, sandbox or a My Domain) matters only to providers that ask for one
// (Provider.orgChoice: Salesforce). `integration` reconnects that connection (connectIntegration's
// `integrationId`); without it a new connection is added.
export const GET: RequestHandler = async ({ url, request }) => {
  const provider = url.searchParams.get("provider") ?? "";
  if (!PROVIDER_ID.test(provider)) return seeOther(dashboardWith({ error: "unknown_provider" }));
  const returnTo = sameOriginPath(url.searchParams.get("returnTo"));
  const org = url.searchParams.get("org") || null;
  if (org && org.length > MAX_ORG_LENGTH) return seeOther(dashboardWith({ error: "invalid_org", provider }));
  const integrationId = url.searchParams.get("integration") || null;
  if (integrationId !== null && !CONNECTION_ID.test(integrationId)) return seeOther(dashboardWith({ error: "unknown_connection", provider }));

  let result;
  try {
    result = await postGraphQL({
      document: CONNECT_INTEGRATION_MUTATION,
      variables: { provider, returnTo, org, integrationId },
      cookie: request.headers.get("cookie"),
      timeoutMs: OAUTH_API_TIMEOUT_MS,
    });
  } catch (error) {
    console.warn(`connectIntegration failed: ${error instanceof Error ? error.message : String(error)}`);
    return seeOther(dashboardWith({ error: "api_unavailable", provider }));
  }

  if (result.status === 401) return seeOther(`/login?next=${encodeURIComponent(returnTo ?? DASHBOARD_PATH)}`);
  const authorizationUrl = result.body?.data?.connectIntegration?.authorizationUrl;
  if (!authorizationUrl || !/^https?:\/\//i.test(authorizationUrl)) {
    return seeOther(dashboardWith({ error: outcomeCode(result.body?.errors?.[0]), provider }));
  }
  return seeOther(authorizationUrl, { setCookies: result.setCookies });
};
