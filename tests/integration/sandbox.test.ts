import { createHash, createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect as connectSocket, type AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../api/src/logger.ts";
import { SANDBOX_PROVIDERS, createSandbox, sandboxClient, sandboxEndpoints, type ControlAccess, type Sandbox, type SandboxProviderId } from "../../api/src/sandbox/index.ts";

// The built-in provider emulators driven over real HTTP, the way the app and a browser use them:
// consent page, redirect, token exchange, API calls, refresh, revocation, faults and controls.

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
let clock = T0;
let sandbox: Sandbox;
let server: Server;
let base = "";
let inflight = 0;
let logs = "";

beforeAll(async () => {
  server = createServer(async (req, res) => {
    inflight += 1;
    try {
      if (!(await sandbox.handle(req, res))) {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not the sandbox");
      }
    } finally {
      inflight -= 1;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const destination = new Writable({
    write(chunk, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  sandbox = createSandbox({ publicUrl: base, now: () => clock, logger: createLogger({ level: "debug", destination }), authorizeControl });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  clock = T0;
  sandbox.reset();
});

// ---------------------------------------------------------------------------------------------
// Helpers

// The app decides who may use the controls (an owner's or admin's session; the security tests
// cover that against the real app); here a cookie names the answer, and the calls are recorded.
const OWNER = { cookie: "sb-test=owner" };
const VIEWER = { cookie: "sb-test=viewer" };
const accessAsked: { path: string; apiKey: boolean }[] = [];
async function authorizeControl(req: IncomingMessage, input: { apiKey: boolean }): Promise<ControlAccess> {
  accessAsked.push({ path: req.url ?? "", apiKey: input.apiKey });
  return req.headers.cookie === OWNER.cookie ? "ok" : req.headers.cookie === VIEWER.cookie ? "forbidden" : "anonymous";
}

const sb = (provider: SandboxProviderId, path: string) => `${base}/sandbox/${provider}${path}`;
const callback = (provider: SandboxProviderId) => `${base}/api/integrations/oauth/callback/${provider}`;
const client = (provider: SandboxProviderId) => sandboxClient(provider);
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

function pkcePair() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

async function openConsent(provider: SandboxProviderId, params: Record<string, string>) {
  const url = `${sandboxEndpoints(base)[provider].authorizationUrl}?${new URLSearchParams(params)}`;
  const res = await fetch(url, { redirect: "manual" });
  const html = await res.text();
  const consentId = /name="consent" value="([^"]+)"/.exec(html)?.[1];
  return { res, html, consentId };
}

async function submitConsent(provider: SandboxProviderId, consentId: string, decision: "allow" | "deny", ticked: { scope?: string[]; user_scope?: string[] } = {}, headers: Record<string, string> = {}) {
  const form = new URLSearchParams({ consent: consentId, decision });
  for (const s of ticked.scope ?? []) form.append("scope", s);
  for (const s of ticked.user_scope ?? []) form.append("user_scope", s);
  const res = await fetch(sb(provider, "/_consent"), { method: "POST", body: form, redirect: "manual", headers });
  await res.arrayBuffer();
  return res;
}

function form(url: string, body: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(url, { method: "POST", body: new URLSearchParams(body), headers });
}

async function body(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Records the timers the sandbox code itself starts (by their creation stack) and which of them
 * are still pending: process-wide counts are useless here, other timers come and go.
 */
function trackSandboxTimers() {
  const original = { set: globalThis.setTimeout, clear: globalThis.clearTimeout };
  const pending = new Set<unknown>();
  let started = 0;
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const ours = /api[\\/]src[\\/]sandbox[\\/]/.test(new Error().stack ?? "");
    const handle = original.set(
      (...a: unknown[]) => {
        pending.delete(handle);
        fn(...a);
      },
      ms,
      ...args,
    );
    if (ours) {
      started += 1;
      pending.add(handle);
    }
    return handle;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((handle?: Parameters<typeof clearTimeout>[0]) => {
    pending.delete(handle);
    original.clear(handle);
  }) as typeof clearTimeout;
  return {
    started: () => started,
    pending: () => pending.size,
    restore() {
      globalThis.setTimeout = original.set;
      globalThis.clearTimeout = original.clear;
    },
  };
}

async function waitForIdle() {
  for (let i = 0; i < 200 && inflight > 0; i++) await new Promise((r) => setTimeout(r, 5));
  return inflight;
}

// ---------------------------------------------------------------------------------------------
// One driver per provider: how the app would talk to it, and the documented answers.

type Tokens = { access: string; refresh?: string; raw: any };
type Expect = { status: number; body: unknown };

type Driver = {
  scopes: string[];
  authorizeParams(extra?: Record<string, string>): Record<string, string>;
  /** Scopes as ticked on the consent page (all of them by default). */
  ticked(scopes?: string[]): { scope?: string[]; user_scope?: string[] };
  exchange(code: string, extra?: Record<string, string>): Promise<Response>;
  refresh(refreshToken: string): Promise<Response>;
  probe(access: string, tokens?: Tokens): Promise<Response>;
  revoke(tokens: Tokens): Promise<Response>;
  tokens(raw: any): Tokens;
  /** Makes the provider issue refresh tokens if it needs a switch for that (Slack rotation). */
  enableRefresh?(): void;
  expect: {
    probeOk(res: Response): Promise<void>;
    revoked: Expect;
    unauthorizedFault: Expect;
    badCode: Expect;
    badSecret: Expect;
    badRedirect: Expect;
    badRefresh: Expect;
  };
};

const pkce = pkcePair();

const drivers: Record<SandboxProviderId, Driver> = {
  slack: {
    scopes: ["team:read", "channels:read"],
    authorizeParams: (extra = {}) => ({ client_id: client("slack").clientId, scope: "team:read,channels:read", redirect_uri: callback("slack"), state: "st-slack", ...extra }),
    ticked: (scopes = ["team:read", "channels:read"]) => ({ scope: scopes, user_scope: ["users:read"] }),
    exchange: (code, extra = {}) => form(sb("slack", "/api/oauth.v2.access"), { code, redirect_uri: callback("slack"), client_id: client("slack").clientId, client_secret: client("slack").clientSecret, ...extra }),
    refresh: (refresh) => form(sb("slack", "/api/oauth.v2.access"), { grant_type: "refresh_token", refresh_token: refresh, client_id: client("slack").clientId, client_secret: client("slack").clientSecret }),
    probe: (access) => fetch(sb("slack", "/api/auth.test"), { method: "POST", headers: { authorization: `Bearer ${access}` } }),
    revoke: (t) => form(sb("slack", "/api/auth.revoke"), { token: t.access }),
    tokens: (raw) => ({ access: raw.access_token, refresh: raw.refresh_token, raw }),
    enableRefresh: () => sandbox.setOptions("slack", { rotateRefreshTokens: true }),
    expect: {
      async probeOk(res) {
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ ok: true, team: "Acme Sandbox", team_id: "T0SANDBOX", user_id: "U0SANDBOT", bot_id: "B0SANDBOT" });
      },
      revoked: { status: 200, body: { ok: false, error: "token_revoked" } },
      unauthorizedFault: { status: 200, body: { ok: false, error: "invalid_auth" } },
      badCode: { status: 200, body: { ok: false, error: "invalid_code" } },
      badSecret: { status: 200, body: { ok: false, error: "bad_client_secret" } },
      badRedirect: { status: 200, body: { ok: false, error: "bad_redirect_uri" } },
      badRefresh: { status: 200, body: { ok: false, error: "invalid_refresh_token" } },
    },
  },
  hubspot: {
    scopes: ["oauth", "crm.objects.contacts.read"],
    authorizeParams: (extra = {}) => ({ client_id: client("hubspot").clientId, scope: "oauth crm.objects.contacts.read", redirect_uri: callback("hubspot"), state: "st-hubspot", ...extra }),
    ticked: (scopes = ["oauth", "crm.objects.contacts.read"]) => ({ scope: scopes }),
    exchange: (code, extra = {}) =>
      form(sb("hubspot", "/oauth/v3/token"), { grant_type: "authorization_code", code, redirect_uri: callback("hubspot"), client_id: client("hubspot").clientId, client_secret: client("hubspot").clientSecret, ...extra }),
    refresh: (refresh) => form(sb("hubspot", "/oauth/v3/token"), { grant_type: "refresh_token", refresh_token: refresh, client_id: client("hubspot").clientId, client_secret: client("hubspot").clientSecret }),
    probe: (access) => fetch(sb("hubspot", "/account-info/v3/details"), { headers: { authorization: `Bearer ${access}` } }),
    revoke: (t) => form(sb("hubspot", "/oauth/v3/token/revoke"), { token: t.refresh!, token_type_hint: "refresh_token", client_id: client("hubspot").clientId, client_secret: client("hubspot").clientSecret }),
    tokens: (raw) => ({ access: raw.access_token, refresh: raw.refresh_token, raw }),
    expect: {
      async probeOk(res) {
        expect(res.status).toBe(200);
        expect(res.headers.get("x-hubspot-correlation-id")).toMatch(/^[0-9a-f-]{36}$/);
        expect(await res.json()).toMatchObject({ portalId: 4242, accountType: "STANDARD", timeZone: "US/Eastern", uiDomain: "app.hubspot.com" });
      },
      revoked: { status: 401, body: { status: "error", category: "INVALID_AUTHENTICATION" } },
      unauthorizedFault: { status: 401, body: { status: "error", category: "INVALID_AUTHENTICATION" } },
      badCode: { status: 400, body: { error: "invalid_grant", status: "BAD_AUTH_CODE" } },
      badSecret: { status: 400, body: { error: "invalid_client", status: "BAD_CLIENT_SECRET" } },
      badRedirect: { status: 400, body: { error: "invalid_grant", status: "BAD_REDIRECT_URI" } },
      badRefresh: { status: 400, body: { error: "invalid_grant", error_description: "refresh token is invalid, expired or revoked", status: "BAD_REFRESH_TOKEN", message: "refresh token is invalid, expired or revoked" } },
    },
  },
  google: {
    scopes: ["openid", "email", "profile"],
    authorizeParams: (extra = {}) => ({
      client_id: client("google").clientId,
      redirect_uri: callback("google"),
      response_type: "code",
      scope: "openid email profile",
      access_type: "offline",
      prompt: "consent",
      include_granted_scopes: "true",
      state: "st-google",
      code_challenge: pkce.challenge,
      code_challenge_method: "S256",
      ...extra,
    }),
    ticked: (scopes = ["openid", "email", "profile"]) => ({ scope: scopes }),
    exchange: (code, extra = {}) =>
      form(sb("google", "/token"), { grant_type: "authorization_code", code, redirect_uri: callback("google"), client_id: client("google").clientId, client_secret: client("google").clientSecret, code_verifier: pkce.verifier, ...extra }),
    refresh: (refresh) => form(sb("google", "/token"), { grant_type: "refresh_token", refresh_token: refresh, client_id: client("google").clientId, client_secret: client("google").clientSecret }),
    probe: (access) => fetch(sb("google", "/v1/userinfo"), { headers: { authorization: `Bearer ${access}` } }),
    revoke: (t) => fetch(`${sb("google", "/revoke")}?token=${encodeURIComponent(t.access)}`, { method: "POST" }),
    tokens: (raw) => ({ access: raw.access_token, refresh: raw.refresh_token, raw }),
    expect: {
      async probeOk(res) {
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({
          sub: "104242424242424242424",
          name: "Sandy Example",
          given_name: "Sandy",
          family_name: "Example",
          picture: expect.any(String),
          email: "sandy@example.com",
          email_verified: true,
          locale: "en",
          hd: "example.com",
        });
      },
      revoked: { status: 401, body: { error: "invalid_request", error_description: "Invalid Credentials" } },
      unauthorizedFault: { status: 401, body: { error: "invalid_request", error_description: "Invalid Credentials" } },
      badCode: { status: 400, body: { error: "invalid_grant" } },
      badSecret: { status: 401, body: { error: "invalid_client" } },
      badRedirect: { status: 400, body: { error: "redirect_uri_mismatch" } },
      badRefresh: { status: 400, body: { error: "invalid_grant", error_description: "Token has been expired or revoked." } },
    },
  },
  salesforce: {
    scopes: ["api", "refresh_token", "openid"],
    authorizeParams: (extra = {}) => ({
      client_id: client("salesforce").clientId,
      redirect_uri: callback("salesforce"),
      response_type: "code",
      scope: "api refresh_token openid",
      state: "st-salesforce",
      code_challenge: pkce.challenge,
      ...extra,
    }),
    ticked: (scopes = ["api", "refresh_token", "openid"]) => ({ scope: scopes }),
    exchange: (code, extra = {}) =>
      form(sb("salesforce", "/services/oauth2/token"), {
        grant_type: "authorization_code",
        code,
        redirect_uri: callback("salesforce"),
        client_id: client("salesforce").clientId,
        client_secret: client("salesforce").clientSecret,
        code_verifier: pkce.verifier,
        ...extra,
      }),
    refresh: (refresh) => form(sb("salesforce", "/services/oauth2/token"), { grant_type: "refresh_token", refresh_token: refresh, client_id: client("salesforce").clientId, client_secret: client("salesforce").clientSecret }),
    probe: (access, t) => fetch(`${t?.raw.instance_url ?? sb("salesforce", "")}/services/data/v62.0/limits`, { headers: { authorization: `Bearer ${access}` } }),
    revoke: (t) => form(sb("salesforce", "/services/oauth2/revoke"), { token: t.refresh! }),
    tokens: (raw) => ({ access: raw.access_token, refresh: raw.refresh_token, raw }),
    expect: {
      async probeOk(res) {
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ DailyApiRequests: { Max: 15000, Remaining: expect.any(Number) } });
      },
      revoked: { status: 401, body: [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }] },
      unauthorizedFault: { status: 401, body: [{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }] },
      badCode: { status: 400, body: { error: "invalid_grant", error_description: "authentication failure" } },
      badSecret: { status: 400, body: { error: "invalid_client", error_description: "invalid client credentials" } },
      badRedirect: { status: 400, body: { error: "redirect_uri_mismatch" } },
      badRefresh: { status: 400, body: { error: "invalid_grant", error_description: "expired access/refresh token" } },
    },
  },
};

async function expectReply(res: Response, expected: Expect) {
  expect(res.status).toBe(expected.status);
  const got = await body(res);
  if (Array.isArray(expected.body)) expect(got).toEqual(expected.body);
  else expect(got).toMatchObject(expected.body as object);
}

/** Consent (all scopes ticked unless told otherwise), then the redirect's code. */
async function authorize(provider: SandboxProviderId, options: { extra?: Record<string, string>; scopes?: string[] } = {}) {
  const d = drivers[provider];
  const page = await openConsent(provider, d.authorizeParams(options.extra));
  expect(page.res.status).toBe(200);
  const res = await submitConsent(provider, page.consentId!, "allow", d.ticked(options.scopes));
  expect(res.status).toBe(303);
  const location = new URL(res.headers.get("location")!);
  return { location, code: location.searchParams.get("code")! };
}

async function connect(provider: SandboxProviderId, options: { extra?: Record<string, string>; scopes?: string[] } = {}) {
  const { code } = await authorize(provider, options);
  const res = await drivers[provider].exchange(code);
  expect(res.status).toBe(200);
  const tokens = drivers[provider].tokens(await res.json());
  return { code, tokens };
}

// ---------------------------------------------------------------------------------------------

describe.each(SANDBOX_PROVIDERS)("%s emulator", (provider) => {
  const d = drivers[provider];

  it("renders a consent page with the requested scopes, the app's client id and the demo account", async () => {
    const { res, html, consentId } = await openConsent(provider, d.authorizeParams());
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(consentId).toBeTruthy();
    expect(html).toContain(client(provider).clientId);
    for (const scope of d.scopes) expect(html).toContain(`value="${scope}" checked`);
    expect(html).toMatch(/<button[^>]*value="allow"[^>]*>Allow<\/button>/);
    expect(html).toMatch(/<button[^>]*value="deny"[^>]*>Deny<\/button>/);
    // The default account: the picker's first option (sandbox-accounts.test.ts covers the choice),
    // Salesforce's org by login host.
    const account = { slack: ">Acme Sandbox</option>", hubspot: ">Acme Sandbox</option>", google: ">Sandy Example</option>", salesforce: "sandy@acme.sandbox" }[provider];
    expect(html).toContain(account);
  });

  it("Allow redirects to the registered redirect URI with a code and the state", async () => {
    const { location, code } = await authorize(provider);
    expect(`${location.origin}${location.pathname}`).toBe(callback(provider));
    expect(code).toBeTruthy();
    expect(location.searchParams.get("state")).toBe(`st-${provider}`);
  });

  it("Deny redirects with error=access_denied and the state", async () => {
    const page = await openConsent(provider, d.authorizeParams());
    const res = await submitConsent(provider, page.consentId!, "deny");
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get("location")!);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe(`st-${provider}`);
    expect(location.searchParams.get("code")).toBeNull();
    // The consent form is single use.
    expect((await submitConsent(provider, page.consentId!, "allow")).status).toBe(400);
  });

  it("exchanges the code for tokens that the API accepts", async () => {
    const { tokens } = await connect(provider);
    expect(tokens.access).toBeTruthy();
    await d.expect.probeOk(await d.probe(tokens.access, tokens));
  });

  it("refreshes the access token the documented way", async () => {
    d.enableRefresh?.();
    const { tokens } = await connect(provider);
    expect(tokens.refresh).toBeTruthy();
    const res = await d.refresh(tokens.refresh!);
    expect(res.status).toBe(200);
    const next = d.tokens(await res.json());
    expect(next.access).toBeTruthy();
    expect(next.access).not.toBe(tokens.access);
    await d.expect.probeOk(await d.probe(next.access, tokens));
    const stats = sandbox.stats(provider);
    expect(stats.tokenRequests).toEqual({ authorization_code: 1, refresh_token: 1 });
    expect(stats.apiCalls).toBe(1);
  });

  it("revocation invalidates the grant: API calls fail the provider's way and refresh is refused", async () => {
    d.enableRefresh?.();
    const { tokens } = await connect(provider);
    const revoked = await d.revoke(tokens);
    expect(revoked.status).toBeLessThan(300);
    await revoked.arrayBuffer();
    await expectReply(await d.probe(tokens.access, tokens), d.expect.revoked);
    await expectReply(await d.refresh(tokens.refresh!), d.expect.badRefresh);
    expect(sandbox.stats(provider).revocations).toBe(1);
  });

  it("refuses a replayed code and revokes the tokens issued for it (RFC 6749 §4.1.2)", async () => {
    const { code, tokens } = await connect(provider);
    await d.expect.probeOk(await d.probe(tokens.access, tokens));
    await expectReply(await d.exchange(code), d.expect.badCode);
    await expectReply(await d.probe(tokens.access, tokens), d.expect.revoked);
  });

  it("refuses an expired code (10 minutes)", async () => {
    const { code } = await authorize(provider);
    clock += 10 * 60 * 1000 + 1;
    const res = await d.exchange(code);
    if (provider === "salesforce") await expectReply(res, { status: 400, body: { error: "invalid_grant", error_description: "expired authorization code" } });
    else await expectReply(res, d.expect.badCode);
  });

  it("refuses a wrong client secret and a different redirect_uri at the token endpoint", async () => {
    const { code } = await authorize(provider);
    await expectReply(await d.exchange(code, { client_secret: "not-the-secret" }), d.expect.badSecret);
    await expectReply(await d.exchange(code, { redirect_uri: `${base}/elsewhere` }), d.expect.badRedirect);
    // Neither consumed the code.
    expect((await d.exchange(code)).status).toBe(200);
  });

  it("shows an error page, never a redirect, for an unknown client_id or an unregistered redirect_uri", async () => {
    const cases: Record<string, string>[] = [{ client_id: "someone-else" }, { redirect_uri: "https://evil.example/callback" }];
    for (const extra of cases) {
      const { res, html } = await openConsent(provider, d.authorizeParams(extra));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get("location")).toBeNull();
      expect(html).not.toContain('name="consent"');
    }
  });

  it("grants only the ticked scopes and reports them", async () => {
    const kept = d.scopes.slice(0, 1);
    const { code, location } = await authorize(provider, { scopes: kept });
    expect(location.searchParams.get("code")).toBe(code);
    const raw = await body(await d.exchange(code));
    const granted: string[] = provider === "slack" ? raw.scope.split(",") : provider === "hubspot" ? raw.scopes : raw.scope.split(" ");
    expect(granted).toEqual(kept);
  });

  it("escapes hostile state and scope values on the consent page", async () => {
    const hostile = `"><script>alert(1)</script><img src=x onerror=alert(2)>`;
    const params = d.authorizeParams({ state: hostile });
    params.scope = provider === "slack" ? `team:read,<svg/onload=alert(3)>` : `${params.scope} <svg/onload=alert(3)>`;
    const { res, html } = await openConsent(provider, params);
    expect(res.status).toBe(200);
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<svg");
    expect(html).toContain("&#60;svg/onload=alert(3)&#62;");
    // The state is kept server-side and comes back intact on the redirect.
    const page = /name="consent" value="([^"]+)"/.exec(html)![1]!;
    const location = new URL((await submitConsent(provider, page, "deny")).headers.get("location")!);
    expect(location.searchParams.get("state")).toBe(hostile);
  });

  it("rate_limited answers 429 with Retry-After on API and token calls (Salesforce API calls: 403 REQUEST_LIMIT_EXCEEDED)", async () => {
    d.enableRefresh?.();
    const { tokens } = await connect(provider);
    sandbox.setFault(provider, { mode: "rate_limited", retryAfterSeconds: 7 });
    const api = await d.probe(tokens.access, tokens);
    if (provider === "salesforce") {
      // An org over its API request limit: 403 and no Retry-After (salesforce.md §7).
      expect(api.status).toBe(403);
      expect(api.headers.get("retry-after")).toBeNull();
      expect(await api.json()).toEqual([{ message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" }]);
    } else {
      expect(api.status).toBe(429);
      expect(api.headers.get("retry-after")).toBe("7");
      await api.arrayBuffer();
    }
    const token = await d.refresh(tokens.refresh!);
    expect(token.status).toBe(429);
    expect(token.headers.get("retry-after")).toBe("7");
    await token.arrayBuffer();
    // The consent page is never faulted.
    expect((await openConsent(provider, d.authorizeParams())).res.status).toBe(200);
    sandbox.setFault(provider, { mode: "ok" });
    await d.expect.probeOk(await d.probe(tokens.access, tokens));
  });

  it("server_error answers 500", async () => {
    const { tokens } = await connect(provider);
    sandbox.setFault(provider, { mode: "server_error" });
    const res = await d.probe(tokens.access, tokens);
    expect(res.status).toBe(500);
    const text = await res.text();
    if (provider === "google") {
      // Google's front ends answer with an HTML page, not JSON.
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(text).toContain("Error 500 (Server Error)");
    } else {
      expect(() => JSON.parse(text)).not.toThrow();
    }
  });

  it("unauthorized answers the provider's invalid-token shape for a valid token", async () => {
    const { tokens } = await connect(provider);
    sandbox.setFault(provider, { mode: "unauthorized" });
    await expectReply(await d.probe(tokens.access, tokens), d.expect.unauthorizedFault);
  });

  it("slow answers after the delay", async () => {
    const { tokens } = await connect(provider);
    sandbox.setFault(provider, { mode: "slow", delayMs: 120 });
    const started = performance.now();
    const res = await d.probe(tokens.access, tokens);
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
    await d.expect.probeOk(res);
  });

  it("hang never answers; the client gives up and nothing is left behind", async () => {
    const { tokens } = await connect(provider);
    sandbox.setFault(provider, { mode: "hang" });
    const timers = trackSandboxTimers();
    const started = performance.now();
    const attempt = fetch(`${provider === "salesforce" ? tokens.raw.instance_url : sb(provider, "")}${{ slack: "/api/auth.test", hubspot: "/account-info/v3/details", google: "/v1/userinfo", salesforce: "/services/data/v62.0/limits" }[provider]}`, {
      headers: { authorization: `Bearer ${tokens.access}` },
      signal: AbortSignal.timeout(150),
    });
    await expect(attempt).rejects.toThrow(/abort|timeout/i);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    // The handler returned (its close listener is gone) and it started no timer that still runs.
    expect(await waitForIdle()).toBe(0);
    timers.restore();
    expect(timers.pending()).toBe(0);
  });

  it("revoked invalidates every token issued so far, and a new connection works", async () => {
    d.enableRefresh?.();
    const first = await connect(provider);
    sandbox.setFault(provider, { mode: "revoked" });
    await expectReply(await d.probe(first.tokens.access, first.tokens), d.expect.revoked);
    await expectReply(await d.refresh(first.tokens.refresh!), d.expect.badRefresh);
    const second = await connect(provider);
    await d.expect.probeOk(await d.probe(second.tokens.access, second.tokens));
    expect((await (await fetch(`${base}/sandbox/_control`, { headers: OWNER })).json()).providers[provider]).toMatchObject({ fault: { mode: "revoked" }, revokedAt: new Date(T0).toISOString() });
  });

  it("refuses a malformed body with the provider's invalid_request shape", async () => {
    const url = sandboxEndpoints(base)[provider].tokenUrl;
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=authorization_code&code=%zz" });
    const got = await body(res);
    if (provider === "slack") {
      expect(res.status).toBe(200);
      expect(got).toEqual({ ok: false, error: "invalid_form_data" });
    } else {
      expect(res.status).toBe(400);
      expect(got).toMatchObject({ error: "invalid_request" });
    }
  });

  it("answers 413 to a body over 64 KB", async () => {
    const res = await fetch(sandboxEndpoints(base)[provider].tokenUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `code=${"a".repeat(65 * 1024)}` });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: "request_too_large" });
  });
});

describe.each(["slack", "hubspot", "salesforce"] as const)("%s refresh-token rotation", (provider) => {
  const d = drivers[provider];

  it("with rotation on, reusing a replaced refresh token revokes the whole grant (RFC 9700 §4.14.2)", async () => {
    sandbox.setOptions(provider, { rotateRefreshTokens: true });
    const { tokens } = await connect(provider);
    const rotated = d.tokens(await (await d.refresh(tokens.refresh!)).json());
    expect(rotated.refresh).toBeTruthy();
    expect(rotated.refresh).not.toBe(tokens.refresh);
    await d.expect.probeOk(await d.probe(rotated.access, tokens));
    // The old refresh token again: refused, and everything of the grant dies with it.
    await expectReply(await d.refresh(tokens.refresh!), d.expect.badRefresh);
    await expectReply(await d.probe(rotated.access, tokens), d.expect.revoked);
    await expectReply(await d.refresh(rotated.refresh!), d.expect.badRefresh);
  });

});

// ---------------------------------------------------------------------------------------------

describe("Slack specifics", () => {
  it("answers oauth.v2.access in S1's shape: team, authed_user, bot_user_id, comma-separated scopes, no refresh token without rotation", async () => {
    const { code } = await authorize("slack", { extra: { user_scope: "users:read" } });
    const raw = await body(await drivers.slack.exchange(code));
    expect(raw).toEqual({
      ok: true,
      access_token: expect.stringMatching(/^xoxb-\d+-\d+-[A-Za-z0-9]{24}$/),
      token_type: "bot",
      scope: "team:read,channels:read",
      bot_user_id: "U0SANDBOT",
      app_id: "A0SANDBOX",
      team: { name: "Acme Sandbox", id: "T0SANDBOX" },
      enterprise: null,
      authed_user: { id: "U0SANDY", scope: "users:read", access_token: expect.stringMatching(/^xoxp-/), token_type: "user" },
      is_enterprise_install: false,
    });
    const user = await body(await drivers.slack.probe(raw.authed_user.access_token));
    expect(user).toMatchObject({ ok: true, user: "sandy", user_id: "U0SANDY" });
    expect(user.bot_id).toBeUndefined();
  });

  it("with token rotation issues xoxe tokens that expire after 12 hours (S4), then token_expired", async () => {
    sandbox.setOptions("slack", { rotateRefreshTokens: true });
    const { tokens } = await connect("slack");
    expect(tokens.raw).toMatchObject({ access_token: expect.stringMatching(/^xoxe\.xoxb-1-/), refresh_token: expect.stringMatching(/^xoxe-1-/), expires_in: 43200 });
    clock += 43200 * 1000;
    expect(await body(await drivers.slack.probe(tokens.access))).toEqual({ ok: false, error: "token_expired" });
    const refreshed = await body(await drivers.slack.refresh(tokens.refresh!));
    expect(refreshed).toMatchObject({ ok: true, token_type: "bot", expires_in: 43200, bot_user_id: "U0SANDBOT", team: { id: "T0SANDBOX" } });
  });

  it("accepts HTTP Basic client authentication (S1) and names every error with HTTP 200", async () => {
    const { code } = await authorize("slack");
    const c = client("slack");
    const url = sb("slack", "/api/oauth.v2.access");
    expect(await body(await form(url, { code }, { authorization: basic("nobody", "x") }))).toEqual({ ok: false, error: "invalid_client_id" });
    expect(await body(await form(url, { code: "nope" }, { authorization: basic(c.clientId, c.clientSecret) }))).toEqual({ ok: false, error: "invalid_code" });
    expect(await body(await form(url, { code, code_verifier: pkce.verifier }, { authorization: basic(c.clientId, c.clientSecret) }))).toEqual({ ok: false, error: "pkce_not_allowed" });
    const ok = await form(url, { code, redirect_uri: callback("slack") }, { authorization: basic(c.clientId, c.clientSecret) });
    expect(await body(ok)).toMatchObject({ ok: true });
  });

  it("requires redirect_uri at the token request only when it was sent to authorize (S1)", async () => {
    const page = await openConsent("slack", { client_id: client("slack").clientId, scope: "team:read" });
    const res = await submitConsent("slack", page.consentId!, "allow", { scope: ["team:read"] });
    expect(res.headers.get("location")!.startsWith(callback("slack"))).toBe(true);
    const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
    const c = client("slack");
    expect(await body(await form(sb("slack", "/api/oauth.v2.access"), { code, client_id: c.clientId, client_secret: c.clientSecret }))).toMatchObject({ ok: true });
    const sent = await authorize("slack");
    expect(await body(await form(sb("slack", "/api/oauth.v2.access"), { code: sent.code, client_id: c.clientId, client_secret: c.clientSecret }))).toEqual({ ok: false, error: "bad_redirect_uri" });
  });

  it("team.info needs team:read (missing_scope with needed/provided), auth.test does not; not_authed without a token", async () => {
    const { tokens } = await connect("slack", { scopes: ["channels:read"] });
    await drivers.slack.expect.probeOk(await drivers.slack.probe(tokens.access));
    expect(await body(await fetch(`${sb("slack", "/api/team.info")}?token=${tokens.access}`))).toEqual({ ok: false, error: "missing_scope", needed: "team:read", provided: "channels:read" });
    expect(await body(await fetch(sb("slack", "/api/auth.test"), { method: "POST" }))).toEqual({ ok: false, error: "not_authed" });
    expect(await body(await fetch(sb("slack", "/api/auth.test"), { method: "POST", headers: { authorization: "Bearer xoxb-unknown" } }))).toEqual({ ok: false, error: "invalid_auth" });
    const full = await connect("slack");
    const team = await body(await fetch(sb("slack", "/api/team.info"), { headers: { authorization: `Bearer ${full.tokens.access}` } }));
    expect(team).toMatchObject({ ok: true, team: { id: "T0SANDBOX", name: "Acme Sandbox", domain: "acme-sandbox" } });
  });

  it("auth.revoke with test=1 does not revoke; accepts JSON bodies; invalid_json for a broken one", async () => {
    const { tokens } = await connect("slack");
    const test = await fetch(sb("slack", "/api/auth.revoke"), { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${tokens.access}` }, body: JSON.stringify({ test: 1 }) });
    expect(await body(test)).toEqual({ ok: true, revoked: false });
    await drivers.slack.expect.probeOk(await drivers.slack.probe(tokens.access));
    const broken = await fetch(sb("slack", "/api/oauth.v2.access"), { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(broken.status).toBe(200);
    expect(await body(broken)).toEqual({ ok: false, error: "invalid_json" });
    expect(await body(await drivers.slack.revoke(tokens))).toEqual({ ok: true, revoked: true });
  });

  it("rate_limited body is {ok:false,error:ratelimited}", async () => {
    sandbox.setFault("slack", { mode: "rate_limited" });
    const res = await fetch(sb("slack", "/api/auth.test"), { method: "POST" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.json()).toEqual({ ok: false, error: "ratelimited" });
  });

  it("Web API answers to a valid token carry x-oauth-scopes and x-accepted-oauth-scopes, ok or error", async () => {
    const { code } = await authorize("slack", { extra: { user_scope: "users:read" } });
    const raw = await body(await drivers.slack.exchange(code));
    const call = (method: string, token: string) => fetch(sb("slack", `/api/${method}`), { method: "POST", headers: { authorization: `Bearer ${token}` } });
    const scopeHeaders = (res: Response) => [res.headers.get("x-oauth-scopes"), res.headers.get("x-accepted-oauth-scopes")];

    const test = await call("auth.test", raw.access_token);
    expect(scopeHeaders(test)).toEqual(["team:read,channels:read", ""]);
    expect(await body(test)).toMatchObject({ ok: true });
    const team = await call("team.info", raw.access_token);
    expect(scopeHeaders(team)).toEqual(["team:read,channels:read", "team:read"]);
    expect(await body(team)).toMatchObject({ ok: true });
    // A user token reports its user scopes, and an error answer to a valid token carries them too.
    const userTeam = await call("team.info", raw.authed_user.access_token);
    expect(scopeHeaders(userTeam)).toEqual(["users:read", "team:read"]);
    expect(await body(userTeam)).toEqual({ ok: false, error: "missing_scope", needed: "team:read", provided: "users:read" });
    const revoke = await call("auth.revoke", raw.access_token);
    expect(scopeHeaders(revoke)).toEqual(["team:read,channels:read", ""]);
    expect(await body(revoke)).toEqual({ ok: true, revoked: true });
    // No valid token, no scopes to report.
    const unknown = await call("auth.test", "xoxb-unknown");
    expect(scopeHeaders(unknown)).toEqual([null, null]);
    await unknown.arrayBuffer();
  });

  it("with rotation, an expired access token answers HTTP 200 token_expired (accessTokenLifetimeSeconds: 1)", async () => {
    sandbox.setOptions("slack", { rotateRefreshTokens: true, accessTokenLifetimeSeconds: 1 });
    const { tokens } = await connect("slack");
    expect(tokens.raw.expires_in).toBe(1);
    await drivers.slack.expect.probeOk(await drivers.slack.probe(tokens.access));
    clock += 1000;
    for (const method of ["auth.test", "team.info", "auth.revoke"]) {
      const res = await fetch(sb("slack", `/api/${method}`), { method: "POST", headers: { authorization: `Bearer ${tokens.access}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: false, error: "token_expired" });
    }
    const refreshed = await body(await drivers.slack.refresh(tokens.refresh!));
    expect(refreshed).toMatchObject({ ok: true, expires_in: 1 });
    await drivers.slack.expect.probeOk(await drivers.slack.probe(refreshed.access_token));
  });

  it("a revoked token answers token_revoked on auth.test and on auth.revoke", async () => {
    const { tokens } = await connect("slack");
    expect(await body(await drivers.slack.revoke(tokens))).toEqual({ ok: true, revoked: true });
    const test = await drivers.slack.probe(tokens.access);
    expect(test.status).toBe(200);
    expect(await test.json()).toEqual({ ok: false, error: "token_revoked" });
    const again = await drivers.slack.revoke(tokens);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: false, error: "token_revoked" });
  });
});

describe("HubSpot specifics", () => {
  it("v3 token response has expires_in 1800, hub_id and scopes; v1 has neither hub_id nor scopes", async () => {
    const { tokens } = await connect("hubspot");
    expect(tokens.raw).toEqual({
      token_type: "bearer",
      refresh_token: expect.stringMatching(/^na1-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      access_token: expect.stringMatching(/^C/),
      hub_id: 4242,
      scopes: ["oauth", "crm.objects.contacts.read"],
      expires_in: 1800,
    });
    expect(tokens.access.length).toBeLessThanOrEqual(512);
    const { code } = await authorize("hubspot");
    const c = client("hubspot");
    const v1 = await body(await form(sb("hubspot", "/oauth/v1/token"), { grant_type: "authorization_code", code, redirect_uri: callback("hubspot"), client_id: c.clientId, client_secret: c.clientSecret }));
    expect(Object.keys(v1).sort()).toEqual(["access_token", "expires_in", "refresh_token", "token_type"]);
  });

  it("refresh returns a new access token and the same refresh token", async () => {
    const { tokens } = await connect("hubspot");
    clock += 60_000;
    const next = await body(await drivers.hubspot.refresh(tokens.refresh!));
    expect(next).toMatchObject({ refresh_token: tokens.refresh, expires_in: 1800 });
    expect(next.access_token).not.toBe(tokens.access);
  });

  it("takes client credentials from the form body only (H4): a Basic header alone is refused", async () => {
    const { code } = await authorize("hubspot");
    const c = client("hubspot");
    const res = await form(sb("hubspot", "/oauth/v3/token"), { grant_type: "authorization_code", code, redirect_uri: callback("hubspot") }, { authorization: basic(c.clientId, c.clientSecret) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_client", status: "BAD_CLIENT_ID" });
  });

  it("introspects access and refresh tokens (v3) and looks up access tokens (v1)", async () => {
    const { tokens } = await connect("hubspot");
    const c = client("hubspot");
    const access = await body(await form(sb("hubspot", "/oauth/v3/token/introspect"), { client_id: c.clientId, client_secret: c.clientSecret, token_type_hint: "access_token", access_token: tokens.access }));
    expect(access).toMatchObject({ active: true, hub_id: 4242, hub_domain: "acme-sandbox.hubspot.com", scopes: ["oauth", "crm.objects.contacts.read"], token_use: "access_token", token_type: "Bearer", expires_in: 1800, client_id: c.clientId });
    const refresh = await body(await form(sb("hubspot", "/oauth/v3/token/introspect"), { client_id: c.clientId, client_secret: c.clientSecret, token: tokens.refresh! }));
    expect(refresh).toMatchObject({ active: true, token_use: "refresh_token" });
    const v1 = await body(await fetch(sb("hubspot", `/oauth/v1/access-tokens/${tokens.access}`)));
    expect(v1).toMatchObject({ token: tokens.access, user: "sandy@example.com", hub_domain: "acme-sandbox.hubspot.com", hub_id: 4242, token_type: "access", expires_in: 1800 });
    expect(await body(await form(sb("hubspot", "/oauth/v3/token/introspect"), { client_id: c.clientId, client_secret: c.clientSecret, token: "nope" }))).toEqual({ active: false });
    expect((await fetch(sb("hubspot", "/oauth/v1/access-tokens/nope"))).status).toBe(404);
  });

  it("v1 DELETE of a refresh token answers 204 and leaves access tokens working (H1)", async () => {
    const { tokens } = await connect("hubspot");
    const res = await fetch(sb("hubspot", `/oauth/v1/refresh-tokens/${tokens.refresh}`), { method: "DELETE" });
    expect(res.status).toBe(204);
    await drivers.hubspot.expect.probeOk(await drivers.hubspot.probe(tokens.access));
    await expectReply(await drivers.hubspot.refresh(tokens.refresh!), drivers.hubspot.expect.badRefresh);
  });

  it("access tokens expire after 30 minutes: 401 EXPIRED_AUTHENTICATION, then refresh works", async () => {
    const { tokens } = await connect("hubspot");
    clock += 1800 * 1000 + 5000;
    const res = await drivers.hubspot.probe(tokens.access);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ category: "EXPIRED_AUTHENTICATION", message: "The OAuth token used to make this call expired 5 second(s) ago." });
    const next = await body(await drivers.hubspot.refresh(tokens.refresh!));
    await drivers.hubspot.expect.probeOk(await drivers.hubspot.probe(next.access_token));
  });

  it("account-info needs the oauth scope (403 otherwise); 429 carries policyName", async () => {
    const { tokens } = await connect("hubspot", { scopes: ["crm.objects.contacts.read"] });
    const res = await drivers.hubspot.probe(tokens.access);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ category: "MISSING_SCOPES" });
    sandbox.setFault("hubspot", { mode: "rate_limited" });
    const limited = await drivers.hubspot.probe(tokens.access);
    expect(await limited.json()).toMatchObject({ status: "error", message: "You have reached your secondly limit.", policyName: "TEN_SECONDLY_ROLLING" });
  });

  it("offers optional scopes on the consent page (optional_scope)", async () => {
    const { html } = await openConsent("hubspot", drivers.hubspot.authorizeParams({ optional_scope: "crm.objects.deals.read" }));
    expect(html).toContain("Optional scopes");
    expect(html).toContain('value="crm.objects.deals.read" checked');
  });

  it("v1Retired: every path under /oauth/v1/ answers 404 OBJECT_NOT_FOUND; v3 and 2026-03 keep working", async () => {
    const { tokens } = await connect("hubspot");
    const c = client("hubspot");
    const set = await fetch(`${base}/sandbox/_control`, { method: "POST", headers: { "content-type": "application/json", ...OWNER }, body: JSON.stringify({ provider: "hubspot", options: { v1Retired: true } }) });
    expect((await set.json()).providers.hubspot.options).toMatchObject({ v1Retired: true });
    const before = sandbox.stats("hubspot");
    const { code } = await authorize("hubspot");
    const calls: [string, string, URLSearchParams | undefined][] = [
      ["POST", "/oauth/v1/token", new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: callback("hubspot"), client_id: c.clientId, client_secret: c.clientSecret })],
      ["POST", "/oauth/v1/token", new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh!, client_id: c.clientId, client_secret: c.clientSecret })],
      ["GET", `/oauth/v1/access-tokens/${tokens.access}`, undefined],
      ["GET", `/oauth/v1/refresh-tokens/${tokens.refresh}`, undefined],
      ["DELETE", `/oauth/v1/refresh-tokens/${tokens.refresh}`, undefined],
      ["PUT", "/oauth/v1/token", undefined],
      ["GET", "/oauth/v1/anything/else", undefined],
    ];
    for (const [method, path, payload] of calls) {
      const res = await fetch(sb("hubspot", path), { method, body: payload });
      expect(res.status, `${method} ${path}`).toBe(404);
      const id = res.headers.get("x-hubspot-correlation-id");
      expect(await res.json()).toEqual({ status: "error", message: expect.any(String), correlationId: id, category: "OBJECT_NOT_FOUND" });
    }
    // Gone before faults and counters: nothing was counted.
    expect(sandbox.stats("hubspot")).toEqual(before);
    // The code was not consumed by the v1 attempt; v3 and 2026-03 work, and so does the grant.
    expect((await drivers.hubspot.exchange(code)).status).toBe(200);
    const refreshed = await body(await form(sb("hubspot", "/oauth/2026-03/token"), { grant_type: "refresh_token", refresh_token: tokens.refresh!, client_id: c.clientId, client_secret: c.clientSecret }));
    expect(refreshed).toMatchObject({ token_type: "bearer", hub_id: 4242, expires_in: 1800 });
    await drivers.hubspot.expect.probeOk(await drivers.hubspot.probe(refreshed.access_token));
    expect(await body(await form(sb("hubspot", "/oauth/2026-03/token/introspect"), { client_id: c.clientId, client_secret: c.clientSecret, token: refreshed.access_token }))).toMatchObject({ active: true });
    // Off again (the default): v1 answers as before.
    sandbox.setOptions("hubspot", { v1Retired: false });
    expect(await body(await fetch(sb("hubspot", `/oauth/v1/access-tokens/${refreshed.access_token}`)))).toMatchObject({ token_type: "access", hub_id: 4242 });
  });

  it("introspection answers HTTP 200 {active:false} for revoked, expired, rotated-away and unknown tokens", async () => {
    const c = client("hubspot");
    const introspect = async (fields: Record<string, string>, path = "/oauth/v3/token/introspect") => {
      const res = await form(sb("hubspot", path), { client_id: c.clientId, client_secret: c.clientSecret, ...fields });
      expect(res.status).toBe(200);
      return res.json();
    };
    // Unknown, by every documented parameter form.
    expect(await introspect({ token: "nope" })).toEqual({ active: false });
    expect(await introspect({ token_type_hint: "access_token", access_token: "nope" })).toEqual({ active: false });
    expect(await introspect({ token_type_hint: "refresh_token", refresh_token: "nope" }, "/oauth/2026-03/token/introspect")).toEqual({ active: false });
    // Expired access token.
    const expiring = await connect("hubspot");
    clock += 1800 * 1000;
    expect(await introspect({ token_type_hint: "access_token", access_token: expiring.tokens.access })).toEqual({ active: false });
    expect(await introspect({ token_type_hint: "refresh_token", refresh_token: expiring.tokens.refresh! })).toMatchObject({ active: true, token_use: "refresh_token" });
    // Rotated away.
    sandbox.setOptions("hubspot", { rotateRefreshTokens: true });
    const rotating = await connect("hubspot");
    const next = await body(await drivers.hubspot.refresh(rotating.tokens.refresh!));
    expect(next.refresh_token).not.toBe(rotating.tokens.refresh);
    expect(await introspect({ token: rotating.tokens.refresh! })).toEqual({ active: false });
    expect(await introspect({ token: next.refresh_token })).toMatchObject({ active: true });
    // Revoked.
    const revoking = await connect("hubspot");
    expect((await drivers.hubspot.revoke(revoking.tokens)).status).toBe(200);
    expect(await introspect({ token: revoking.tokens.access })).toEqual({ active: false });
    expect(await introspect({ token: revoking.tokens.refresh! })).toEqual({ active: false });
  });

  it("v3 and 2026-03 revoke end the whole grant (access and refresh tokens) and answer 200 for unknown tokens (RFC 7009 §2.2)", async () => {
    const c = client("hubspot");
    for (const prefix of ["/oauth/v3", "/oauth/2026-03"]) {
      const { tokens } = await connect("hubspot");
      const other = await connect("hubspot");
      const res = await form(sb("hubspot", `${prefix}/token/revoke`), { client_id: c.clientId, client_secret: c.clientSecret, token: tokens.refresh!, token_type_hint: "refresh_token" });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      await expectReply(await drivers.hubspot.probe(tokens.access), drivers.hubspot.expect.revoked);
      await expectReply(await drivers.hubspot.refresh(tokens.refresh!), drivers.hubspot.expect.badRefresh);
      // Another grant is untouched.
      await drivers.hubspot.expect.probeOk(await drivers.hubspot.probe(other.tokens.access));
      // Revoking by the access token ends that grant as well.
      const byAccess = await form(sb("hubspot", `${prefix}/token/revoke`), { client_id: c.clientId, client_secret: c.clientSecret, token: other.tokens.access, token_type_hint: "access_token" });
      expect(byAccess.status).toBe(200);
      await byAccess.arrayBuffer();
      await expectReply(await drivers.hubspot.refresh(other.tokens.refresh!), drivers.hubspot.expect.badRefresh);
      for (const token of ["never-issued", tokens.refresh!]) {
        const unknown = await form(sb("hubspot", `${prefix}/token/revoke`), { client_id: c.clientId, client_secret: c.clientSecret, token, token_type_hint: "refresh_token" });
        expect(unknown.status).toBe(200);
        await unknown.arrayBuffer();
      }
    }
    // The client must still authenticate (RFC 7009 §2.1).
    const noClient = await form(sb("hubspot", "/oauth/v3/token/revoke"), { token: "x" });
    expect(noClient.status).toBe(400);
    expect(await noClient.json()).toMatchObject({ error: "invalid_client" });
  });
});

describe("Google specifics", () => {
  it("token response: 1-hour Bearer token, full-URL scopes, refresh token, id_token", async () => {
    const { code, location } = await authorize("google");
    expect(location.searchParams.get("scope")).toBe("openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile");
    const raw = await body(await drivers.google.exchange(code));
    expect(raw).toEqual({
      access_token: expect.stringMatching(/^ya29\./),
      expires_in: 3599,
      token_type: "Bearer",
      scope: "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
      refresh_token: expect.stringMatching(/^1\/\//),
      id_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    });
    const [head, payload, signature] = raw.id_token.split(".");
    expect(createHmac("sha256", client("google").clientSecret).update(`${head}.${payload}`).digest("base64url")).toBe(signature);
    expect(JSON.parse(Buffer.from(payload, "base64url").toString())).toMatchObject({ aud: client("google").clientId, sub: "104242424242424242424", email: "sandy@example.com" });
  });

  it("refresh returns no new refresh token", async () => {
    const { tokens } = await connect("google");
    const next = await body(await drivers.google.refresh(tokens.refresh!));
    expect(next).toMatchObject({ access_token: expect.any(String), expires_in: 3599, token_type: "Bearer" });
    expect(next.refresh_token).toBeUndefined();
  });

  it("returns a refresh token only the first time unless prompt=consent; none without access_type=offline", async () => {
    const first = await connect("google", { extra: { prompt: "select_account" } });
    expect(first.tokens.refresh).toBeTruthy();
    const second = await connect("google", { extra: { prompt: "select_account" } });
    expect(second.tokens.refresh).toBeUndefined();
    const third = await connect("google");
    expect(third.tokens.refresh).toBeTruthy();
    sandbox.reset();
    const online = await connect("google", { extra: { access_type: "online" } });
    expect(online.tokens.refresh).toBeUndefined();
  });

  it("PKCE: a missing or wrong code_verifier is invalid_grant", async () => {
    const { code } = await authorize("google");
    const c = client("google");
    const without = await form(sb("google", "/token"), { grant_type: "authorization_code", code, redirect_uri: callback("google"), client_id: c.clientId, client_secret: c.clientSecret });
    expect(without.status).toBe(400);
    expect(await without.json()).toEqual({ error: "invalid_grant", error_description: "Missing code verifier." });
    const wrong = await drivers.google.exchange(code, { code_verifier: pkcePair().verifier });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: "invalid_grant", error_description: "Invalid code verifier." });
    expect((await drivers.google.exchange(code)).status).toBe(200);
  });

  it("include_granted_scopes adds scopes granted earlier, until revocation", async () => {
    const first = await connect("google");
    const narrow = await connect("google", { scopes: ["openid"] });
    expect(narrow.tokens.raw.scope.split(" ")).toHaveLength(3);
    await drivers.google.revoke(first.tokens);
    const after = await connect("google", { scopes: ["openid"] });
    expect(after.tokens.raw.scope).toBe("openid");
  });

  it("tokeninfo, HTTP Basic client auth, a 401 invalid_client and GET /revoke → 404", async () => {
    const c = client("google");
    const { code } = await authorize("google");
    const res = await form(sb("google", "/token"), { grant_type: "authorization_code", code, redirect_uri: callback("google"), code_verifier: pkce.verifier }, { authorization: basic(c.clientId, c.clientSecret) });
    const tokens = await body(res);
    expect(res.status).toBe(200);
    const info = await body(await fetch(`${sb("google", "/tokeninfo")}?access_token=${tokens.access_token}`));
    expect(info).toMatchObject({ aud: c.clientId, azp: c.clientId, sub: "104242424242424242424", expires_in: "3599", email: "sandy@example.com", email_verified: "true", access_type: "offline" });
    const bad = await fetch(`${sb("google", "/tokeninfo")}?access_token=nope`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "invalid_token", error_description: "Invalid Value" });
    const unknown = await form(sb("google", "/token"), { grant_type: "refresh_token", refresh_token: "x", client_id: "nope", client_secret: "nope" });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: "invalid_client" });
    expect((await fetch(`${sb("google", "/revoke")}?token=${tokens.access_token}`)).status).toBe(404);
    const userinfo = await drivers.google.probe("nope");
    expect(userinfo.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("redirects parameter errors back to the app once the redirect URI is trusted", async () => {
    const res = await fetch(`${sandboxEndpoints(base).google.authorizationUrl}?${new URLSearchParams(drivers.google.authorizeParams({ response_type: "token" }))}`, { redirect: "manual" });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.searchParams.get("error")).toBe("unsupported_response_type");
    expect(location.searchParams.get("state")).toBe("st-google");
  });

  it("the success redirect carries iss=https://accounts.google.com (RFC 9207), authuser=0, the prompt asked for, hd and full-URL scopes", async () => {
    const { location } = await authorize("google");
    const params = Object.fromEntries(location.searchParams);
    expect(params).toEqual({
      code: expect.stringMatching(/^4\/0A/),
      state: "st-google",
      iss: "https://accounts.google.com",
      scope: "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
      authuser: "0",
      prompt: "consent",
      hd: "example.com",
    });
    const selected = await authorize("google", { extra: { prompt: "select_account" } });
    expect(selected.location.searchParams.get("prompt")).toBe("select_account");
    const { prompt: _omitted, ...withoutPrompt } = drivers.google.authorizeParams();
    const page = await openConsent("google", withoutPrompt);
    const none = new URL((await submitConsent("google", page.consentId!, "allow", { scope: ["openid"] })).headers.get("location")!);
    expect(none.searchParams.get("prompt")).toBe("consent");
    expect(none.searchParams.get("iss")).toBe("https://accounts.google.com");
  });

  it("the deny and error redirects carry iss too; issParameter: false emulates an account without it", async () => {
    const page = await openConsent("google", drivers.google.authorizeParams());
    const denied = new URL((await submitConsent("google", page.consentId!, "deny")).headers.get("location")!);
    expect(Object.fromEntries(denied.searchParams)).toEqual({ error: "access_denied", state: "st-google", iss: "https://accounts.google.com" });
    const invalid = await fetch(`${sandboxEndpoints(base).google.authorizationUrl}?${new URLSearchParams(drivers.google.authorizeParams({ response_type: "token" }))}`, { redirect: "manual" });
    expect(new URL(invalid.headers.get("location")!).searchParams.get("iss")).toBe("https://accounts.google.com");

    const set = await fetch(`${base}/sandbox/_control`, { method: "POST", headers: { "content-type": "application/json", ...OWNER }, body: JSON.stringify({ provider: "google", options: { issParameter: false } }) });
    expect((await set.json()).providers.google.options).toEqual({ issParameter: false });
    const { location } = await authorize("google");
    expect(location.searchParams.get("iss")).toBeNull();
    expect(location.searchParams.get("code")).toBeTruthy();
    expect(location.searchParams.get("authuser")).toBe("0");
    const again = await openConsent("google", drivers.google.authorizeParams());
    const deniedWithout = new URL((await submitConsent("google", again.consentId!, "deny")).headers.get("location")!);
    expect(Object.fromEntries(deniedWithout.searchParams)).toEqual({ error: "access_denied", state: "st-google" });
  });

  it("tokeninfo answers full-URL scopes to POST with a Bearer header and to GET ?access_token=", async () => {
    const { tokens } = await connect("google");
    const scope = "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile";
    const posted = await fetch(sb("google", "/tokeninfo"), { method: "POST", headers: { authorization: `Bearer ${tokens.access}` } });
    expect(posted.status).toBe(200);
    expect(await posted.json()).toMatchObject({ scope, aud: client("google").clientId, expires_in: "3599", access_type: "offline" });
    const got = await fetch(`${sb("google", "/tokeninfo")}?access_token=${encodeURIComponent(tokens.access)}`);
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ scope, exp: String(Math.floor(T0 / 1000) + 3599) });
  });
});

describe("Salesforce specifics", () => {
  it("token response has instance_url, id, issued_at (ms string), a verifiable signature and no expires_in", async () => {
    const { tokens } = await connect("salesforce");
    const raw = tokens.raw;
    expect(raw).toEqual({
      access_token: expect.stringMatching(/^00D0S00000SANDB!/),
      refresh_token: expect.stringMatching(/^5Aep861/),
      signature: expect.any(String),
      scope: "api refresh_token openid",
      id_token: expect.any(String),
      instance_url: `${base}/sandbox/salesforce`,
      id: `${base}/sandbox/salesforce/id/00D0S00000SANDBXAA/0050S00000SANDYAAA`,
      token_type: "Bearer",
      issued_at: String(T0),
    });
    expect(raw.expires_in).toBeUndefined();
    expect(createHmac("sha256", client("salesforce").clientSecret).update(raw.id + raw.issued_at).digest("base64")).toBe(raw.signature);
    const identity = await body(await fetch(raw.id, { headers: { authorization: `Bearer ${raw.access_token}` } }));
    expect(identity).toMatchObject({ username: "sandy@acme.sandbox", organization_id: "00D0S00000SANDBXAA", user_id: "0050S00000SANDYAAA" });
  });

  it("access tokens expire after the 2-hour session timeout: 401 INVALID_SESSION_ID, refresh (no new refresh token), then OK", async () => {
    const { tokens } = await connect("salesforce");
    clock += 7200 * 1000;
    await expectReply(await drivers.salesforce.probe(tokens.access, tokens), drivers.salesforce.expect.revoked);
    const next = await body(await drivers.salesforce.refresh(tokens.refresh!));
    expect(next).toMatchObject({ access_token: expect.any(String), instance_url: tokens.raw.instance_url, issued_at: String(clock) });
    expect(next.refresh_token).toBeUndefined();
    expect(next.expires_in).toBeUndefined();
    await drivers.salesforce.expect.probeOk(await drivers.salesforce.probe(next.access_token, tokens));
  });

  it("honours a shorter sandbox session timeout", async () => {
    sandbox.setOptions("salesforce", { accessTokenLifetimeSeconds: 60 });
    const { tokens } = await connect("salesforce");
    clock += 61_000;
    expect((await drivers.salesforce.probe(tokens.access, tokens)).status).toBe(401);
  });

  it("PKCE per F2: no verifier → invalid_grant, wrong verifier → invalid_request", async () => {
    const { code } = await authorize("salesforce");
    const c = client("salesforce");
    const without = await form(sb("salesforce", "/services/oauth2/token"), { grant_type: "authorization_code", code, redirect_uri: callback("salesforce"), client_id: c.clientId, client_secret: c.clientSecret });
    expect(await without.json()).toMatchObject({ error: "invalid_grant" });
    const wrong = await drivers.salesforce.exchange(code, { code_verifier: pkcePair().verifier });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: "invalid_request", error_description: "invalid code verifier" });
  });

  it("revoking an access token ends only that session; revoking the refresh token ends the grant", async () => {
    const { tokens } = await connect("salesforce");
    const res = await form(sb("salesforce", "/services/oauth2/revoke"), { token: tokens.access });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect((await drivers.salesforce.probe(tokens.access, tokens)).status).toBe(401);
    const next = await body(await drivers.salesforce.refresh(tokens.refresh!));
    await drivers.salesforce.expect.probeOk(await drivers.salesforce.probe(next.access_token, tokens));
    const again = await form(sb("salesforce", "/services/oauth2/revoke"), { token: tokens.access });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: "unsupported_token_type", error_description: "this token type is not supported" });
  });

  it("userinfo answers with the identity and 403 Bad_OAuth_Token for a bad token; limits need the api scope", async () => {
    const { tokens } = await connect("salesforce", { scopes: ["openid", "refresh_token"] });
    const info = await body(await fetch(sandboxEndpoints(base).salesforce.userinfoUrl!, { headers: { authorization: `Bearer ${tokens.access}` } }));
    expect(info).toMatchObject({ preferred_username: "sandy@acme.sandbox", organization_id: "00D0S00000SANDBXAA", urls: { rest: `${base}/sandbox/salesforce/services/data/v{version}/` } });
    const bad = await fetch(sandboxEndpoints(base).salesforce.userinfoUrl!, { headers: { authorization: "Bearer nope" } });
    expect(bad.status).toBe(403);
    expect(await bad.text()).toBe("Bad_OAuth_Token");
    const limits = await drivers.salesforce.probe(tokens.access, tokens);
    expect(limits.status).toBe(403);
    expect(await limits.json()).toEqual([{ message: "This session is not valid for use with the REST API", errorCode: "INVALID_SESSION_ID" }]);
  });

  it("no refresh token without the refresh_token scope; immediate=true needs an earlier approval; Deny carries error_description", async () => {
    const { tokens } = await connect("salesforce", { scopes: ["api"] });
    expect(tokens.refresh).toBeUndefined();
    sandbox.reset();
    const params = drivers.salesforce.authorizeParams({ immediate: "true" });
    const refused = await fetch(`${sandboxEndpoints(base).salesforce.authorizationUrl}?${new URLSearchParams(params)}`, { redirect: "manual" });
    expect(new URL(refused.headers.get("location")!).searchParams.get("error")).toBe("immediate_unsuccessful");
    await authorize("salesforce");
    const approved = await fetch(`${sandboxEndpoints(base).salesforce.authorizationUrl}?${new URLSearchParams(params)}`, { redirect: "manual" });
    expect(approved.status).toBe(302);
    expect(new URL(approved.headers.get("location")!).searchParams.get("code")).toBeTruthy();
    const page = await openConsent("salesforce", drivers.salesforce.authorizeParams());
    const denied = new URL((await submitConsent("salesforce", page.consentId!, "deny")).headers.get("location")!);
    expect(denied.searchParams.get("error_description")).toBe("end-user denied authorization");
  });

  // Login hosts: production at the root, test.salesforce.com under /test, My Domains under /my/<domain>.
  const sf = (host: string, path: string) => `${base}/sandbox/salesforce${host}${path}`;
  async function connectAt(host: string, options: { scopes?: string[] } = {}) {
    const page = await fetch(`${sf(host, "/services/oauth2/authorize")}?${new URLSearchParams(drivers.salesforce.authorizeParams())}`, { redirect: "manual" });
    expect(page.status).toBe(200);
    const html = await page.text();
    const consentId = /name="consent" value="([^"]+)"/.exec(html)![1]!;
    const approved = await submitConsent("salesforce", consentId, "allow", drivers.salesforce.ticked(options.scopes));
    const code = new URL(approved.headers.get("location")!).searchParams.get("code")!;
    const exchange = (at: string) =>
      form(sf(at, "/services/oauth2/token"), { grant_type: "authorization_code", code, redirect_uri: callback("salesforce"), client_id: client("salesforce").clientId, client_secret: client("salesforce").clientSecret, code_verifier: pkce.verifier });
    return { html, code, exchange };
  }
  const refreshAt = (host: string, refreshToken: string) =>
    form(sf(host, "/services/oauth2/token"), { grant_type: "refresh_token", refresh_token: refreshToken, client_id: client("salesforce").clientId, client_secret: client("salesforce").clientSecret });
  const soql = (instanceUrl: string, access: string, q?: string, version = "62.0") =>
    fetch(`${instanceUrl}/services/data/v${version}/query${q === undefined ? "" : `?${new URLSearchParams({ q })}`}`, { headers: { authorization: `Bearer ${access}` } });
  const ORG_FIELDS = "SELECT Id, Name, IsSandbox, OrganizationType, InstanceName FROM Organization";

  it("the catalog lists the org login hosts", () => {
    expect(sandboxEndpoints(base).salesforce.orgLoginUrls).toEqual({
      production: `${base}/sandbox/salesforce`,
      sandbox: `${base}/sandbox/salesforce/test`,
      myDomain: `${base}/sandbox/salesforce/my/{domain}`,
    });
  });

  it("the Sandbox login host (/test) is its own org: instance_url and id on the prefix, identity, userinfo and REST answer with its ids", async () => {
    const { html, exchange } = await connectAt("/test");
    expect(html).toContain("Acme UAT Sandbox (00D7Q00000UATSBUA5)");
    expect(html).toContain("sandy@acme.sandbox.uat");
    const res = await exchange("/test");
    expect(res.status).toBe(200);
    const raw = await res.json();
    expect(raw).toMatchObject({
      access_token: expect.stringMatching(/^00D7Q00000UATSB!/),
      refresh_token: expect.stringMatching(/^5Aep861/),
      instance_url: `${base}/sandbox/salesforce/test`,
      id: `${base}/sandbox/salesforce/test/id/00D7Q00000UATSBUA5/0057Q00000SANDYQA5`,
      token_type: "Bearer",
    });
    expect(createHmac("sha256", client("salesforce").clientSecret).update(raw.id + raw.issued_at).digest("base64")).toBe(raw.signature);
    const auth = { headers: { authorization: `Bearer ${raw.access_token}` } };
    expect(await body(await fetch(raw.id, auth))).toMatchObject({ organization_id: "00D7Q00000UATSBUA5", user_id: "0057Q00000SANDYQA5", username: "sandy@acme.sandbox.uat", urls: { rest: `${base}/sandbox/salesforce/test/services/data/v{version}/` } });
    expect(await body(await fetch(sf("/test", "/services/oauth2/userinfo"), auth))).toMatchObject({ organization_id: "00D7Q00000UATSBUA5", sub: raw.id, preferred_username: "sandy@acme.sandbox.uat" });
    await drivers.salesforce.expect.probeOk(await fetch(`${raw.instance_url}/services/data/v62.0/limits`, auth));
    // The production org's identity URL is not this host's.
    expect((await fetch(sf("/test", "/id/00D0S00000SANDBXAA/0050S00000SANDYAAA"), auth)).status).toBe(404);
    // A refresh at the same host works and stays in that org.
    const next = await body(await refreshAt("/test", raw.refresh_token));
    expect(next).toMatchObject({ access_token: expect.stringMatching(/^00D7Q00000UATSB!/), instance_url: raw.instance_url, id: raw.id });
  });

  it("My Domain hosts: /my/acme is the production org, /my/acme--uat.sandbox the UAT sandbox; malformed domains are 404", async () => {
    const acme = await body(await (await connectAt("/my/acme")).exchange("/my/acme"));
    expect(acme).toMatchObject({ access_token: expect.stringMatching(/^00D0S00000SANDB!/), instance_url: `${base}/sandbox/salesforce/my/acme`, id: `${base}/sandbox/salesforce/my/acme/id/00D0S00000SANDBXAA/0050S00000SANDYAAA` });
    expect(await body(await soql(acme.instance_url, acme.access_token, ORG_FIELDS))).toMatchObject({ records: [{ Id: "00D0S00000SANDBXAA", Name: "Acme Sandbox Org", IsSandbox: false }] });
    const uat = await body(await (await connectAt("/my/acme--uat.sandbox")).exchange("/my/acme--uat.sandbox"));
    expect(uat).toMatchObject({ instance_url: `${base}/sandbox/salesforce/my/acme--uat.sandbox`, id: `${base}/sandbox/salesforce/my/acme--uat.sandbox/id/00D7Q00000UATSBUA5/0057Q00000SANDYQA5` });
    expect(await body(await soql(uat.instance_url, uat.access_token, ORG_FIELDS))).toMatchObject({ records: [{ Id: "00D7Q00000UATSBUA5", Name: "Acme UAT Sandbox", IsSandbox: true }] });
    for (const path of ["/my/Acme/services/oauth2/authorize", "/my/acme_corp/services/oauth2/token", "/my/-acme/services/oauth2/token", "/my/acme.sandbox.x/services/oauth2/token", "/my/services/oauth2/token", "/testing/services/oauth2/token"]) {
      const res = await fetch(sf("", path), { method: path.endsWith("authorize") ? "GET" : "POST" });
      expect(res.status, path).toBe(404);
      await res.arrayBuffer();
    }
  });

  it("a code, refresh token or access token only works at the login host that issued it", async () => {
    const test = await connectAt("/test");
    // A code of /test presented to production: authentication failure, and it stays unused.
    const wrongHost = await test.exchange("");
    expect(wrongHost.status).toBe(400);
    expect(await wrongHost.json()).toEqual({ error: "invalid_grant", error_description: "authentication failure" });
    const raw = await body(await test.exchange("/test"));
    expect(raw.instance_url).toBe(`${base}/sandbox/salesforce/test`);
    for (const host of ["", "/my/acme", "/my/acme--uat.sandbox"]) {
      const refresh = await refreshAt(host, raw.refresh_token);
      expect(refresh.status, host).toBe(400);
      expect(await refresh.json()).toEqual({ error: "invalid_grant", error_description: "authentication failure" });
      const revoke = await form(sf(host, "/services/oauth2/revoke"), { token: raw.refresh_token });
      expect(revoke.status, host).toBe(400);
      expect(await revoke.json()).toEqual({ error: "unsupported_token_type", error_description: "this token type is not supported" });
      const auth = { headers: { authorization: `Bearer ${raw.access_token}` } };
      await expectReply(await fetch(sf(host, "/services/data/v62.0/limits"), auth), drivers.salesforce.expect.revoked);
      await expectReply(await soql(sf(host, ""), raw.access_token, ORG_FIELDS), drivers.salesforce.expect.revoked);
      const userinfo = await fetch(sf(host, "/services/oauth2/userinfo"), auth);
      expect(userinfo.status).toBe(403);
      expect(await userinfo.text()).toBe("Bad_OAuth_Token");
    }
    // None of that touched the grant at its own host.
    await drivers.salesforce.expect.probeOk(await fetch(`${raw.instance_url}/services/data/v62.0/limits`, { headers: { authorization: `Bearer ${raw.access_token}` } }));
    expect((await refreshAt("/test", raw.refresh_token)).status).toBe(200);
    // A production token is refused at /test the same way.
    const { tokens } = await connect("salesforce");
    expect(await body(await refreshAt("/test", tokens.refresh!))).toEqual({ error: "invalid_grant", error_description: "authentication failure" });
  });

  it("SOQL on Organization answers the documented query shape for each org, needs the api scope, and refuses other queries", async () => {
    const { tokens } = await connect("salesforce");
    const instanceUrl = tokens.raw.instance_url;
    const prod = await soql(instanceUrl, tokens.access, ORG_FIELDS, "61.0");
    expect(prod.status).toBe(200);
    expect(await prod.json()).toEqual({
      totalSize: 1,
      done: true,
      records: [
        {
          attributes: { type: "Organization", url: "/services/data/v61.0/sobjects/Organization/00D0S00000SANDBXAA" },
          Id: "00D0S00000SANDBXAA",
          Name: "Acme Sandbox Org",
          IsSandbox: false,
          OrganizationType: "Enterprise Edition",
          InstanceName: "NA1",
        },
      ],
    });
    const test = await body(await (await connectAt("/test")).exchange("/test"));
    expect(await body(await soql(test.instance_url, test.access_token, ORG_FIELDS))).toEqual({
      totalSize: 1,
      done: true,
      records: [
        {
          attributes: { type: "Organization", url: "/services/data/v62.0/sobjects/Organization/00D7Q00000UATSBUA5" },
          Id: "00D7Q00000UATSBUA5",
          Name: "Acme UAT Sandbox",
          IsSandbox: true,
          OrganizationType: "Enterprise Edition",
          InstanceName: "CS42",
        },
      ],
    });
    // SOQL keywords and names are case-insensitive; only the selected fields come back.
    const subset = await body(await soql(instanceUrl, tokens.access, "select name, ID from organization limit 1"));
    expect(subset.records).toEqual([{ attributes: { type: "Organization", url: "/services/data/v62.0/sobjects/Organization/00D0S00000SANDBXAA" }, Name: "Acme Sandbox Org", Id: "00D0S00000SANDBXAA" }]);
    // Trailing slash on the resource is accepted as well.
    expect((await fetch(`${instanceUrl}/services/data/v62.0/query/?q=${encodeURIComponent(ORG_FIELDS)}`, { headers: { authorization: `Bearer ${tokens.access}` } })).status).toBe(200);

    const refused: [string | undefined, string][] = [
      ["SELECT Id FROM Account", "MALFORMED_QUERY"],
      ["SELECT FROM Organization", "MALFORMED_QUERY"],
      ["DELETE Organization", "MALFORMED_QUERY"],
      [undefined, "MALFORMED_QUERY"],
      ["SELECT Id, Nope FROM Organization", "INVALID_FIELD"],
    ];
    for (const [q, errorCode] of refused) {
      const res = await soql(instanceUrl, tokens.access, q);
      expect(res.status, String(q)).toBe(400);
      expect(await res.json()).toEqual([{ message: expect.any(String), errorCode }]);
    }
    expect((await soql(instanceUrl, tokens.access, ORG_FIELDS, "99.0")).status).toBe(404);
    await expectReply(await soql(instanceUrl, "00D0S00000SANDB!nope", ORG_FIELDS), drivers.salesforce.expect.revoked);
    const noApi = await connect("salesforce", { scopes: ["openid", "refresh_token"] });
    const forbidden = await soql(instanceUrl, noApi.tokens.access, ORG_FIELDS);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toEqual([{ message: "This session is not valid for use with the REST API", errorCode: "INVALID_SESSION_ID" }]);
  });

  it("rate_limited: REST, query and identity calls answer 403 REQUEST_LIMIT_EXCEEDED without Retry-After; the token endpoint 429 with Retry-After", async () => {
    const { tokens } = await connect("salesforce");
    sandbox.setFault("salesforce", { mode: "rate_limited", retryAfterSeconds: 9 });
    const auth = { headers: { authorization: `Bearer ${tokens.access}` } };
    for (const res of [await soql(tokens.raw.instance_url, tokens.access, ORG_FIELDS), await fetch(`${tokens.raw.instance_url}/services/data/v62.0/limits`, auth), await fetch(tokens.raw.id, auth)]) {
      expect(res.status).toBe(403);
      expect(res.headers.get("retry-after")).toBeNull();
      expect(await res.json()).toEqual([{ message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" }]);
    }
    const token = await drivers.salesforce.refresh(tokens.refresh!);
    expect(token.status).toBe(429);
    expect(token.headers.get("retry-after")).toBe("9");
    await token.arrayBuffer();
    // Not a revocation: once the fault is lifted the same token works.
    sandbox.setFault("salesforce", { mode: "ok" });
    await drivers.salesforce.expect.probeOk(await drivers.salesforce.probe(tokens.access, tokens));
  });

  it("revoking a live refresh token ends the grant; revoking a dead or unknown token answers 400 unsupported_token_type", async () => {
    const { tokens } = await connect("salesforce");
    const revoked = await form(sb("salesforce", "/services/oauth2/revoke"), { token: tokens.refresh! });
    expect(revoked.status).toBe(200);
    expect(await revoked.text()).toBe("");
    await expectReply(await drivers.salesforce.probe(tokens.access, tokens), drivers.salesforce.expect.revoked);
    await expectReply(await drivers.salesforce.refresh(tokens.refresh!), drivers.salesforce.expect.badRefresh);
    for (const token of [tokens.refresh!, tokens.access, "5Aep861never-issued"]) {
      const dead = await form(sb("salesforce", "/services/oauth2/revoke"), { token });
      expect(dead.status).toBe(400);
      expect(await dead.json()).toEqual({ error: "unsupported_token_type", error_description: "this token type is not supported" });
    }
    // The same at the /test host, by GET ?token= as well.
    const test = await body(await (await connectAt("/test")).exchange("/test"));
    expect((await fetch(`${sf("/test", "/services/oauth2/revoke")}?token=${encodeURIComponent(test.refresh_token)}`)).status).toBe(200);
    expect((await refreshAt("/test", test.refresh_token)).status).toBe(400);
    expect((await form(sf("/test", "/services/oauth2/revoke"), { token: test.refresh_token })).status).toBe(400);
  });

  it("immediate=true approval is per org", async () => {
    await authorize("salesforce");
    const params = new URLSearchParams(drivers.salesforce.authorizeParams({ immediate: "true" }));
    const prod = await fetch(`${sf("", "/services/oauth2/authorize")}?${params}`, { redirect: "manual" });
    expect(new URL(prod.headers.get("location")!).searchParams.get("code")).toBeTruthy();
    const uat = await fetch(`${sf("/test", "/services/oauth2/authorize")}?${params}`, { redirect: "manual" });
    expect(new URL(uat.headers.get("location")!).searchParams.get("error")).toBe("immediate_unsuccessful");
  });
});

// ---------------------------------------------------------------------------------------------

describe("control surface", () => {
  const post = (value: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/sandbox/_control`, { method: "POST", headers: { "content-type": "application/json", ...OWNER, ...headers }, body: typeof value === "string" ? value : JSON.stringify(value) });
  const postForm = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${base}/sandbox/_control/form`, { method: "POST", redirect: "manual", headers: { origin: base, ...OWNER, ...headers }, body: new URLSearchParams(fields) });

  it("GET /sandbox/_control reports every provider's fault, options, counters and endpoints", async () => {
    const state = await body(await fetch(`${base}/sandbox/_control`, { headers: OWNER }));
    expect(Object.keys(state.providers)).toEqual([...SANDBOX_PROVIDERS]);
    expect(state.providers.slack).toEqual({
      fault: { mode: "ok" },
      revokedAt: null,
      options: {},
      stats: { tokenRequests: { authorization_code: 0, refresh_token: 0 }, apiCalls: 0, revocations: 0 },
      clientId: "sandbox-slack",
      endpoints: sandboxEndpoints(base).slack,
    });
    expect(JSON.stringify(state)).not.toContain("secret");
  });

  it("POST sets a fault and options, and resets", async () => {
    const set = await post({ provider: "hubspot", fault: { mode: "rate_limited", retryAfterSeconds: 5 }, options: { rotateRefreshTokens: true } });
    expect(set.status).toBe(200);
    expect((await set.json()).providers.hubspot).toMatchObject({ fault: { mode: "rate_limited", retryAfterSeconds: 5 }, options: { rotateRefreshTokens: true } });
    const limited = await fetch(sb("hubspot", "/account-info/v3/details"));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("5");
    const reset = await post({ reset: true });
    expect((await reset.json()).providers.hubspot).toMatchObject({ fault: { mode: "ok" }, options: {}, stats: { apiCalls: 0 } });
  });

  it("refuses bad input with 400 and a message naming the problem", async () => {
    const cases: [unknown, RegExp][] = [
      [{ provider: "github", fault: { mode: "ok" } }, /provider/],
      [{ provider: "slack", fault: { mode: "flaky" } }, /mode/],
      [{ provider: "slack", fault: { mode: "rate_limited", retryAfterSeconds: -1 } }, /retryAfterSeconds/],
      [{ provider: "slack", fault: { mode: "slow", delayMs: "fast" } }, /delayMs/],
      [{ provider: "slack" }, /fault/],
      [{ provider: "slack", fault: { mode: "ok" }, extra: 1 }, /extra/],
      [{ provider: "google", options: { rotateRefreshTokens: true } }, /Google refresh tokens do not rotate/],
      [{ provider: "slack", options: { issParameter: false } }, /issParameter is a Google option/],
      [{ provider: "google", options: { v1Retired: true } }, /v1Retired is a HubSpot option/],
      [{ provider: "hubspot", options: { v1Retired: "yes" } }, /v1Retired/],
      [{ reset: false }, /reset/],
      ["{not json", /not valid JSON/],
      [[1, 2], /object/i],
    ];
    for (const [value, message] of cases) {
      const res = await post(value);
      expect(res.status, JSON.stringify(value)).toBe(400);
      const got = await res.json();
      expect(got.error).toBe("invalid_request");
      expect(got.message).toMatch(message);
    }
    const wrongType = await fetch(`${base}/sandbox/_control`, { method: "POST", headers: { "content-type": "text/plain", ...OWNER }, body: JSON.stringify({ reset: true }) });
    expect(wrongType.status).toBe(415);
    expect((await wrongType.json()).message).toMatch(/Content-Type/);
    expect((await post({ reset: true }, { origin: "https://evil.example" })).status).toBe(403);
    expect(() => sandbox.setFault("slack", { mode: "nope" as "ok" })).toThrow();
  });

  it("GET /sandbox lists the providers and their faults; the same-origin form sets a fault and redirects back", async () => {
    sandbox.setFault("salesforce", { mode: "slow", delayMs: 1500 });
    const page = await fetch(`${base}/sandbox`, { headers: OWNER });
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const name of ["Slack", "HubSpot", "Google", "Salesforce"]) expect(html).toContain(`<th scope="row">${name}</th>`);
    expect(html).toContain("slow, 1500 ms");
    expect(html).toContain('action="/sandbox/_control/form"');

    const res = await postForm({ provider: "google", mode: "server_error", retryAfterSeconds: "30", delayMs: "3000" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/sandbox");
    expect(sandbox.state().providers.google.fault).toEqual({ mode: "server_error" });

    // No Origin at all (curl, older browsers): Sec-Fetch-Site decides, absent here.
    const rotation = await fetch(`${base}/sandbox/_control/form`, { method: "POST", redirect: "manual", headers: OWNER, body: new URLSearchParams({ provider: "slack", rotateRefreshTokens: "on" }) });
    expect(rotation.status).toBe(303);
    expect(sandbox.state().providers.slack.options.rotateRefreshTokens).toBe(true);

    const cross = await postForm({ reset: "true" }, { origin: "https://evil.example" });
    expect(cross.status).toBe(403);
    const crossSite = await fetch(`${base}/sandbox/_control/form`, { method: "POST", redirect: "manual", headers: { "sec-fetch-site": "cross-site", ...OWNER }, body: new URLSearchParams({ reset: "true" }) });
    expect(crossSite.status).toBe(403);
    expect(sandbox.state().providers.google.fault.mode).toBe("server_error");

    const invalid = await postForm({ provider: "google", mode: "rate_limited", retryAfterSeconds: "soon" });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain("retryAfterSeconds");
  });

  it("refuses a cross-site consent submission", async () => {
    const page = await openConsent("google", drivers.google.authorizeParams());
    const res = await submitConsent("google", page.consentId!, "allow", { scope: ["openid"] }, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
  });

  it("counts token requests per grant type, API calls and revocations", async () => {
    sandbox.setOptions("slack", { rotateRefreshTokens: true });
    const { tokens } = await connect("slack");
    await drivers.slack.probe(tokens.access);
    await fetch(sb("slack", "/api/team.info"), { headers: { authorization: `Bearer ${tokens.access}` } });
    await drivers.slack.refresh(tokens.refresh!);
    await drivers.slack.refresh("xoxe-1-unknown");
    await drivers.slack.revoke(tokens);
    expect(sandbox.stats("slack")).toEqual({ tokenRequests: { authorization_code: 1, refresh_token: 2 }, apiCalls: 2, revocations: 1 });
    expect(sandbox.stats("google")).toEqual({ tokenRequests: { authorization_code: 0, refresh_token: 0 }, apiCalls: 0, revocations: 0 });
  });

  it("the control page shows the iss and v1 switches, and its forms flip them", async () => {
    const html = await (await fetch(`${base}/sandbox`, { headers: OWNER })).text();
    expect(html).toContain("iss on the authorization redirect (RFC 9207): sent");
    expect(html).toContain("Stop sending iss for Google");
    expect(html).toContain("OAuth v1 API: served");
    expect(html).toContain("Retire v1 for HubSpot");
    const post = (fields: Record<string, string>) => postForm(fields);
    expect((await post({ provider: "google", issParameter: "off" })).status).toBe(303);
    expect((await post({ provider: "hubspot", v1Retired: "on" })).status).toBe(303);
    expect(sandbox.state().providers.google.options).toEqual({ issParameter: false });
    expect(sandbox.state().providers.hubspot.options).toEqual({ v1Retired: true });
    const after = await (await fetch(`${base}/sandbox`, { headers: OWNER })).text();
    expect(after).toContain("Send iss for Google");
    expect(after).toContain("OAuth v1 API: retired (404)");
    // The form refuses a switch on the wrong provider, as the JSON endpoint does.
    const wrong = await post({ provider: "slack", v1Retired: "on" });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("v1Retired is a HubSpot option");
  });
});

describe("who may use the controls", () => {
  const post = (value: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/sandbox/_control`, { method: "POST", headers: { "content-type": "application/json", origin: base, ...headers }, body: JSON.stringify(value) });
  const postForm = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${base}/sandbox/_control/form`, { method: "POST", redirect: "manual", headers: { origin: base, ...headers }, body: new URLSearchParams(fields) });

  it("anonymous: 401 from the JSON endpoint, its state, the page and the form; nothing applied", async () => {
    const reset = await post({ provider: "slack", fault: { mode: "server_error" } });
    expect(reset.status).toBe(401);
    expect(await reset.json()).toMatchObject({ error: "unauthenticated", message: expect.stringMatching(/owner or admin/) });
    expect((await fetch(`${base}/sandbox/_control`)).status).toBe(401);
    const page = await fetch(`${base}/sandbox`);
    expect(page.status).toBe(401);
    const html = await page.text();
    expect(html).toContain('<a href="/login?next=%2Fsandbox">Sign in</a>');
    expect(html).not.toContain("<form");
    expect((await postForm({ reset: "true" })).status).toBe(401);
    expect(sandbox.state().providers.slack.fault.mode).toBe("ok");
  });

  it("a role that may not: 403, as JSON or as a page", async () => {
    sandbox.setFault("hubspot", { mode: "slow", delayMs: 5 });
    const refused = await post({ reset: true }, VIEWER);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "forbidden", message: expect.stringMatching(/owner or admin/) });
    expect((await fetch(`${base}/sandbox/_control`, { headers: VIEWER })).status).toBe(403);
    const page = await fetch(`${base}/sandbox`, { headers: VIEWER });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("Only owners and admins may use the sandbox controls");
    expect((await postForm({ reset: "true" }, VIEWER)).status).toBe(403);
    expect(sandbox.state().providers.hubspot.fault).toEqual({ mode: "slow", delayMs: 5 });
  });

  it("asks the app with apiKey for the JSON endpoint only; the CSRF checks come first", async () => {
    accessAsked.length = 0;
    await post({ provider: "slack", fault: { mode: "ok" } }, OWNER);
    await fetch(`${base}/sandbox`, { headers: OWNER });
    await postForm({ provider: "slack", mode: "ok" }, OWNER);
    expect(accessAsked).toEqual([
      { path: "/sandbox/_control", apiKey: true },
      { path: "/sandbox", apiKey: false },
      { path: "/sandbox/_control/form", apiKey: false },
    ]);
    accessAsked.length = 0;
    expect((await post({ reset: true }, { ...OWNER, origin: "https://evil.example" })).status).toBe(403);
    expect((await post({ reset: true }, { ...OWNER, origin: "null" })).status).toBe(403);
    expect((await postForm({ reset: "true" }, { ...OWNER, origin: "https://evil.example" })).status).toBe(403);
    expect(accessAsked).toEqual([]);
  });

  it("without authorizeControl every HTTP control answers 401; the in-process ones still work", async () => {
    const original = sandbox;
    sandbox = createSandbox({ publicUrl: base, now: () => clock });
    try {
      expect((await post({ reset: true }, OWNER)).status).toBe(401);
      expect((await fetch(`${base}/sandbox`, { headers: OWNER })).status).toBe(401);
      expect((await postForm({ reset: "true" }, OWNER)).status).toBe(401);
      sandbox.setFault("google", { mode: "server_error" });
      expect(sandbox.state().providers.google.fault.mode).toBe("server_error");
      // The emulators themselves stay public.
      const { tokens } = await connect("hubspot");
      await drivers.hubspot.expect.probeOk(await drivers.hubspot.probe(tokens.access));
    } finally {
      sandbox = original;
    }
  });

  it("trustedOrigins extends the JSON endpoint's origins; the form keeps its same-origin rule", async () => {
    const original = sandbox;
    sandbox = createSandbox({ publicUrl: base, now: () => clock, authorizeControl, trustedOrigins: ["http://localhost:5173"] });
    try {
      expect((await post({ provider: "slack", fault: { mode: "ok" } }, { ...OWNER, origin: "http://localhost:5173" })).status).toBe(200);
      expect((await postForm({ provider: "slack", mode: "ok" }, { ...OWNER, origin: "http://localhost:5173" })).status).toBe(403);
    } finally {
      sandbox = original;
    }
  });
});

describe("state file", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sb-sandbox-state-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `fn` with the server's sandbox replaced (each `open()` is a new process's sandbox on the same file). */
  async function withStateFile(fn: (open: () => Sandbox, file: string) => Promise<void>) {
    const original = sandbox;
    const file = join(dir, "data", "sandbox-state.json");
    const opened: Sandbox[] = [];
    const open = () => {
      sandbox = createSandbox({ publicUrl: base, now: () => clock, stateFile: file, authorizeControl, logger: createLogger({ level: "silent" }) });
      opened.push(sandbox);
      return sandbox;
    };
    try {
      await fn(open, file);
    } finally {
      for (const s of opened) await s.close();
      sandbox = original;
    }
  }

  it("a new sandbox on the same file keeps every grant and token, faults and options: probes and refreshes work", async () => {
    await withStateFile(async (open, file) => {
      const first = open();
      const connected = {} as Record<SandboxProviderId, Tokens>;
      for (const provider of SANDBOX_PROVIDERS) {
        drivers[provider].enableRefresh?.();
        connected[provider] = (await connect(provider)).tokens;
      }
      first.setFault("hubspot", { mode: "rate_limited", retryAfterSeconds: 9 });
      first.setOptions("google", { issParameter: false });
      await first.close();
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
      // The emulators' own fake tokens, but tokens still: nothing else may read the file.
      expect(readFileSync(file, "utf8")).toContain(connected.slack.access);

      const second = open();
      expect(second.state().providers.hubspot.fault).toEqual({ mode: "rate_limited", retryAfterSeconds: 9 });
      expect(second.state().providers.google.options).toEqual({ issParameter: false });
      expect(second.state().providers.slack.options).toEqual({ rotateRefreshTokens: true });
      second.setFault("hubspot", { mode: "ok" });
      for (const provider of SANDBOX_PROVIDERS) {
        const d = drivers[provider];
        const tokens = connected[provider];
        await d.expect.probeOk(await d.probe(tokens.access, tokens));
        const refreshed = await d.refresh(tokens.refresh!);
        expect(refreshed.status, provider).toBe(200);
        const next = d.tokens(await refreshed.json());
        await d.expect.probeOk(await d.probe(next.access, tokens));
      }
      expect(second.stats("hubspot").tokenRequests.refresh_token).toBe(1);
    });
  });

  it("revocations, used codes and resets survive too; a consent page does not", async () => {
    await withStateFile(async (open) => {
      const first = open();
      const kept = await connect("hubspot");
      const revoked = await connect("hubspot");
      await drivers.hubspot.revoke(revoked.tokens);
      const page = await openConsent("google", drivers.google.authorizeParams());
      await first.close();

      open();
      await drivers.hubspot.expect.probeOk(await drivers.hubspot.probe(kept.tokens.access));
      await expectReply(await drivers.hubspot.probe(revoked.tokens.access), drivers.hubspot.expect.revoked);
      await expectReply(await drivers.hubspot.exchange(kept.code), drivers.hubspot.expect.badCode);
      expect((await submitConsent("google", page.consentId!, "allow", drivers.google.ticked())).status).toBe(400);

      sandbox.reset();
      await sandbox.close();
      open();
      await expectReply(await drivers.hubspot.probe(kept.tokens.access), drivers.hubspot.expect.revoked);
    });
  });

  it("leaves out what has been dead for a day: revoked grants, long-expired access tokens", async () => {
    await withStateFile(async (open, file) => {
      const first = open();
      const live = await connect("hubspot");
      const revoked = await connect("hubspot");
      await drivers.hubspot.revoke(revoked.tokens);
      await first.close();
      let saved = readFileSync(file, "utf8");
      expect(saved).toContain(revoked.tokens.refresh);

      clock += 25 * 60 * 60 * 1000;
      const second = open();
      second.setFault("slack", { mode: "ok" });
      await second.close();
      saved = readFileSync(file, "utf8");
      expect(saved).not.toContain(revoked.tokens.refresh);
      expect(saved).not.toContain(revoked.tokens.access);
      expect(saved).not.toContain(live.tokens.access);
      expect(saved).toContain(live.tokens.refresh);

      open();
      // The refresh token of the live grant still works; the revoked one is refused as before.
      expect((await drivers.hubspot.refresh(live.tokens.refresh!)).status).toBe(200);
      await expectReply(await drivers.hubspot.refresh(revoked.tokens.refresh!), drivers.hubspot.expect.badRefresh);
    });
  });

  it("an unreadable file is reported and ignored; a file others can read is narrowed to 0600 with a warning", async () => {
    const file = join(dir, "sandbox-state.json");
    writeFileSync(file, "{not json", { mode: 0o644 });
    chmodSync(file, 0o644);
    let logged = "";
    const logger = createLogger({ level: "warn", destination: new Writable({ write: (chunk, _e, done) => ((logged += chunk.toString()), done()) }) });
    const opened = createSandbox({ publicUrl: base, now: () => clock, stateFile: file, logger });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(logged).toContain("open to other users");
    expect(logged).toContain("ignored the sandbox state file");
    expect(opened.state().providers.slack.fault.mode).toBe("ok");
    opened.setFault("slack", { mode: "server_error" });
    await opened.close();
    expect(JSON.parse(readFileSync(file, "utf8")).providers.slack.fault).toEqual({ mode: "server_error" });
  });

  it("saves shortly after a change without being asked; a burst of changes ends in the last state", async () => {
    await withStateFile(async (open, file) => {
      const first = open();
      for (let i = 0; i < 20; i++) first.setFault("slack", { mode: "slow", delayMs: i });
      expect(existsSync(file)).toBe(false);
      const deadline = Date.now() + 5_000;
      while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(JSON.parse(readFileSync(file, "utf8")).providers.slack.fault).toEqual({ mode: "slow", delayMs: 19 });
    });
  });
});

describe("routing and hygiene", () => {
  it("leaves other paths to the app and answers unknown sandbox paths with 404 JSON", async () => {
    expect(await (await fetch(`${base}/api/integrations`)).text()).toBe("not the sandbox");
    expect(await (await fetch(`${base}/sandboxes`)).text()).toBe("not the sandbox");
    for (const path of ["/sandbox/nope", "/sandbox/slack/api/conversations.history", "/sandbox/google/v2/userinfo"]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: "not_found" });
    }
    const wrongMethod = await fetch(sb("google", "/token"));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
  });

  it("a slow request aborted by the client leaves no timer behind", async () => {
    const { tokens } = await connect("google");
    sandbox.setFault("google", { mode: "slow", delayMs: 60_000 });
    const timers = trackSandboxTimers();
    try {
      await expect(fetch(sb("google", "/v1/userinfo"), { headers: { authorization: `Bearer ${tokens.access}` }, signal: AbortSignal.timeout(100) })).rejects.toThrow();
      expect(await waitForIdle()).toBe(0);
    } finally {
      timers.restore();
    }
    expect(timers.started()).toBe(1);
    expect(timers.pending()).toBe(0);
  });

  it("a client that disconnects mid-body is dropped quietly", async () => {
    logs = "";
    const socket = connectSocket(Number(new URL(base).port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(`POST /sandbox/google/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ncode=abc`);
    for (let i = 0; i < 100 && inflight === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(inflight).toBe(1);
    socket.destroy();
    expect(await waitForIdle()).toBe(0);
    expect(logs).not.toContain("sandbox handler failed");
  });

  it("never writes tokens, codes or secrets to the log", async () => {
    logs = "";
    const secrets: string[] = [];
    for (const provider of SANDBOX_PROVIDERS) {
      drivers[provider].enableRefresh?.();
      const { code, tokens } = await connect(provider);
      secrets.push(code, tokens.access, tokens.refresh ?? "", client(provider).clientSecret);
      await drivers[provider].refresh(tokens.refresh!);
      await drivers[provider].revoke(tokens);
    }
    sandbox.setFault("slack", { mode: "revoked" });
    expect(logs).toContain("sandbox consent approved");
    for (const value of secrets.filter(Boolean)) expect(logs).not.toContain(value);
  });
});
