import type { IncomingHttpHeaders } from "node:http";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { SLACK_ERRORS } from "../providers/slack.ts";
import { headerValue } from "./proxy-headers.ts";

// What a provider's answer to a proxied call says about the connection's token, from the same
// facts the health checks use (providers/*.ts, ../shared/providers/*.md):
// - Everyone: HTTP 401, or an RFC 6750 §3 Bearer challenge with error="invalid_token".
//   (HubSpot warns that a 401 alone "is not a valid indicator that a new access token must be
//   retrieved", hubspot.md §4 / H9: the proxy refreshes before expiry anyway and refreshes on a
//   401 at most once per call.)
// - Slack answers with HTTP 200 and {"ok":false,"error":…}: "Slack's Web API doesn't use
//   meaningful status codes besides 429 and 200" (slack.md S6); invalid_auth, not_authed,
//   token_revoked, account_inactive (S1/S2) and token_expired with rotation (S4, "Facts added
//   2026-12-05") are about the token (the SLACK_ERRORS map the checks use).
// - Salesforce: REST 401 [{"errorCode":"INVALID_SESSION_ID"}] is an expired or revoked session,
//   unless its message says "This session is not valid for use with the REST API" (a missing
//   `api` scope: refreshing cannot help); the identity URL answers a bad token with 403
//   plain-text Bad_OAuth_Token; 403 REQUEST_LIMIT_EXCEEDED is the org's API quota, not the
//   token (salesforce.md §5, §7).
// Only small bodies are read for this (PEEK_BYTES): token errors are short, and a body that is
// still arriving past that size is a real answer, streamed on untouched.

export const PEEK_BYTES = 16 * 1024;

export type ProviderKind = "slack" | "hubspot" | "google" | "salesforce" | "oidc" | "oauth2";

export type AnswerMeaning = {
  /** The provider refused the token: refresh once and retry (or, after a refresh, reconnect). */
  token: boolean;
  /** Answered, but rate limited (counts as "degraded" for health, like a check). */
  rateLimited: boolean;
};

/** Whether the body must be looked at before the answer can be judged (and relayed). */
export function needsPeek(kind: ProviderKind, status: number, headers: IncomingHttpHeaders): boolean {
  if (status === 401) return true;
  if (status === 403) return kind === "salesforce";
  if (kind !== "slack" || status !== 200) return false;
  const type = headerValue(headers, "content-type") ?? "";
  const length = Number(headerValue(headers, "content-length") ?? NaN);
  return /\bjson\b/i.test(type) && !(length > PEEK_BYTES);
}

/** A peeked body as text, decoded when the provider compressed it; null when it cannot be read. */
export function bodyText(body: Buffer, headers: IncomingHttpHeaders): string | null {
  const encoding = (headerValue(headers, "content-encoding") ?? "identity").trim().toLowerCase();
  const limit = { maxOutputLength: 4 * PEEK_BYTES };
  try {
    if (encoding === "identity" || encoding === "") return body.toString("utf8");
    if (encoding === "gzip" || encoding === "x-gzip") return gunzipSync(body, limit).toString("utf8");
    if (encoding === "deflate") return inflateSync(body, limit).toString("utf8");
    if (encoding === "br") return brotliDecompressSync(body, limit).toString("utf8");
  } catch {
    return null;
  }
  return null;
}

function json(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * What the answer means for the token. `body` is the whole body when it was peeked and
 * complete, else null (then only the status and headers count).
 */
export function answerMeaning(kind: ProviderKind, status: number, headers: IncomingHttpHeaders, body: Buffer | null): AnswerMeaning {
  const challenge = /\berror="([^"]+)"/i.exec(headerValue(headers, "www-authenticate") ?? "")?.[1];
  const text = body === null ? null : bodyText(body, headers);
  let token = status === 401 || challenge === "invalid_token";
  let rateLimited = status === 429;
  if (kind === "slack" && status === 200 && text !== null) {
    const parsed = json(text) as { ok?: unknown; error?: unknown } | undefined;
    if (parsed && parsed.ok === false && typeof parsed.error === "string") {
      const code = SLACK_ERRORS[parsed.error];
      token = code === "token_revoked" || code === "token_expired";
      rateLimited = code === "rate_limited";
    }
  }
  if (kind === "salesforce" && text !== null) {
    const parsed = json(text);
    const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { errorCode?: unknown; message?: unknown } | undefined;
    if (first?.errorCode === "INVALID_SESSION_ID" && /not valid for use with the REST API/i.test(String(first.message ?? ""))) token = false;
    if (status === 403 && /^\s*Bad_OAuth_Token\s*$/.test(text)) token = true;
    if (status === 403 && first?.errorCode === "REQUEST_LIMIT_EXCEEDED") rateLimited = true;
  }
  return { token, rateLimited };
}
