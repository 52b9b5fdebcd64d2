import type { CatalogProvider } from "./catalog.ts";
import { generic } from "./generic.ts";
import { google } from "./google.ts";
import { hubspot } from "./hubspot.ts";
import { forOrg, salesforce } from "./salesforce.ts";
import { slack } from "./slack.ts";
import type { Adapter } from "./types.ts";

// The providers' code: one module per built-in provider (token response, account and live
// scopes, revocation, error mapping), the standards-only module for catalog providers, and the
// OAuth helpers they share. Nothing here imports from the domain.

export type { Adapter, AccountDetails, Inspection, Revocation, TokenSet } from "./types.ts";
export { parseOrg } from "./salesforce.ts";

export function adapterFor(provider: CatalogProvider): Adapter {
  switch (provider.type) {
    case "slack":
      return slack;
    case "hubspot":
      return hubspot;
    case "google":
      return google;
    case "salesforce":
      return salesforce;
    default:
      return generic;
  }
}

/**
 * The provider as one connection uses it: a Salesforce connection's endpoints on its org's
 * login host (production, sandbox or its My Domain), everything else as the catalog says.
 */
export function providerForConnection(provider: CatalogProvider, providerConfig: unknown): CatalogProvider {
  if (!provider.orgLoginUrls) return provider;
  const org = providerConfig && typeof providerConfig === "object" ? (providerConfig as { org?: unknown }).org : undefined;
  return forOrg(provider, typeof org === "string" ? org : undefined);
}
