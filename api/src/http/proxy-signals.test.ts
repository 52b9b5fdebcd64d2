import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { answerMeaning, needsPeek, type ProviderKind } from "./proxy-signals.ts";
import { headersToCaller, headersToProvider } from "./proxy-headers.ts";
import { salesforceFixtures } from "../providers/fixtures/salesforce.ts";
import { slackFixtures } from "../providers/fixtures/slack.ts";

const json = { "content-type": "application/json; charset=utf-8" };
const body = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));

describe("what a provider's answer says about the token", () => {
  it("on the providers' documented answers (providers/fixtures, each with its source)", () => {
    const meaning = (provider: ProviderKind, f: { status: number; body: unknown }) => answerMeaning(provider, f.status, typeof f.body === "string" ? { "content-type": "text/plain" } : json, body(f.body)).token;
    for (const f of [slackFixtures.authTestInvalidAuth, slackFixtures.authTestTokenExpired, slackFixtures.authTestTokenRevoked, slackFixtures.authTestAccountInactive]) expect(meaning("slack", f), JSON.stringify(f.body)).toBe(true);
    for (const f of [slackFixtures.authTestBot, slackFixtures.teamInfoMissingScope]) expect(meaning("slack", f), JSON.stringify(f.body)).toBe(false);
    expect(meaning("salesforce", salesforceFixtures.restInvalidSession)).toBe(true);
    expect(meaning("salesforce", salesforceFixtures.identityBadToken)).toBe(true);
    expect(meaning("salesforce", salesforceFixtures.restRequestLimit)).toBe(false);
    expect(meaning("salesforce", salesforceFixtures.orgQuery)).toBe(false);
  });


  it("Slack: HTTP 200 ok:false with a token error (slack.md S1/S2/S4); other errors are answers", () => {
    expect(needsPeek("slack", 200, json)).toBe(true);
    expect(needsPeek("slack", 200, { ...json, "content-length": "1000000" })).toBe(false);
    expect(needsPeek("hubspot", 200, json)).toBe(false);
    for (const error of ["invalid_auth", "token_expired", "token_revoked", "not_authed", "account_inactive"]) {
      expect(answerMeaning("slack", 200, json, body({ ok: false, error })).token, error).toBe(true);
    }
    expect(answerMeaning("slack", 200, json, body({ ok: false, error: "channel_not_found" }))).toEqual({ token: false, rateLimited: false });
    expect(answerMeaning("slack", 200, json, body({ ok: true }))).toEqual({ token: false, rateLimited: false });
    expect(answerMeaning("slack", 200, { ...json, "content-encoding": "gzip" }, gzipSync(body({ ok: false, error: "invalid_auth" }))).token).toBe(true);
    expect(answerMeaning("slack", 429, json, null)).toEqual({ token: false, rateLimited: true });
  });

  it("everyone: 401, or a Bearer challenge saying invalid_token (RFC 6750 §3)", () => {
    expect(answerMeaning("hubspot", 401, json, null).token).toBe(true);
    expect(answerMeaning("google", 400, { "www-authenticate": 'Bearer realm="x", error="invalid_token"' }, null).token).toBe(true);
    expect(answerMeaning("google", 403, { "www-authenticate": 'Bearer error="insufficient_scope"' }, null).token).toBe(false);
    expect(answerMeaning("oidc", 404, json, null).token).toBe(false);
  });

  it("Salesforce: INVALID_SESSION_ID is the session unless it names the REST API (the api scope); 403 Bad_OAuth_Token; 403 REQUEST_LIMIT_EXCEEDED is quota (salesforce.md §5, §7)", () => {
    expect(answerMeaning("salesforce", 401, json, body([{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }])).token).toBe(true);
    expect(answerMeaning("salesforce", 401, json, body([{ message: "This session is not valid for use with the REST API", errorCode: "INVALID_SESSION_ID" }])).token).toBe(false);
    expect(needsPeek("salesforce", 403, {})).toBe(true);
    expect(answerMeaning("salesforce", 403, { "content-type": "text/plain" }, body("Bad_OAuth_Token")).token).toBe(true);
    expect(answerMeaning("salesforce", 403, json, body([{ message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" }]))).toEqual({ token: false, rateLimited: true });
  });
});

describe("headers across the proxy", () => {
  it("toward the provider: host and token set, credentials, hop-by-hop and forwarding fields dropped, duplicates kept", () => {
    const raw = ["Authorization", "Bearer sb_key", "Cookie", "a=b", "Connection", "keep-alive, X-Hop", "X-Hop", "1", "TE", "trailers", "X-Forwarded-For", "1.2.3.4", "Forwarded", "for=1.2.3.4", "Proxy-Authorization", "Basic x", "Accept", "a", "Accept", "b", "Host", "switchboard.example", "Content-Length", "99"];
    expect(headersToProvider(raw, { host: "api.hubapi.com", accessToken: "tok", body: { length: 5 } })).toEqual(["Host", "api.hubapi.com", "Accept", "a", "Accept", "b", "Authorization", "Bearer tok", "Content-Length", "5"]);
    expect(headersToProvider([], { host: "h", accessToken: "t", body: "chunked" })).toEqual(["Host", "h", "Authorization", "Bearer t", "Transfer-Encoding", "chunked"]);
  });

  it("toward the caller: Set-Cookie and hop-by-hop fields dropped, Retry-After and repeated fields kept", () => {
    const raw = ["Set-Cookie", "s=1", "Connection", "X-Internal", "X-Internal", "no", "Transfer-Encoding", "chunked", "Retry-After", "30", "Link", "<a>", "Link", "<b>", "Keep-Alive", "timeout=5"];
    expect(headersToCaller(raw)).toEqual({ "Retry-After": ["30"], Link: ["<a>", "<b>"] });
  });
});
