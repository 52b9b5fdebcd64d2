// The redirect check itself lives in the API (one copy for `returnTo` there and `next` here);
// Vite bundles that file into both the server and the browser build. It has no imports.
import { sameOriginPath } from "../../../api/src/http/same-origin-path";

export { sameOriginPath };

export const DEFAULT_AFTER_SIGN_IN = "/dashboard/integrations";

/** The `next` target after signing in, only when it is a path on this origin. */
export function safeNext(next: string | null | undefined): string {
  return sameOriginPath(next) ?? DEFAULT_AFTER_SIGN_IN;
}
