import { apiOrigin } from "$lib/server/api";
import type { InvitationPreview } from "$lib/graphql/types";
import type { PageServerLoad } from "./$types";

// A hung API must not hang the page; the visitor then sees the "not valid" answer and can retry.
const LOOKUP_TIMEOUT_MS = 5_000;

/** What the token may show before anyone signs in (the API's GET /api/auth/invitation). */
async function lookup(token: string): Promise<InvitationPreview | null> {
  try {
    const res = await fetch(`${apiOrigin()}/api/auth/invitation?token=${encodeURIComponent(token)}`, { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) });
    if (res.status !== 200) return null;
    return (await res.json()) as InvitationPreview;
  } catch {
    return null;
  }
}

export const load: PageServerLoad = async ({ params, locals, setHeaders }) => {
  // The URL holds a credential: never cache the page, never send it on as a referrer.
  setHeaders({ "cache-control": "no-store", "referrer-policy": "no-referrer" });
  return { token: params.token, invitation: await lookup(params.token), viewer: locals.viewer };
};
