import { redirect } from "@sveltejs/kit";
import type { LayoutServerLoad } from "./$types";

// The only gate in the web app: it decides which page to show, while the API decides what data
// anyone may see or change.
export const load: LayoutServerLoad = ({ locals, url }) => {
  if (!locals.viewer) redirect(303, `/login?next=${encodeURIComponent(url.pathname + url.search)}`);
  return { viewer: locals.viewer };
};
