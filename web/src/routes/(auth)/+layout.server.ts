import { redirect } from "@sveltejs/kit";
import { safeNext } from "$lib/safe-next";
import type { LayoutServerLoad } from "./$types";

// Someone already signed in has nothing to do on /login or /signup.
export const load: LayoutServerLoad = ({ locals, url }) => {
  if (locals.viewer) redirect(303, safeNext(url.searchParams.get("next")));
};
