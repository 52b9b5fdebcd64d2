import type { Handle } from "@sveltejs/kit";
import { VIEWER_QUERY } from "$lib/graphql/documents";
import type { Viewer } from "$lib/graphql/types";
import { postGraphQL } from "$lib/server/api";

// A hung API must not hang every page; after this the visitor is treated as signed out.
const VIEWER_TIMEOUT_MS = 5_000;

// The OAuth routes authenticate through the mutation they send; asking who the caller is first
// would only add a round trip to every authorize and callback.
const OAUTH_ROUTES = "/api/integrations/oauth/";

/** Asks the API who the cookie belongs to. */
async function fetchViewer(cookie: string): Promise<Viewer | null> {
  try {
    const { status, body } = await postGraphQL({ document: VIEWER_QUERY, cookie, timeoutMs: VIEWER_TIMEOUT_MS });
    if (status === 401) return null;
    if (status < 200 || status >= 300) {
      console.warn(`viewer lookup failed: HTTP ${status}`);
      return null;
    }
    return body?.data?.viewer ?? null;
  } catch (error) {
    console.warn(`viewer lookup failed: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

export const handle: Handle = async ({ event, resolve }) => {
  const cookie = event.request.headers.get("cookie");
  const needsViewer = !!cookie && !event.url.pathname.startsWith(OAUTH_ROUTES);
  event.locals.viewer = needsViewer ? await fetchViewer(cookie) : null;
  return resolve(event);
};
