import { randomBase64Url } from "./http.ts";
import type { SandboxProviderId } from "./catalog.ts";

// State of every emulator: pending consents, grants (one per authorization code) and the tokens
// issued from them. Grants and tokens can be saved and restored (index.ts keeps them in DATA_DIR,
// so a restart of the app is not a provider that forgot every connection); pending consents are
// not: a consent page left open across a restart has to be opened again.

export const CODE_LIFETIME_MS = 10 * 60 * 1000;
export const CONSENT_LIFETIME_MS = 10 * 60 * 1000;
/** How long a revoked grant or a dead token is still written to the state file. */
export const DEAD_KEPT_MS = 24 * 60 * 60 * 1000;

export type ScopeGroup = {
  /** Form field and token-request parameter the scopes came from (Slack has scope and user_scope). */
  field: "scope" | "user_scope";
  label: string;
  scopes: string[];
};

/** A validated authorization request waiting for the person's Allow or Deny. */
export type ConsentRequest = {
  provider: SandboxProviderId;
  clientId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  state?: string;
  scopeGroups: ScopeGroup[];
  codeChallenge?: { value: string; method: "S256" | "plain" };
  nonce?: string;
  /** Google: access_type=offline. */
  offline: boolean;
  /** Google: prompt contains consent (a refresh token again on re-consent). */
  promptConsent: boolean;
  /** Google: include_granted_scopes=true (incremental authorization). */
  includeGrantedScopes: boolean;
  /** Google: the prompt parameter as sent (its redirect echoes it). */
  prompt?: string;
  /** The login host the request came to (RouteInput.host); "" when the provider has one host. */
  host?: string;
};

export type Grant = {
  id: string;
  provider: SandboxProviderId;
  clientId: string;
  redirectUri: string;
  /** redirect_uri was sent at authorize time, so the token request must repeat it (RFC 6749 §4.1.3). */
  redirectUriSent: boolean;
  scopes: string[];
  /** Slack user (xoxp) scopes; empty elsewhere. */
  userScopes: string[];
  /** Slack: a bot token was asked for (scope), a user token was asked for (user_scope). */
  wantsBotToken: boolean;
  wantsUserToken: boolean;
  offline: boolean;
  promptConsent: boolean;
  codeChallenge?: { value: string; method: "S256" | "plain" };
  nonce?: string;
  /**
   * The login host that authorized the grant (RouteInput.host). Its code, tokens and refresh
   * only work at that host (Salesforce: each login host is its own org).
   */
  host: string;
  /**
   * The key of the account chosen on the consent page (AccountChoice); absent for a provider
   * without a choice, and in grants saved before there was one: both mean the default account.
   */
  account?: string;
  code: string;
  codeExpiresAt: number;
  codeUsedAt?: number;
  createdAt: number;
  revokedAt?: number;
};

export type IssuedToken = {
  value: string;
  grantId: string;
  provider: SandboxProviderId;
  kind: "access" | "refresh";
  /** Slack issues a bot and a user token per grant; "bot" everywhere else. */
  audience: "bot" | "user";
  issuedAt: number;
  expiresAt?: number;
  revokedAt?: number;
  /** Replaced by a newer refresh token; using it again is reuse (see oauth.ts). */
  rotatedAt?: number;
};

export type Store = {
  putConsent(request: ConsentRequest, at: number): string;
  /** Single use: a consent form cannot be submitted twice. */
  takeConsent(id: string, at: number): ConsentRequest | undefined;
  createGrant(grant: Omit<Grant, "id">): Grant;
  grant(id: string): Grant | undefined;
  grantByCode(code: string): Grant | undefined;
  addToken(token: IssuedToken): IssuedToken;
  token(value: string): IssuedToken | undefined;
  tokensOf(grantId: string): IssuedToken[];
  revokeGrant(grantId: string, at: number): void;
  revokeToken(value: string, at: number): void;
  /** Revokes every grant of a provider; returns how many were live. */
  revokeProvider(provider: SandboxProviderId, at: number): number;
  clear(): void;
  /** Grants and tokens as plain data, leaving out codes that expired unused and what has been dead for a day. */
  snapshot(at: number): StoreSnapshot;
  /** Replaces grants and tokens with saved ones (consents are dropped). */
  restore(snapshot: StoreSnapshot): void;
};

export type StoreSnapshot = { grants: Grant[]; tokens: IssuedToken[] };

export function createStore(): Store {
  const consents = new Map<string, { request: ConsentRequest; expiresAt: number }>();
  const grants = new Map<string, Grant>();
  const codes = new Map<string, string>();
  const tokens = new Map<string, IssuedToken>();
  const tokensByGrant = new Map<string, IssuedToken[]>();

  return {
    putConsent(request, at) {
      // Abandoned consent pages would otherwise accumulate for the life of the process.
      for (const [id, entry] of consents) if (entry.expiresAt <= at) consents.delete(id);
      const id = randomBase64Url(18);
      consents.set(id, { request, expiresAt: at + CONSENT_LIFETIME_MS });
      return id;
    },
    takeConsent(id, at) {
      const entry = consents.get(id);
      consents.delete(id);
      return entry && entry.expiresAt > at ? entry.request : undefined;
    },
    createGrant(input) {
      const grant: Grant = { ...input, id: randomBase64Url(12) };
      grants.set(grant.id, grant);
      codes.set(grant.code, grant.id);
      return grant;
    },
    grant: (id) => grants.get(id),
    grantByCode(code) {
      const id = codes.get(code);
      return id === undefined ? undefined : grants.get(id);
    },
    addToken(token) {
      tokens.set(token.value, token);
      const list = tokensByGrant.get(token.grantId) ?? [];
      list.push(token);
      tokensByGrant.set(token.grantId, list);
      return token;
    },
    token: (value) => tokens.get(value),
    tokensOf: (grantId) => tokensByGrant.get(grantId) ?? [],
    revokeGrant(grantId, at) {
      const grant = grants.get(grantId);
      if (grant && grant.revokedAt === undefined) grant.revokedAt = at;
      for (const token of tokensByGrant.get(grantId) ?? []) token.revokedAt ??= at;
    },
    revokeToken(value, at) {
      const token = tokens.get(value);
      if (token) token.revokedAt ??= at;
    },
    revokeProvider(provider, at) {
      let live = 0;
      for (const grant of grants.values()) {
        if (grant.provider !== provider) continue;
        if (grant.revokedAt === undefined) live += 1;
        this.revokeGrant(grant.id, at);
      }
      return live;
    },
    clear() {
      consents.clear();
      grants.clear();
      codes.clear();
      tokens.clear();
      tokensByGrant.clear();
    },
    snapshot(at) {
      // What has been dead for a day is left out, so the file of a long-running instance does not
      // grow with every refresh: nobody presents such a token again, and if someone did, an
      // unknown token is refused as a dead one is. Rotated refresh tokens of a live grant stay
      // (presenting one again is reuse, which revokes the grant).
      const longAgo = at - DEAD_KEPT_MS;
      const kept = [...grants.values()].filter((grant) => {
        if (grant.revokedAt !== undefined && grant.revokedAt < longAgo) return false;
        return grant.codeUsedAt !== undefined || grant.codeExpiresAt > at || tokensByGrant.has(grant.id);
      });
      const keptIds = new Set(kept.map((grant) => grant.id));
      const live = (token: IssuedToken) =>
        keptIds.has(token.grantId) && !(token.revokedAt !== undefined && token.revokedAt < longAgo) && !(token.kind === "access" && token.expiresAt !== undefined && token.expiresAt < longAgo);
      return { grants: kept.map((grant) => ({ ...grant })), tokens: [...tokens.values()].filter(live).map((token) => ({ ...token })) };
    },
    restore(snapshot) {
      this.clear();
      for (const grant of snapshot.grants) {
        grants.set(grant.id, { ...grant });
        codes.set(grant.code, grant.id);
      }
      for (const token of snapshot.tokens) if (grants.has(token.grantId)) this.addToken({ ...token });
    },
  };
}
