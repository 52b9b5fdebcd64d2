import { redirect } from "@sveltejs/kit";
import type { PageServerLoad } from "./$types";

// The first tab this role can use: members and viewers only read the member list.
export const load: PageServerLoad = ({ locals }) => {
  redirect(307, locals.viewer?.permissions.manageApiKeys ? "/settings/api-keys" : "/settings/members");
};
