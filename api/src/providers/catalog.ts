import { z } from "zod";
import type { Env } from "../env.ts";

// The provider catalog is data: endpoints, scopes and protocol switches. Code per provider
// (account details, probes, quirks) lives beside this file only where data cannot say it.
// Facts come from ../shared/providers/*.md (each provider's public documentation).

export const providerDefinitionSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
  name: z.string().min(1),
  description: z.string(),
  type: z.enum(["slack", "hubspot", "google", "salesforce", "oidc", "oauth2"]),
  authorizationUrl: z.string().url(),
  tokenUrl: z.string().url(),
  revocationUrl: z.string().url().optional(),
  userinfoUrl: z.string().url().optional(),
  apiBaseUrl: z.string().url().optional(),
  scopes: z.array(z.string()),
  scopeSeparator: z.string(),
  pkce: z.boolean(),
  /** Extra authorization request parameters. */
  authorizationParams: z.record(z.string(), z.string()).default({}),
  /** A link to the account at the provider (account.url) when the provider does not give one. */
  homepage: z.string().url(),
});

export type ProviderDefinition = z.infer<typeof providerDefinitionSchema>;

export const BUILT_IN_PROVIDERS: ProviderDefinition[] = [
  {
    id: "slack",
    name: "Slack",
    description: "Messages and channels of a Slack workspace",
    type: "slack",
    authorizationUrl: "https://slack.com/oauth/v2/authorize",
    tokenUrl: "https://slack.com/api/oauth.v2.access",
    revocationUrl: "https://slack.com/api/auth.revoke",
    apiBaseUrl: "https://slack.com/api",
    scopes: ["channels:read", "chat:write", "team:read", "users:read"],
    scopeSeparator: ",",
    pkce: false,
    authorizationParams: {},
    homepage: "https://slack.com",
  },
  {
    id: "hubspot",
    name: "HubSpot",
    description: "Contacts, companies and deals in a HubSpot portal",
    type: "hubspot",
    authorizationUrl: "https://app.hubspot.com/oauth/authorize",
    tokenUrl: "https://api.hubapi.com/oauth/v3/token",
    revocationUrl: "https://api.hubapi.com/oauth/v3/token/revoke",
    apiBaseUrl: "https://api.hubapi.com",
    scopes: ["oauth", "crm.objects.contacts.read"],
    scopeSeparator: " ",
    pkce: false,
    authorizationParams: {},
    homepage: "https://app.hubspot.com",
  },
  {
    id: "google",
    name: "Google",
    description: "Google account identity, Gmail and Drive",
    type: "google",
    authorizationUrl: "https://accounts.google.com/o/oauth2/v2/auth",
    tokenUrl: "https://oauth2.googleapis.com/token",
    revocationUrl: "https://oauth2.googleapis.com/revoke",
    userinfoUrl: "https://openidconnect.googleapis.com/v1/userinfo",
    apiBaseUrl: "https://www.googleapis.com",
    scopes: ["openid", "email", "profile"],
    scopeSeparator: " ",
    pkce: true,
    authorizationParams: { access_type: "offline", prompt: "consent", include_granted_scopes: "true" },
    homepage: "https://myaccount.google.com",
  },
  {
    id: "salesforce",
    name: "Salesforce",
    description: "Accounts, contacts and opportunities of a Salesforce org",
    type: "salesforce",
    authorizationUrl: "https://login.salesforce.com/services/oauth2/authorize",
    tokenUrl: "https://login.salesforce.com/services/oauth2/token",
    revocationUrl: "https://login.salesforce.com/services/oauth2/revoke",
    userinfoUrl: "https://login.salesforce.com/services/oauth2/userinfo",
    scopes: ["api", "refresh_token", "openid"],
    scopeSeparator: " ",
    pkce: true,
    authorizationParams: {},
    homepage: "https://login.salesforce.com",
  },
];

export type CatalogProvider = ProviderDefinition & {
  clientId?: string;
  /** Never leaves the server: not in GraphQL, logs or errors. */
  clientSecret?: string;
  /** Client credentials are set (from the environment or PROVIDERS_FILE). */
  configured: boolean;
  /** Served by the built-in emulator at /sandbox/<id> because no credentials are set. */
  sandbox: boolean;
  /** What to register at the provider: {PUBLIC_URL}/api/integrations/oauth/callback/{id}. */
  redirectUri: string;
};

export function redirectUriFor(env: Env, providerId: string): string {
  return `${env.PUBLIC_URL}/api/integrations/oauth/callback/${providerId}`;
}

/** The providers of this process: built-ins with their credentials from the environment. */
export function loadCatalog(env: Env): CatalogProvider[] {
  return BUILT_IN_PROVIDERS.map((def) => {
    const prefix = def.id.toUpperCase() as "SLACK" | "HUBSPOT" | "GOOGLE" | "SALESFORCE";
    const clientId = env[`${prefix}_CLIENT_ID`];
    const clientSecret = env[`${prefix}_CLIENT_SECRET`];
    const configured = Boolean(clientId && clientSecret);
    return { ...def, clientId, clientSecret, configured, sandbox: !configured && env.sandboxEnabled, redirectUri: redirectUriFor(env, def.id) };
  });
}
