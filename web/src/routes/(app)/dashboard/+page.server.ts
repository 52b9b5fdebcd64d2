import { redirect } from "@sveltejs/kit";
import type { PageServerLoad } from "./$types";

// Integrations is the dashboard's only section so far.
export const load: PageServerLoad = () => {
  redirect(308, "/dashboard/integrations");
};
