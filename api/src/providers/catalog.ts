import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
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
  /** Refresh this many seconds before expiry (default TOKEN_REFRESH_MARGIN_SECONDS). */
  refreshMarginSeconds: z.number().int().min(0).max(86_400).optional(),
  /**
   * The issuer the provider documents: an `iss` in the authorization redirect must equal it
   * (RFC 9207). Without one, an `iss` must equal the authorization endpoint's origin.
   */
  issuer: z.string().url().optional(),
  /** Connect asks which org: the login hosts of production, sandbox and My Domain orgs (Salesforce). */
  orgLoginUrls: z.object({ production: z.string().url(), sandbox: z.string().url(), myDomain: z.string().includes("{domain}") }).optional(),
  /** The provider's public status page, linked beside its errors. */
  statusPageUrl: z.string().url().optional(),
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
    // Slack's SLA: "For information on Slack's current status, see https://slack-status.com/"
    // (https://slack.com/intl/en-in/terms/service-level-agreement).
    statusPageUrl: "https://slack-status.com",
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
    // HubSpot's status page, where it posts incident updates: https://status.hubspot.com
    // (named in reports of its 2019 outage, e.g. impactplus.com's retrospective breakdown).
    statusPageUrl: "https://status.hubspot.com",
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
    // The discovery document's issuer (https://accounts.google.com/.well-known/openid-configuration),
    // sent as `iss` on the redirect since February 2026 (google.md §2).
    issuer: "https://accounts.google.com",
    // The Google Workspace Status Dashboard ("status information on the services that are part of
    // Google Workspace"), https://www.google.com/appsstatus/dashboard/ (the older
    // www.google.com/appsstatus moved here).
    statusPageUrl: "https://www.google.com/appsstatus/dashboard/",
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
    // salesforce.md §1 and https://help.salesforce.com/HTViewHelpDoc?id=remoteaccess_using_userinfo_endpoint.htm:
    // "For a sandbox, login.salesforce.com is replaced with test.salesforce.com"; My Domain orgs
    // log in at https://NAME.my.salesforce.com.
    orgLoginUrls: { production: "https://login.salesforce.com", sandbox: "https://test.salesforce.com", myDomain: "https://{domain}.my.salesforce.com" },
    // Salesforce Trust status ("On the Salesforce Trust Status page, you can find real-time status",
    // https://help.salesforce.com/s/articleView?id=000389335): https://status.salesforce.com
    statusPageUrl: "https://status.salesforce.com",
  },
];

export type CatalogProvider = ProviderDefinition & {
  clientId?: string;
  /** Never leaves the server: not in GraphQL, logs or errors. */
  clientSecret?: string;
  /** Set on a copy that one Salesforce connection uses: the org its endpoints were moved to. */
  org?: string;
  /** Client credentials are set (from the environment or PROVIDERS_FILE). */
  configured: boolean;
  /** Served by the built-in emulator at /sandbox/<id> because no credentials are set. */
  sandbox: boolean;
  /** What to register at the provider: {PUBLIC_URL}/api/integrations/oauth/callback/{id}. */
  redirectUri: string;
};

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CatalogError";
  }
}

const url = z.string().url().refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL");
const scopes = z.array(z.string().min(1).regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, "scopes are printable ASCII without spaces or quotes"));
const overrides = {
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  scopes: scopes.optional(),
  authorizationUrl: url.optional(),
  tokenUrl: url.optional(),
  revocationUrl: url.optional(),
  userinfoUrl: url.optional(),
  apiBaseUrl: url.optional(),
  refreshMarginSeconds: z.number().int().min(0).max(86_400).optional(),
  /** RFC 9207: what `iss` on the redirect must equal (oidc: the discovery issuer). */
  issuer: url.optional(),
  orgLoginUrls: z.strictObject({ production: url, sandbox: url, myDomain: z.string().includes("{domain}", { message: "must contain {domain}" }) }).optional(),
  name: z.string().min(1).max(60).optional(),
  description: z.string().max(200).optional(),
  /** The provider's public status page (https), shown beside its errors. */
  statusPageUrl: z.string().url().refine((u) => u.startsWith("https://"), "must be an https URL").optional(),
};

/** An entry of PROVIDERS_FILE, keyed by provider id. */
export const catalogEntrySchema = z.union([
  z.object({ ...overrides, type: z.literal("oidc"), issuer: url, name: z.string().min(1).max(60), pkce: z.boolean().default(true) }).strict(),
  z
    .object({
      ...overrides,
      type: z.literal("oauth2"),
      name: z.string().min(1).max(60),
      authorizationUrl: url,
      tokenUrl: url,
      scopeSeparator: z.string().max(3).default(" "),
      pkce: z.boolean().default(true),
    })
    .strict(),
  z.object({ type: z.undefined().optional(), ...overrides }).strict(),
]);

export const catalogFileSchema = z.record(z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "provider ids are lower-case letters, digits, _ or -"), catalogEntrySchema);

/** Reads PROVIDERS_FILE (YAML or JSON). Throws CatalogError naming the variable and the problem. */
export function readCatalogFile(path: string): z.infer<typeof catalogFileSchema> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CatalogError(`PROVIDERS_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let data: unknown;
  try {
    data = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new CatalogError(`PROVIDERS_FILE: ${path} is not valid ${/\.json$/i.test(path) ? "JSON" : "YAML"}: ${(error as Error).message.split("\n")[0]}`);
  }
  if (data && typeof data === "object" && !Array.isArray(data)) {
    const bad = Object.keys(data).filter((id) => !/^[a-z][a-z0-9_-]{0,31}$/.test(id));
    if (bad.length) throw new CatalogError(`PROVIDERS_FILE: ${path} is invalid: provider ids are lower-case letters, digits, _ or - (up to 32), not ${bad.map((b) => JSON.stringify(b)).join(", ")}`);
  }
  const parsed = catalogFileSchema.safeParse(data ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new CatalogError(`PROVIDERS_FILE: ${path} is invalid:\n  - ${issues.join("\n  - ")}`);
  }
  return parsed.data;
}

export function redirectUriFor(env: Env, providerId: string): string {
  return `${env.PUBLIC_URL}/api/integrations/oauth/callback/${providerId}`;
}

export type SandboxWiring = {
  endpoints: (publicUrl: string) => Record<string, Partial<Pick<ProviderDefinition, "authorizationUrl" | "tokenUrl" | "revocationUrl" | "userinfoUrl" | "apiBaseUrl" | "orgLoginUrls">>>;
  client: (providerId: string) => { clientId: string; clientSecret: string };
};

/**
 * The providers of this process: built-ins with credentials from the environment, overridden
 * and extended by PROVIDERS_FILE; built-ins left without credentials point at the sandbox
 * emulators when sandbox mode allows it.
 */
export function loadCatalog(env: Env, sandbox?: SandboxWiring): CatalogProvider[] {
  const file = env.PROVIDERS_FILE ? readCatalogFile(env.PROVIDERS_FILE) : {};
  const providers: CatalogProvider[] = [];
  for (const def of BUILT_IN_PROVIDERS) {
    const prefix = def.id.toUpperCase() as "SLACK" | "HUBSPOT" | "GOOGLE" | "SALESFORCE";
    const entry = file[def.id];
    if (entry?.type) throw new CatalogError(`PROVIDERS_FILE: "${def.id}" is a built-in provider; it takes overrides only, not a type`);
    const clientId = env[`${prefix}_CLIENT_ID`] ?? entry?.clientId;
    const clientSecret = env[`${prefix}_CLIENT_SECRET`] ?? entry?.clientSecret;
    if (Boolean(clientId) !== Boolean(clientSecret)) {
      throw new CatalogError(`${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET (or clientId and clientSecret of "${def.id}" in PROVIDERS_FILE) must be set together`);
    }
    const configured = Boolean(clientId && clientSecret);
    const useSandbox = !configured && env.sandboxEnabled;
    const sandboxed = useSandbox && sandbox ? { ...sandbox!.endpoints(env.PUBLIC_URL)[def.id], ...sandbox!.client(def.id) } : {};
    const { type: _t, ...fileOverrides } = entry ?? {};
    providers.push({
      ...def,
      ...sandboxed,
      ...stripUndefined(fileOverrides),
      ...(configured ? { clientId, clientSecret } : {}),
      configured,
      sandbox: useSandbox,
      redirectUri: redirectUriFor(env, def.id),
    } as CatalogProvider);
  }
  for (const [id, entry] of Object.entries(file)) {
    if (BUILT_IN_PROVIDERS.some((b) => b.id === id)) continue;
    if (!entry.type) throw new CatalogError(`PROVIDERS_FILE: "${id}" is not a built-in provider, so it needs type: oidc or type: oauth2`);
    if (Boolean(entry.clientId) !== Boolean(entry.clientSecret)) throw new CatalogError(`PROVIDERS_FILE: "${id}" has clientId without clientSecret (or the reverse)`);
    const base = entry.type === "oidc" ? { authorizationUrl: `${entry.issuer}/authorize`, tokenUrl: `${entry.issuer}/token` } : {};
    providers.push({
      id,
      description: entry.description ?? `Sign-in and API access through ${entry.name}`,
      scopeSeparator: entry.type === "oauth2" ? entry.scopeSeparator : " ",
      authorizationParams: {},
      homepage: entry.type === "oidc" ? entry.issuer : new URL(entry.authorizationUrl!).origin,
      ...base,
      ...stripUndefined(entry),
      scopes: entry.scopes ?? (entry.type === "oidc" ? ["openid", "offline_access"] : []),
      configured: Boolean(entry.clientId && entry.clientSecret),
      sandbox: false,
      redirectUri: redirectUriFor(env, id),
    } as CatalogProvider);
  }
  return providers;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
