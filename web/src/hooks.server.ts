import type { Handle } from "@sveltejs/kit";
import { env } from "$env/dynamic/private";
import { VIEWER_QUERY } from "$lib/graphql/documents";
import type { Viewer } from "$lib/graphql/types";

// A hung API must not hang every page; after this the visitor is treated as signed out.
const VIEWER_TIMEOUT_MS = 5_000;

/**
 * Asks the API who the cookie belongs to. Only the cookie header is forwarded: the API is the
 * single place that understands sessions, and no other request header should reach it from here.
 */
async function fetchViewer(cookie: string): Promise<Viewer | null> {
  const apiUrl = env.SWITCHBOARD_API_URL || "http://127.0.0.1:3000";
  try {
    const response = await fetch(`${apiUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", cookie },
      body: JSON.stringify({ query: VIEWER_QUERY }),
      signal: AbortSignal.timeout(VIEWER_TIMEOUT_MS),
    });
    if (response.status === 401) return null;
    if (!response.ok) {
      console.warn(`viewer lookup failed: HTTP ${response.status}`);
      return null;
    }
    const body = (await response.json()) as { data?: { viewer?: Viewer | null } };
    return body.data?.viewer ?? null;
  } catch (error) {
    console.warn(`viewer lookup failed: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

export const handle: Handle = async ({ event, resolve }) => {
  const cookie = event.request.headers.get("cookie");
  event.locals.viewer = cookie ? await fetchViewer(cookie) : null;
  return resolve(event);
};
