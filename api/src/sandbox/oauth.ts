import { createHash, createHmac } from "node:crypto";
import { sandboxClient, type SandboxProviderId } from "./catalog.ts";
import { sameSecret } from "./http.ts";
import { CODE_LIFETIME_MS, type Grant, type IssuedToken } from "./store.ts";
import type { SandboxContext } from "./types.ts";

// The protocol steps every emulator shares (RFC 6749, RFC 7636, RFC 9700). Each provider module
// maps the failure reasons returned here onto its own documented error shape.

export type ClientCheck = "ok" | "unknown_client" | "bad_secret";

export function checkClient(input: { provider: SandboxProviderId; clientId: string | undefined; clientSecret: string | undefined }): ClientCheck {
  const expected = sandboxClient(input.provider);
  if (input.clientId !== expected.clientId) return "unknown_client";
  return sameSecret(input.clientSecret, expected.clientSecret) ? "ok" : "bad_secret";
}

/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function parseScopes(value: string | undefined, separator: "," | " "): string[] | "invalid" {
  if (value === undefined) return [];
  const parts = (separator === "," ? value.split(",") : value.split(/[ ]+/)).map((s) => s.trim()).filter(Boolean);
  if (parts.some((s) => !SCOPE_TOKEN.test(s))) return "invalid";
  return [...new Set(parts)];
}

export function grantTypeOf(params: URLSearchParams): "authorization_code" | "refresh_token" | undefined {
  const given = params.get("grant_type");
  if (given === "authorization_code" || given === "refresh_token") return given;
  if (given) return undefined;
  // Slack makes grant_type optional (S1); infer it the way Slack does from what was sent.
  if (params.get("refresh_token")) return "refresh_token";
  if (params.get("code")) return "authorization_code";
  return undefined;
}

/** RFC 7636 §4.6. */
export function pkceMatches(challenge: { value: string; method: "S256" | "plain" }, verifier: string): boolean {
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  const computed = challenge.method === "S256" ? createHash("sha256").update(verifier).digest("base64url") : verifier;
  return computed === challenge.value;
}

export type RedeemFailure = "unknown" | "expired" | "replayed" | "redirect_mismatch" | "verifier_missing" | "verifier_mismatch";

/** A grant authorized at another login host (another Salesforce org) is unknown at this one. */
const otherHost = (grant: Grant, host: string | undefined) => grant.host !== (host ?? "");

export function redeemCode(
  ctx: SandboxContext,
  input: { provider: SandboxProviderId; clientId: string; code: string | undefined; redirectUri: string | undefined; codeVerifier: string | undefined; host?: string },
): { ok: true; grant: Grant } | { ok: false; reason: RedeemFailure } {
  const at = ctx.now();
  const grant = input.code === undefined ? undefined : ctx.store.grantByCode(input.code);
  // A code issued to another client, or at another login host, is as good as unknown here (RFC
  // 6749 §5.2 invalid_grant); it stays unused for the host that issued it.
  if (!grant || grant.provider !== input.provider || grant.clientId !== input.clientId || otherHost(grant, input.host)) return { ok: false, reason: "unknown" };
  if (grant.codeUsedAt !== undefined) {
    // RFC 6749 §4.1.2: a code used twice must be refused, and the server SHOULD revoke every
    // token already issued from it (the replay may be an attacker racing the client).
    ctx.store.revokeGrant(grant.id, at);
    return { ok: false, reason: "replayed" };
  }
  if (at >= grant.codeExpiresAt) return { ok: false, reason: "expired" };
  // RFC 6749 §4.1.3: required, and identical, when it was part of the authorization request.
  if (grant.redirectUriSent ? input.redirectUri !== grant.redirectUri : input.redirectUri !== undefined && input.redirectUri !== grant.redirectUri) {
    return { ok: false, reason: "redirect_mismatch" };
  }
  if (grant.codeChallenge) {
    if (input.codeVerifier === undefined) return { ok: false, reason: "verifier_missing" };
    if (!pkceMatches(grant.codeChallenge, input.codeVerifier)) return { ok: false, reason: "verifier_mismatch" };
  }
  grant.codeUsedAt = at;
  return { ok: true, grant };
}

export function newGrantCodeExpiry(ctx: SandboxContext): number {
  return ctx.now() + CODE_LIFETIME_MS;
}

export function issueToken(
  ctx: SandboxContext,
  input: { grant: Grant; kind: "access" | "refresh"; value: string; audience?: "bot" | "user"; lifetimeSeconds?: number },
): IssuedToken {
  const at = ctx.now();
  return ctx.store.addToken({
    value: input.value,
    grantId: input.grant.id,
    provider: input.grant.provider,
    kind: input.kind,
    audience: input.audience ?? "bot",
    issuedAt: at,
    expiresAt: input.lifetimeSeconds === undefined ? undefined : at + input.lifetimeSeconds * 1000,
  });
}

/** Whole seconds left, or undefined for a token that does not expire. */
export function secondsLeft(ctx: SandboxContext, token: IssuedToken): number | undefined {
  return token.expiresAt === undefined ? undefined : Math.max(0, Math.floor((token.expiresAt - ctx.now()) / 1000));
}

/** other_host: a live token of this client, issued at another login host (no side effect). */
export type RefreshFailure = "unknown" | "other_host" | "revoked" | "reused";

export function useRefreshToken(
  ctx: SandboxContext,
  input: { provider: SandboxProviderId; clientId: string; refreshToken: string | undefined; host?: string },
): { ok: true; token: IssuedToken; grant: Grant } | { ok: false; reason: RefreshFailure } {
  const token = input.refreshToken === undefined ? undefined : ctx.store.token(input.refreshToken);
  const grant = token && ctx.store.grant(token.grantId);
  if (!token || !grant || token.kind !== "refresh" || token.provider !== input.provider || grant.clientId !== input.clientId) {
    return { ok: false, reason: "unknown" };
  }
  // Checked before reuse detection: presenting a token at the wrong host says nothing about a leak.
  if (otherHost(grant, input.host)) return { ok: false, reason: "other_host" };
  if (token.revokedAt !== undefined || grant.revokedAt !== undefined) return { ok: false, reason: "revoked" };
  if (token.rotatedAt !== undefined) {
    // RFC 9700 (OAuth 2.0 Security BCP) §4.14.2: a replaced refresh token presented again means
    // it leaked or the client lost a race; the server cannot tell the client from the attacker,
    // so it revokes the whole grant and both must go through consent again.
    ctx.store.revokeGrant(grant.id, ctx.now());
    return { ok: false, reason: "reused" };
  }
  return { ok: true, token, grant };
}

/** Marks a refresh token as replaced by a new one (rotation). */
export function rotateRefreshToken(ctx: SandboxContext, token: IssuedToken): void {
  token.rotatedAt = ctx.now();
}

export type AccessFailure = "missing" | "unknown" | "revoked" | "expired";

export function authenticate(
  ctx: SandboxContext,
  input: { provider: SandboxProviderId; token: string | undefined; host?: string },
): { ok: true; token: IssuedToken; grant: Grant } | { ok: false; reason: AccessFailure; token?: IssuedToken } {
  if (input.token === undefined) return { ok: false, reason: "missing" };
  const token = ctx.store.token(input.token);
  const grant = token && ctx.store.grant(token.grantId);
  if (!token || !grant || token.kind !== "access" || token.provider !== input.provider || otherHost(grant, input.host)) return { ok: false, reason: "unknown" };
  if (token.revokedAt !== undefined || grant.revokedAt !== undefined) return { ok: false, reason: "revoked", token };
  if (token.expiresAt !== undefined && ctx.now() >= token.expiresAt) return { ok: false, reason: "expired", token };
  return { ok: true, token, grant };
}

/** Whether a token (access or refresh) is currently usable, for introspection endpoints. */
export function isActive(ctx: SandboxContext, token: IssuedToken): boolean {
  const grant = ctx.store.grant(token.grantId);
  if (!grant || grant.revokedAt !== undefined || token.revokedAt !== undefined || token.rotatedAt !== undefined) return false;
  return token.expiresAt === undefined || ctx.now() < token.expiresAt;
}

/**
 * An OpenID Connect ID token signed HS256 with the client secret (OIDC Core §10.1 allows that for
 * confidential clients). The real providers sign RS256 with keys the sandbox does not have; the
 * sandbox publishes no JWKS, so verify with the sandbox client secret or not at all.
 */
export function signIdToken(input: { clientSecret: string; claims: Record<string, unknown> }): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const head = `${encode({ alg: "HS256", typ: "JWT", kid: "sandbox" })}.${encode(input.claims)}`;
  return `${head}.${createHmac("sha256", input.clientSecret).update(head).digest("base64url")}`;
}
