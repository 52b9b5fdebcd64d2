import { z } from "zod";
import type { CatalogProvider } from "./catalog.ts";
import { OAuthFlowError } from "./errors.ts";
import { bearer, call, form, isObject, objectOf, parseOrThrow, providerText, readAnswer, retryAfter, standardToken, tokenError, toTokenSet, type Answer } from "./http.ts";
import { outboundFetch } from "../http/outbound.ts";
import type { Adapter } from "./types.ts";

// Salesforce: what is particular to it. Facts from ../shared/providers/salesforce.md:
// - Which org: production orgs log in at login.salesforce.com, sandboxes at test.salesforce.com
//   ("For a sandbox, login.salesforce.com is replaced with test.salesforce.com",
//   https://help.salesforce.com/HTViewHelpDoc?id=remoteaccess_using_userinfo_endpoint.htm), orgs
//   that require it at their My Domain https://NAME.my.salesforce.com (sandboxes
//   NAME--SANDBOX.sandbox.my.salesforce.com). The token, userinfo and revoke endpoints live on
//   that host; API calls go to the token response's instance_url.
// - The token response has no expires_in (F1, F5): an expired session shows as REST 401
//   INVALID_SESSION_ID and is met with a refresh (F3).
// - A 403 is not "token revoked": REQUEST_LIMIT_EXCEEDED is the org's API quota (no
//   Retry-After); "This session is not valid for use with the REST API" is a missing `api` scope;
//   the identity service answers a bad token with 403 plain-text Bad_OAuth_Token.
// - Revoke: POST /services/oauth2/revoke with token=; a dead token answers 400 invalid_token or
//   unsupported_token_type (https://developer.salesforce.com/docs/platform/mobile-sdk/guide/oauth-revoking-tokens.html).
// - The org's name is not in userinfo; the REST API's SOQL query on Organization has it
//   (REST API Developer Guide, "Execute a SOQL Query",
//   https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm).

/** The REST API version the check and the org query use (Winter '25). */
export const SALESFORCE_API_VERSION = "62.0";

export type OrgLoginUrls = { production: string; sandbox: string; /** with {domain} for the My Domain name */ myDomain: string };

const MY_DOMAIN_NAME = /^[a-z0-9][a-z0-9-]{0,79}(?:--[a-z0-9]{1,40})?(?:\.(?:sandbox|develop|scratch|trailblaze|demo|patch))?$/;

/**
 * What a person typed for "which org" → production, sandbox or https://NAME.my.salesforce.com.
 * A bare My Domain name is accepted; Lightning URLs (*.lightning.force.com) are refused with a
 * pointer to the My Domain URL (Nango refuses them too, salesforce.md F6).
 */
export function parseOrg(input: string | null | undefined): { ok: true; org: string } | { ok: false; message: string } {
  const value = (input ?? "").trim().toLowerCase();
  if (value === "" || value === "production") return { ok: true, org: "production" };
  if (value === "sandbox") return { ok: true, org: "sandbox" };
  if (value.length > 200) return { ok: false, message: "The My Domain is too long." };
  let name = value;
  if (/^[a-z][a-z0-9+.-]*:/.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return { ok: false, message: "The My Domain is not a URL." };
    }
    if (url.hostname.endsWith(".lightning.force.com")) return { ok: false, message: "That is a Lightning address; use the org's My Domain URL, https://NAME.my.salesforce.com (Setup → My Domain)." };
    if (url.protocol !== "https:" || url.username || url.password || url.port || (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash || !url.hostname.endsWith(".my.salesforce.com")) {
      return { ok: false, message: "A My Domain looks like https://NAME.my.salesforce.com (nothing after the host)." };
    }
    name = url.hostname.slice(0, -".my.salesforce.com".length);
  } else if (value.endsWith(".my.salesforce.com")) {
    name = value.slice(0, -".my.salesforce.com".length);
  } else if (value.endsWith(".lightning.force.com")) {
    return { ok: false, message: "That is a Lightning address; use the org's My Domain URL, https://NAME.my.salesforce.com (Setup → My Domain)." };
  }
  if (!MY_DOMAIN_NAME.test(name)) return { ok: false, message: "A My Domain name has letters, digits and hyphens, like acme or acme--uat.sandbox." };
  return { ok: true, org: `https://${name}.my.salesforce.com` };
}

/** The login host of an org choice, from the catalog's hosts (the sandbox emulator has its own). */
export function orgLoginUrl(urls: OrgLoginUrls, org: string): string {
  if (org === "production") return urls.production;
  if (org === "sandbox") return urls.sandbox;
  const name = new URL(org).hostname.slice(0, -".my.salesforce.com".length);
  return urls.myDomain.replace("{domain}", name);
}

/**
 * The provider as one connection sees it: its token, userinfo and revocation endpoints moved
 * from the production login host to the org's. Applied once per connection (`org` marks it).
 */
export function forOrg(provider: CatalogProvider, org: string | undefined): CatalogProvider {
  if (!provider.orgLoginUrls || provider.org) return provider;
  const chosen = org ?? "production";
  const from = provider.orgLoginUrls.production.replace(/\/+$/, "");
  const to = orgLoginUrl(provider.orgLoginUrls, chosen).replace(/\/+$/, "");
  const move = (url: string | undefined) => (url && (url === from || url.startsWith(`${from}/`)) ? to + url.slice(from.length) : url);
  return {
    ...provider,
    org: chosen,
    authorizationUrl: move(provider.authorizationUrl)!,
    tokenUrl: move(provider.tokenUrl)!,
    revocationUrl: move(provider.revocationUrl),
    userinfoUrl: move(provider.userinfoUrl),
  };
}

function classify(answer: Answer): OAuthFlowError | undefined {
  const first = Array.isArray(answer.body) && isObject(answer.body[0]) ? answer.body[0] : isObject(answer.body) ? answer.body : {};
  const code = typeof first.errorCode === "string" ? first.errorCode : undefined;
  const text = providerText(answer);
  // No Retry-After from Salesforce: the next check comes at the normal interval.
  if (code === "REQUEST_LIMIT_EXCEEDED") return new OAuthFlowError("rate_limited", text, retryAfter(answer.headers));
  if (code === "INVALID_SESSION_ID") {
    // Same code, two meanings (salesforce.md §5): a session the REST API does not accept for
    // lack of the `api` scope, or an expired/revoked session.
    return /not valid for use with the REST API/i.test(String(first.message ?? "")) ? new OAuthFlowError("insufficient_scope", text) : new OAuthFlowError("token_revoked", text);
  }
  if (answer.status === 403 && /^\s*Bad_OAuth_Token\s*$/.test(answer.text)) return new OAuthFlowError("token_revoked", "Bad_OAuth_Token");
  if (answer.status === 403 && /^\s*Insufficient_Scope\s*$/i.test(answer.text)) return new OAuthFlowError("insufficient_scope", "Insufficient_Scope");
  return undefined;
}

const orgQuery = z.object({ records: z.array(z.object({ Name: z.string().min(1) }).passthrough()).min(1) }).passthrough();

export const salesforce: Adapter = {
  async readTokenResponse({ response, requested }) {
    const answer = await readAnswer(response);
    if (answer.status < 200 || answer.status >= 300) throw tokenError(answer);
    const parsed = parseOrThrow(standardToken.extend({ instance_url: z.string().url() }), objectOf(answer), "Salesforce's token response");
    return toTokenSet(parsed, requested, " ", ["instance_url", "id", "issued_at"]);
  },
  async inspect({ provider, tokens, known, outbound }) {
    const instance = String(tokens.extra.instance_url).replace(/\/+$/, "");
    // Who (userinfo on the org's login host) and whether the REST API serves this session
    // (limits: design.md's check call; a missing `api` scope or the org's quota shows here).
    const [userinfo] = await Promise.all([
      call(provider.userinfoUrl ?? `${instance}/services/oauth2/userinfo`, { headers: bearer(tokens.accessToken) }, classify, outbound),
      call(`${instance}/services/data/v${SALESFORCE_API_VERSION}/limits`, { headers: bearer(tokens.accessToken) }, classify, outbound),
    ]);
    const info = objectOf(userinfo);
    let name = known?.name && known.name !== new URL(instance).host ? known.name : undefined;
    if (!name) {
      // Once per connection: the org's name, for the card (an org is not a host name).
      const q = encodeURIComponent("SELECT Id, Name, IsSandbox FROM Organization");
      try {
        const result = parseOrThrow(orgQuery, objectOf(await call(`${instance}/services/data/v${SALESFORCE_API_VERSION}/query?q=${q}`, { headers: bearer(tokens.accessToken) }, classify, outbound)), "the Organization query");
        name = result.records[0]!.Name;
      } catch (error) {
        // Without the name the connection still works; a dead token is still a dead token.
        if (error instanceof OAuthFlowError && error.code === "token_revoked") throw error;
      }
    }
    return {
      account: {
        id: typeof info.organization_id === "string" ? info.organization_id : undefined,
        name: name ?? new URL(instance).host,
        url: instance,
        user: typeof info.preferred_username === "string" ? info.preferred_username : undefined,
      },
    };
  },
  async revoke({ provider, tokens }) {
    // Revoking the refresh token revokes the access tokens issued from it (salesforce.md §6).
    const answer = await readAnswer(await outboundFetch(provider.revocationUrl!, form({ token: tokens.refreshToken ?? tokens.accessToken })));
    if (answer.status >= 200 && answer.status < 300) return "revoked";
    const error = isObject(answer.body) ? answer.body.error : undefined;
    if (answer.status === 400 && (error === "invalid_token" || error === "unsupported_token_type" || error === "invalid_grant")) return "already_revoked";
    throw tokenError(answer);
  },
};
