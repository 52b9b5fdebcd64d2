import { createAuthClient } from "better-auth/svelte";
import { organizationClient } from "better-auth/client/plugins";

// The organization plugin's client: listing the caller's workspaces and switching the session's
// active one (the API's viewer acts in the session's active workspace).
function makeClient() {
  return createAuthClient({ baseURL: window.location.origin, basePath: "/api/auth", plugins: [organizationClient()] });
}

type AuthClient = ReturnType<typeof makeClient>;

let client: AuthClient | undefined;

/**
 * better-auth's browser client on this origin's /api/auth. Created on first use because it
 * infers its base URL from `window.location`, which does not exist during SSR.
 */
export function authClient(): AuthClient {
  client ??= makeClient();
  return client;
}

/** A message fit to show the user, from better-auth's `{ error }` or a thrown network error. */
export function authErrorMessage(error: { message?: string; status?: number; statusText?: string } | unknown): string {
  if (error && typeof error === "object") {
    const { message, status, statusText } = error as { message?: string; status?: number; statusText?: string };
    if (message) return message;
    if (status === 429) return "Too many attempts. Wait a moment and try again.";
    if (statusText) return statusText;
  }
  return "Could not reach the server. Check your connection and try again.";
}
