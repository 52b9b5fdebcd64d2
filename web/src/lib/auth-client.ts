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

type SignUpInput = { name: string; email: string; password: string; invitationToken?: string };

/**
 * Creates an account, then signs in with it. Sign-up answers alike whether or not the address
 * already has an account and never starts a session (so it reveals nothing); the sign-in after
 * it is what tells success. Resolves with a message to show, or null when signed in.
 */
export async function signUpAndSignIn({ name, email, password, invitationToken }: SignUpInput): Promise<string | null> {
  const client = authClient();
  // `invitationToken` is ours: under SIGNUP=invite the server wants it (the library ignores it).
  const signUp = client.signUp.email as (body: SignUpInput) => ReturnType<typeof client.signUp.email>;
  const created = await signUp({ name, email, password, ...(invitationToken ? { invitationToken } : {}) });
  if (created.error) return authErrorMessage(created.error);
  const signedIn = await client.signIn.email({ email, password });
  if (signedIn.error) {
    if (signedIn.error.status === 401) return "Could not sign in with this email and password. If you already have an account, sign in with its password instead.";
    return authErrorMessage(signedIn.error);
  }
  return null;
}
