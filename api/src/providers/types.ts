import type { CatalogProvider } from "./catalog.ts";
import type { OutboundOptions } from "../http/outbound.ts";

// The contract between the domain (connect, refresh, check, disconnect) and each provider's
// module: what is particular to a provider lives behind these three calls.

export type TokenSet = {
  accessToken: string;
  refreshToken?: string;
  expiresAt?: Date;
  /** Granted scopes: the token response's `scope`, or the requested ones when it is omitted (RFC 6749 §5.1). */
  scopes: string[];
  /** The provider said which scopes it granted (false: `scopes` is the request echoed back). */
  scopesReported: boolean;
  /** Provider fields worth keeping (Salesforce instance_url, Slack team, HubSpot hub_id ...). */
  extra: Record<string, unknown>;
};

export type AccountDetails = { id?: string; name?: string; url?: string; user?: string };

/** What the health check's API call learned: who the token acts for now, and what it may do now. */
export type Inspection = {
  account: AccountDetails;
  /** The scopes the provider reports for this token right now; undefined when it reports none. */
  scopes?: string[];
};

/** A revocation the provider confirmed, or an answer saying the grant was already dead there. */
export type Revocation = "revoked" | "already_revoked";

export type Adapter = {
  /** Reads a token endpoint response (code exchange or refresh); throws OAuthFlowError. */
  readTokenResponse(args: { provider: CatalogProvider; response: Response; requested: string[]; allowHttp: boolean; grant: "authorization_code" | "refresh_token" }): Promise<TokenSet>;
  /**
   * The provider's identity call with the access token: the account and the live scopes. Throws
   * OAuthFlowError: token_revoked / token_expired (refresh once, retry), invalid_grant, rate_limited,
   * insufficient_scope, provider_error, or OutboundError. `outbound`: the limits of its calls
   * (a health check's timeout), the defaults without it.
   */
  inspect(args: {
    provider: CatalogProvider;
    tokens: { accessToken: string; extra: Record<string, unknown> };
    requested: string[];
    known?: AccountDetails | null;
    allowHttp: boolean;
    outbound?: OutboundOptions;
  }): Promise<Inspection>;
  /**
   * Revokes the grant. Returns "already_revoked" when the provider answers that the token is
   * already dead (the person removed the app there). Throws only when the grant may still be
   * alive: network errors, timeouts, 5xx, 429, answers that cannot be read, configuration errors,
   * and token_expired (the caller refreshes and tries once more).
   */
  revoke(args: { provider: CatalogProvider; tokens: { accessToken: string; refreshToken?: string }; extra: Record<string, unknown>; allowHttp: boolean }): Promise<Revocation>;
};
