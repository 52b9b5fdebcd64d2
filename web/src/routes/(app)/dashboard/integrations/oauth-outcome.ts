import { oauthErrorText } from "$lib/oauth-errors";

/** The query parameters the OAuth callback route redirects back with. */
const OUTCOME_PARAMS = ["connected", "error", "provider"] as const;

export type OAuthOutcome = { tone: "success" | "error"; text: string };

/**
 * The message for `?connected=ID` or `?error=CODE&provider=ID`. Provider names come from the
 * catalog once it is loaded; until then the id stands in.
 */
export function readOutcome(url: URL, providerName: (id: string) => string): OAuthOutcome | null {
  const connected = url.searchParams.get("connected");
  if (connected) return { tone: "success", text: `Connected to ${providerName(connected)}` };
  const error = url.searchParams.get("error");
  if (error) {
    const provider = url.searchParams.get("provider");
    const target = provider ? providerName(provider) : "the provider";
    return { tone: "error", text: `Could not connect to ${target}: ${oauthErrorText(error)}` };
  }
  return null;
}

/** `provider` alone is the dashboard's provider filter (?provider=ID), not an outcome. */
export function hasOutcome(url: URL): boolean {
  return url.searchParams.has("connected") || url.searchParams.has("error");
}

/** The same URL without the outcome parameters, so a reload does not repeat the message. */
export function withoutOutcome(url: URL): URL {
  const clean = new URL(url);
  if (!hasOutcome(url)) return clean;
  for (const name of OUTCOME_PARAMS) clean.searchParams.delete(name);
  return clean;
}
