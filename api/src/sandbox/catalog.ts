// Which providers the sandbox emulates, the one client each accepts, and where their endpoints
// live under /sandbox/<provider>. Paths mirror the real ones (design.md Providers table) so the
// provider catalog only swaps base URLs.

export const SANDBOX_PROVIDERS = ["slack", "hubspot", "google", "salesforce"] as const;

export type SandboxProviderId = (typeof SANDBOX_PROVIDERS)[number];

export type SandboxClient = { clientId: string; clientSecret: string };

export type SandboxEndpoints = {
  authorizationUrl: string;
  tokenUrl: string;
  revocationUrl: string;
  userinfoUrl?: string;
  apiBaseUrl: string;
  /**
   * Salesforce only: the emulated login hosts, each its own org. production is
   * login.salesforce.com (the URLs above), sandbox is test.salesforce.com, myDomain is
   * NAME.my.salesforce.com / NAME--SANDBOX.sandbox.my.salesforce.com with `{domain}` to fill in
   * (salesforce.md §1 and "Facts added 2026-12-05"). Each host serves /services/oauth2/* below it.
   */
  orgLoginUrls?: { production: string; sandbox: string; myDomain: string };
};

export const PROVIDER_NAMES: Record<SandboxProviderId, string> = {
  slack: "Slack",
  hubspot: "HubSpot",
  google: "Google",
  salesforce: "Salesforce",
};

export function isSandboxProvider(value: string): value is SandboxProviderId {
  return (SANDBOX_PROVIDERS as readonly string[]).includes(value);
}

/** The only client credentials the emulator of `provider` accepts. Fixed, so a catalog can name them. */
export function sandboxClient(provider: SandboxProviderId): SandboxClient {
  return { clientId: `sandbox-${provider}`, clientSecret: `sandbox-${provider}-secret` };
}

/** `${publicUrl}/sandbox/<provider>`: the emulated host of a provider (Salesforce's instance_url). */
export function sandboxBaseUrl(publicUrl: string, provider: SandboxProviderId): string {
  return `${publicUrl}/sandbox/${provider}`;
}

/** The redirect URI the emulator has "registered" for the app (design.md public contract). */
export function sandboxCallbackUrl(publicUrl: string, provider: SandboxProviderId): string {
  return `${publicUrl}/api/integrations/oauth/callback/${provider}`;
}

export function sandboxEndpoints(publicUrl: string): Record<SandboxProviderId, SandboxEndpoints> {
  const base = (provider: SandboxProviderId) => sandboxBaseUrl(publicUrl, provider);
  return {
    slack: {
      authorizationUrl: `${base("slack")}/oauth/v2/authorize`,
      tokenUrl: `${base("slack")}/api/oauth.v2.access`,
      revocationUrl: `${base("slack")}/api/auth.revoke`,
      apiBaseUrl: `${base("slack")}/api`,
    },
    hubspot: {
      authorizationUrl: `${base("hubspot")}/oauth/authorize`,
      tokenUrl: `${base("hubspot")}/oauth/v3/token`,
      revocationUrl: `${base("hubspot")}/oauth/v3/token/revoke`,
      apiBaseUrl: base("hubspot"),
    },
    google: {
      authorizationUrl: `${base("google")}/o/oauth2/v2/auth`,
      tokenUrl: `${base("google")}/token`,
      revocationUrl: `${base("google")}/revoke`,
      userinfoUrl: `${base("google")}/v1/userinfo`,
      apiBaseUrl: base("google"),
    },
    salesforce: {
      authorizationUrl: `${base("salesforce")}/services/oauth2/authorize`,
      tokenUrl: `${base("salesforce")}/services/oauth2/token`,
      revocationUrl: `${base("salesforce")}/services/oauth2/revoke`,
      userinfoUrl: `${base("salesforce")}/services/oauth2/userinfo`,
      apiBaseUrl: base("salesforce"),
      orgLoginUrls: { production: base("salesforce"), sandbox: `${base("salesforce")}/test`, myDomain: `${base("salesforce")}/my/{domain}` },
    },
  };
}
