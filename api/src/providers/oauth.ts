import * as oauth from "oauth4webapi";
import type { CatalogProvider } from "./catalog.ts";
import { outboundFetch, type OutboundOptions } from "../http/outbound.ts";
import { OAuthFlowError } from "./errors.ts";

// The OAuth 2.0 protocol details (PKCE, discovery, iss checks, request building, RFC 7009
// revocation, ID token claims) come from oauth4webapi. Built-in providers whose token responses
// deviate from RFC 6749 (Slack's HTTP 200 `ok:false`, token_type "bot") are parsed by their own
// module after the request; catalog providers use oauth4webapi's strict processing.

/**
 * oauth4webapi options shared by every call: our fetch (timeouts, size limits: `outbound`, the
 * defaults without it), http for local.
 */
export function requestOptions(provider: CatalogProvider, allowHttp: boolean, outbound?: OutboundOptions) {
  return {
    [oauth.customFetch]: (url: string, init: RequestInit) => outboundFetch(url, init, outbound),
    ...(allowHttp ? { [oauth.allowInsecureRequests]: true } : {}),
  } as const;
}

const discovered = new Map<string, { as: oauth.AuthorizationServer; at: number }>();
const DISCOVERY_TTL_MS = 60 * 60 * 1000;

/**
 * The issuer an `iss` in the authorization redirect must equal (RFC 9207 §2.4): the one the
 * provider documents (the catalog's `issuer`: Google's is https://accounts.google.com), or, for a
 * provider that names none (Slack, HubSpot, Salesforce), the origin of the authorization endpoint
 * the request went to. Never one derived from the token URL: Google's token host
 * (oauth2.googleapis.com) is not its issuer, and deriving it broke every Google account that
 * received `iss` (google.md §2, openiddict-core issue #2428, February 2026).
 */
export function expectedIssuer(provider: Pick<CatalogProvider, "issuer" | "authorizationUrl">): string {
  return provider.issuer ?? new URL(provider.authorizationUrl).origin;
}

/** The authorization server metadata of a provider: discovery for oidc, the catalog otherwise. */
export async function authorizationServer(provider: CatalogProvider, allowHttp: boolean, outbound?: OutboundOptions): Promise<oauth.AuthorizationServer> {
  if (provider.type === "oidc" && provider.issuer) {
    const cached = discovered.get(provider.issuer);
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.as;
    const issuer = new URL(provider.issuer);
    try {
      const response = await oauth.discoveryRequest(issuer, { algorithm: "oidc", ...requestOptions(provider, allowHttp, outbound) });
      const as = await oauth.processDiscoveryResponse(issuer, response);
      discovered.set(provider.issuer, { as, at: Date.now() });
      return as;
    } catch (error) {
      throw new OAuthFlowError("config_error", `discovery at ${provider.issuer} failed: ${(error as Error).message}`);
    }
  }
  return {
    // A redirect without `iss` stays acceptable: none of the built-ins promises one
    // (authorization_response_iss_parameter_supported is not advertised, and Google rolls it
    // out per account). One that carries `iss` must match exactly.
    issuer: expectedIssuer(provider),
    authorization_endpoint: provider.authorizationUrl,
    token_endpoint: provider.tokenUrl,
    revocation_endpoint: provider.revocationUrl,
    userinfo_endpoint: provider.userinfoUrl,
  };
}

export function oauthClient(provider: CatalogProvider): oauth.Client {
  if (!provider.clientId) throw new OAuthFlowError("not_configured");
  return { client_id: provider.clientId };
}

/**
 * How each provider wants the client secret. Slack recommends HTTP Basic (slack.md S1) and
 * accepts both; HubSpot documents the form body (hubspot.md); Google and Salesforce accept the
 * body; catalog providers default to the body too (the most widely supported).
 */
export function clientAuth(provider: CatalogProvider): oauth.ClientAuth {
  if (!provider.clientSecret) throw new OAuthFlowError("not_configured");
  return provider.type === "slack" ? oauth.ClientSecretBasic(provider.clientSecret) : oauth.ClientSecretPost(provider.clientSecret);
}
