import { createHash, randomBytes } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { SANDBOX_PROVIDERS, sandboxClient, sandboxEndpoints, type SandboxProviderId } from "../../api/src/sandbox/catalog.ts";
import { consent } from "../support/sandbox-consent.ts";
import { connectAcme, connectSandbox, signUp } from "./support/flows.ts";

// Issue 6 "Secrets", browser side: after connecting every provider, testing them, creating an
// API key and a webhook endpoint, nothing the browser receives or keeps — any page's HTML as
// rendered and as served, any response body or header, any WebSocket frame, storage, cookies
// readable by scripts, the console — contains a provider token, an authorization code, a
// client secret, or (after its one-time display) the API key or webhook signing secret.
//
// Where the secrets come from:
// - the OIDC server (tests/support/run-oidc-server.ts) reports every access, refresh and ID
//   token and every authorization code it issued, and how each userinfo request carried its
//   access token (GET /__test/record);
// - the sandbox's client secrets come from its catalog (api/src/sandbox/catalog.ts), the OIDC
//   client secret from the OIDC server itself;
// - authorization codes of the sandbox flows are read from the browser's callback requests;
// - the sandbox keeps its issued tokens in process memory with no way to list them, so they
//   are searched by the formats the emulators issue. The spec mints one real grant per sandbox
//   provider through the same emulator and asserts the formats match its tokens, so a format
//   change cannot make this search silently pass.

const OIDC_ORIGIN = `http://127.0.0.1:${Number(process.env.E2E_OIDC_PORT ?? 4499)}`;
const CALLBACK_PATH = "/api/integrations/oauth/callback/";
const SANDBOX_NAMES: Record<SandboxProviderId, string> = { slack: "Slack", hubspot: "HubSpot", google: "Google", salesforce: "Salesforce" };

type OidcRecord = {
  clientId: string;
  clientSecret: string;
  issuedTokens: string[];
  issuedCodes: string[];
  resourceRequests: { method: string; status: number; authorizationHeader: boolean; bearer: string | null; inQuery: boolean; inBody: boolean }[];
};

async function oidcRecord(): Promise<OidcRecord> {
  const res = await fetch(`${OIDC_ORIGIN}/__test/record`);
  expect(res.status).toBe(200);
  return (await res.json()) as OidcRecord;
}

/** The formats the sandbox emulators issue tokens in (api/src/sandbox/{slack,hubspot,google,salesforce}.ts). */
const SANDBOX_TOKEN_FORMATS: { label: string; re: RegExp }[] = [
  { label: "Slack token", re: /xox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]{20,}/ },
  { label: "Google access token", re: /ya29\.a0[A-Za-z0-9_-]{40,}/ },
  { label: "Google refresh token", re: /1\/\/0[A-Za-z0-9_-]{40,}/ },
  { label: "HubSpot access token", re: /CN[A-Za-z0-9_-]{100,}/ },
  { label: "HubSpot refresh token", re: /na1-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/ },
  { label: "Salesforce access token", re: /00D[A-Za-z0-9]{12}!AQ[A-Za-z0-9._-]{40,}/ },
  { label: "Salesforce refresh token", re: /5Aep861[A-Za-z0-9]{40,}/ },
  // ID tokens (the sandbox's Google/Salesforce and oidc-provider's) are JWTs.
  { label: "JWT (ID token)", re: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/ },
];

/** Every secret value to look for, with what it is; `oneTime` ones may appear only in their one-time display. */
class Secrets {
  readonly exact = new Map<string, { label: string; oneTime: boolean }>();
  add(label: string, value: string | null | undefined, oneTime = false) {
    if (!value) return;
    expect(value.length, `${label} is too short to search for`).toBeGreaterThanOrEqual(8);
    this.exact.set(value, { label, oneTime });
  }
  /** What of it `text` contains: exact values (plain, URL- or JSON-encoded) and sandbox token formats. */
  find(text: string, { allowOneTime = false } = {}): string[] {
    const found: string[] = [];
    for (const [value, { label, oneTime }] of this.exact) {
      if (oneTime && allowOneTime) continue;
      const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
      if ([...forms].some((form) => text.includes(form))) found.push(label);
    }
    for (const { label, re } of SANDBOX_TOKEN_FORMATS) {
      const m = re.exec(text);
      if (m) found.push(`${label} (format match: ${m[0].slice(0, 12)}…)`);
    }
    return found;
  }
}

/** One thing the browser received or kept, with where it came from. */
type Artifact = { where: string; text: string; allowOneTime?: boolean };

/** Records every request the browser sends: URL, headers, body. */
function recordRequests(page: Page) {
  const artifacts: Artifact[] = [];
  const pending: Promise<void>[] = [];
  const unreadable: string[] = [];
  const callbackUrls: string[] = [];
  const requestUrls: string[] = [];
  const push = (where: string, text: string | null | undefined, extra: Partial<Artifact> = {}) => {
    if (text) artifacts.push({ where, text, ...extra });
  };

  page.on("request", (request) => {
    const url = new URL(request.url());
    requestUrls.push(request.url());
    // The provider's redirect back to the callback carries the code by design (RFC 6749 §4.1.2);
    // everything after it must not.
    if (url.pathname.startsWith(CALLBACK_PATH)) callbackUrls.push(request.url());
    else push(`request URL ${request.url()}`, request.url());
    push(`request headers ${request.method()} ${url.pathname}`, JSON.stringify(request.headers()));
    push(`request body ${request.method()} ${url.pathname}`, request.postData());
  });
  return { artifacts, pending, unreadable, callbackUrls, requestUrls, push };
}

/**
 * Response headers and bodies, read through the DevTools protocol's Fetch domain at the
 * response stage: each response is held until its body has been read, then passed on
 * unchanged. Reading bodies after the fact (Playwright's response.body()) loses the ones whose
 * page navigated away right after, such as the sign-up answer.
 */
async function recordResponses(page: Page, recorder: Recorder) {
  const { push, pending, unreadable } = recorder;
  const isProvider = (url: URL) => url.origin === OIDC_ORIGIN || url.pathname.startsWith("/sandbox/");
  const cdp = await page.context().newCDPSession(page);
  cdp.on("Fetch.requestPaused", (event) => {
    pending.push(
      (async () => {
        try {
          const url = new URL(event.request.url);
          // A request that failed (here: the OIDC login page's web font; no internet) received nothing.
          if (event.responseErrorReason || event.responseStatusCode === undefined) return;
          const status = event.responseStatusCode;
          // The provider's redirect back to the callback carries the code by design.
          const headers = (event.responseHeaders ?? []).filter((h) => !(isProvider(url) && h.name.toLowerCase() === "location"));
          push(`response headers ${status} ${url.pathname}`, JSON.stringify(headers));
          if (status >= 300 && status < 400) return;
          let operation: string | undefined;
          try {
            operation = (JSON.parse(event.request.postData ?? "null") as { operationName?: string } | null)?.operationName;
          } catch {}
          // The one response that shows a new API key or signing secret once.
          const allowOneTime = operation === "CreateApiKey" || operation === "CreateWebhookEndpoint";
          try {
            const { body, base64Encoded } = await cdp.send("Fetch.getResponseBody", { requestId: event.requestId });
            push(`response body ${status} ${url.pathname}${operation ? ` (${operation})` : ""}`, base64Encoded ? Buffer.from(body, "base64").toString("utf8") : body, {
              allowOneTime,
            });
          } catch (error) {
            // A request the page cancelled while it was held here: nothing reached the page.
            if (/Invalid InterceptionId/.test(String(error))) return;
            unreadable.push(`${status} ${event.request.url}: ${String(error).split("\n")[0]}`);
          }
        } finally {
          await cdp.send("Fetch.continueRequest", { requestId: event.requestId }).catch(() => {});
        }
      })(),
    );
  });
  await cdp.send("Fetch.enable", { patterns: [{ urlPattern: "*", requestStage: "Response" }] });
}

/** Frames, console messages and page errors. */
function recordPageEvents(page: Page, { push }: Recorder) {
  page.on("websocket", (ws) => {
    ws.on("framereceived", (frame) => push(`WebSocket frame received ${ws.url()}`, String(frame.payload)));
    ws.on("framesent", (frame) => push(`WebSocket frame sent ${ws.url()}`, String(frame.payload)));
  });
  page.on("console", (message) => push(`console.${message.type()} at ${page.url()}`, message.text()));
  page.on("pageerror", (error) => push(`page error at ${page.url()}`, `${error.message}\n${error.stack ?? ""}`));
}

type Recorder = ReturnType<typeof recordRequests>;

/** Waits for every body read so far, including ones started while waiting. */
async function settled({ pending }: Recorder) {
  for (let seen = -1; seen !== pending.length; ) {
    seen = pending.length;
    await Promise.allSettled(pending);
  }
}

/** What a page shows and keeps, as the browser has it: the DOM, storage, cookies scripts can read. */
async function snapshotPage(page: Page, label: string, push: (where: string, text: string) => void) {
  await page.waitForLoadState("networkidle").catch(() => {});
  push(`${label}: page URL`, page.url());
  push(`${label}: page.content()`, await page.content());
  const kept = await page.evaluate(() => {
    const dump = (s: Storage) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => s.key(i)!).map((k) => [k, s.getItem(k)]));
    return { localStorage: dump(localStorage), sessionStorage: dump(sessionStorage), cookie: document.cookie };
  });
  push(`${label}: localStorage`, JSON.stringify(kept.localStorage));
  push(`${label}: sessionStorage`, JSON.stringify(kept.sessionStorage));
  push(`${label}: document.cookie`, kept.cookie);
  return kept;
}

/** The server-rendered HTML of a fresh request with the browser's cookies (redirects followed). */
async function rawHtml(page: Page, path: string, push: (where: string, text: string) => void) {
  const response = await page.request.get(path);
  push(`raw HTML ${path} (${response.status()} ${new URL(response.url()).pathname})`, await response.text());
  push(`raw HTML headers ${path}`, JSON.stringify(response.headers()));
  return response;
}

/**
 * A grant of the sandbox emulator's own, minted outside the browser from the authorization URL
 * the app built (fresh state and PKCE pair), so the token formats are checked against real
 * tokens of the running emulator.
 */
async function mintSandboxGrant(provider: SandboxProviderId, appAuthorizationUrl: string, origin: string): Promise<string[]> {
  const url = new URL(appAuthorizationUrl);
  url.searchParams.set("state", randomBytes(16).toString("base64url"));
  let verifier: string | undefined;
  if (url.searchParams.has("code_challenge")) {
    verifier = randomBytes(32).toString("base64url");
    url.searchParams.set("code_challenge", createHash("sha256").update(verifier).digest("base64url"));
    url.searchParams.set("code_challenge_method", "S256");
  }
  const back = await consent(url.href, { origin });
  const code = back.searchParams.get("code");
  expect(code, `${provider} consent gave no code: ${back.href}`).toBeTruthy();
  const client = sandboxClient(provider);
  const form = new URLSearchParams({ grant_type: "authorization_code", code: code!, client_id: client.clientId, client_secret: client.clientSecret });
  const redirectUri = url.searchParams.get("redirect_uri");
  if (redirectUri) form.set("redirect_uri", redirectUri);
  if (verifier) form.set("code_verifier", verifier);
  const res = await fetch(sandboxEndpoints(origin)[provider].tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: form.toString(),
  });
  const body = (await res.json()) as Record<string, unknown>;
  const tokens: string[] = [];
  const walk = (value: unknown, key = "") => {
    if (typeof value === "string" && /(^|_)token$/.test(key)) tokens.push(value);
    else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(body);
  expect(tokens.length, `${provider} token response: ${res.status} ${Object.keys(body).join(",")}`).toBeGreaterThan(0);
  return tokens;
}

test("no page, response, frame, storage or console message holds a token or secret in use", async ({ page, context, baseURL }) => {
  test.setTimeout(600_000);
  const origin = baseURL!;
  const secrets = new Secrets();
  const browser = recordRequests(page);
  await recordResponses(page, browser);
  recordPageEvents(page, browser);
  const { push } = browser;

  // Sign up, connect every provider, test each connection.
  await signUp(page, { name: "Sasha Secrets", tag: "secrets" });
  const cards = [];
  for (const provider of SANDBOX_PROVIDERS) cards.push(await connectSandbox(page, SANDBOX_NAMES[provider]));
  cards.push(await connectAcme(page));
  for (const card of cards) {
    await card.getByRole("button", { name: "Test connection" }).click();
    await expect(card.getByText(/Test result: Healthy/)).toBeVisible();
  }
  await snapshotPage(page, "dashboard after connecting and testing everything", push);
  const integrationIds: string[] = [];
  for (const card of cards) {
    const href = await card.getByRole("link", { name: /History and uptime/ }).getAttribute("href");
    integrationIds.push(/\/dashboard\/integrations\/([^/?#]+)$/.exec(href ?? "")![1]!);
  }

  // An API key and a webhook endpoint: each shown once. The display itself is the scanner's
  // positive control: the same search must find the secret there.
  await page.goto("/settings/api-keys");
  await page.getByLabel("Name").fill("secrets-key");
  await page.getByRole("button", { name: "Create key" }).click();
  const apiKey = (await page.getByLabel("New API key", { exact: true }).textContent())!.trim();
  expect(apiKey).toMatch(/^sb_/);
  secrets.add("API key", apiKey, true);
  expect(secrets.find(await page.content())).toContain("API key");
  // The example request beside it works as written, with the key in its header.
  const example = (await page.getByLabel("Example request", { exact: true }).textContent())!.trim();
  expect(example).toContain(`authorization: Bearer ${apiKey}`);
  const [, url, query] = /^curl -s (\S+) .* -d '(.+)'$/.exec(example)!;
  // Sent from the test process, as a terminal would (not through the browser being scanned).
  const answer = await fetch(url!, { method: "POST", headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" }, body: query! });
  expect(answer.status).toBe(200);
  expect(((await answer.json()) as { data: { viewer: { role: string } } }).data.viewer.role).toBe("OWNER");
  await page.getByRole("button", { name: "I have saved it" }).click();
  await expect(page.getByLabel("New API key", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("row").filter({ hasText: "secrets-key" })).toBeVisible();
  await snapshotPage(page, "API keys after the one-time display", push);

  await page.goto("/settings/webhooks");
  await page.getByLabel("URL").fill(`${origin}/healthz`);
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const signingSecret = (await page.getByLabel("Signing secret", { exact: true }).textContent())!.trim();
  secrets.add("webhook signing secret", signingSecret, true);
  expect(secrets.find(await page.content())).toContain("webhook signing secret");
  await page.getByRole("button", { name: "I have saved it" }).click();
  await expect(page.getByLabel("Signing secret", { exact: true })).toHaveCount(0);
  await page.getByRole("button", { name: "Send test event" }).click();
  await expect(page.getByRole("row").filter({ hasText: "webhook.test" })).toBeVisible();
  await snapshotPage(page, "webhooks after the one-time display and a test delivery", push);

  // Every page of the app, signed in, as the browser renders it and as the server sends it.
  const missing = "00000000-0000-0000-0000-000000000000";
  const signedIn = [
    "/",
    "/login",
    "/signup",
    "/dashboard",
    "/dashboard/integrations",
    ...integrationIds.map((id) => `/dashboard/integrations/${id}`),
    `/dashboard/integrations/${missing}`,
    "/settings",
    "/settings/api-keys",
    "/settings/webhooks",
    "/settings/members",
    "/settings/audit-log",
    "/no-such-page",
    // Where the OAuth routes send the browser back to.
    "/dashboard/integrations?connected=acme",
    "/dashboard/integrations?error=access_denied&provider=google",
    `/dashboard/integrations/${integrationIds[0]}?connected=slack`,
    "/api/integrations/oauth/authorize?provider=no-such-provider",
    "/sandbox",
  ];
  for (const path of signedIn) {
    await page.goto(path);
    await snapshotPage(page, `signed in ${path}`, push);
    await rawHtml(page, path, push);
  }
  // A detail page's own test, so its steps and result are on the page too.
  await page.goto(`/dashboard/integrations/${integrationIds.at(-1)}`);
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByText(/Test result: Healthy, \d+ ms/)).toBeVisible();
  await snapshotPage(page, "Acme ID detail after a test", push);

  // A replayed callback with a real (already used) authorization code and a forged state: the
  // page it ends on must not echo the code.
  const acmeCallback = browser.callbackUrls.find((u) => u.includes(`${CALLBACK_PATH}acme?`))!;
  expect(acmeCallback).toBeTruthy();
  const replay = new URL(acmeCallback);
  replay.searchParams.set("state", "forged-state-value");
  await page.goto(replay.pathname + replay.search);
  await expect(page).toHaveURL(/\/dashboard\/integrations\?error=invalid_state|\/dashboard\/integrations$/);
  await snapshotPage(page, "after a replayed callback", push);

  // The session cookie is not readable by scripts; no cookie holds a provider secret.
  const cookies = await context.cookies();
  const session = cookies.find((c) => /session_token/.test(c.name));
  expect(session, `cookies: ${cookies.map((c) => c.name).join(", ")}`).toBeTruthy();
  expect(session!.httpOnly).toBe(true);
  const readable = await page.evaluate(() => document.cookie);
  expect(readable).not.toContain(session!.value);
  push("all cookies of the context (httpOnly included)", JSON.stringify(cookies));

  // Signed out: the public pages and where the app pages and the callback send a stranger.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
  const signedOut = ["/", "/login", "/signup", "/dashboard/integrations", `/dashboard/integrations/${integrationIds[0]}`, "/settings/api-keys", "/no-such-page", replay.pathname + replay.search];
  for (const path of signedOut) {
    await page.goto(path);
    await snapshotPage(page, `signed out ${path}`, push);
    await rawHtml(page, path, push);
  }

  // The secrets in use, from the real parts.
  for (const provider of SANDBOX_PROVIDERS) secrets.add(`${provider} client secret`, sandboxClient(provider).clientSecret);
  const record = await oidcRecord();
  secrets.add("acme client secret", record.clientSecret);
  expect(record.issuedTokens.length).toBeGreaterThanOrEqual(2); // at least an access token and a refresh or ID token
  record.issuedTokens.forEach((token, i) => secrets.add(`acme issued token #${i + 1}`, token));
  record.issuedCodes.forEach((code, i) => secrets.add(`acme authorization code #${i + 1}`, code));
  expect(browser.callbackUrls.length).toBeGreaterThanOrEqual(SANDBOX_PROVIDERS.length + 1);
  for (const url of browser.callbackUrls) {
    const parsed = new URL(url);
    const code = parsed.searchParams.get("code");
    const provider = parsed.pathname.slice(CALLBACK_PATH.length);
    expect(code, `callback without a code: ${parsed.pathname}`).toBeTruthy();
    secrets.add(`${provider} authorization code`, code);
    // The codes the browser carried are the ones the issuer reports: the record is real.
    if (provider === "acme") expect(record.issuedCodes).toContain(code);
  }

  // The sandbox formats match real tokens of the running emulators.
  for (const provider of SANDBOX_PROVIDERS) {
    const authorizePath = new URL(sandboxEndpoints(origin)[provider].authorizationUrl).pathname;
    const appUrl = browser.requestUrls.find((u) => new URL(u).pathname === authorizePath);
    expect(appUrl, `no ${provider} authorization request seen`).toBeTruthy();
    for (const token of await mintSandboxGrant(provider, appUrl!, origin)) {
      expect(secrets.find(token), `a ${provider} token the sandbox issued escapes the format search: ${token.slice(0, 10)}…`).not.toEqual([]);
    }
  }

  // Tokens travel only in the Authorization header: every userinfo call the app made to the
  // OIDC server (on connect, the card's test, the detail page's test, scheduled checks).
  const latest = await oidcRecord();
  const calls = latest.resourceRequests;
  expect(calls.length).toBeGreaterThanOrEqual(3);
  for (const call of calls) {
    expect(call, JSON.stringify(call)).toMatchObject({ authorizationHeader: true, inQuery: false, inBody: false, status: 200 });
    expect(latest.issuedTokens).toContain(call.bearer);
  }
  latest.issuedTokens.forEach((token, i) => secrets.add(`acme issued token #${i + 1}`, token));

  // Everything the browser received or kept, searched for every secret.
  await settled(browser);
  expect(browser.unreadable, "response bodies the browser received but the test could not read").toEqual([]);
  const leaks: string[] = [];
  for (const artifact of browser.artifacts) {
    for (const what of secrets.find(artifact.text, { allowOneTime: artifact.allowOneTime })) leaks.push(`${what} in ${artifact.where}`);
  }
  // The recorder saw the one-time displays (so it did read the mutation responses) …
  const oneTimeResponses = browser.artifacts.filter((a) => a.allowOneTime);
  expect(oneTimeResponses.map((a) => secrets.find(a.text).filter((s) => s === "API key" || s === "webhook signing secret")).flat().sort()).toEqual(["API key", "webhook signing secret"]);
  // … and found nothing anywhere else.
  expect(leaks, `${browser.artifacts.length} artifacts searched`).toEqual([]);
  test.info().annotations.push({
    type: "scanned",
    description: `${browser.artifacts.length} artifacts, ${secrets.exact.size} exact secrets, ${SANDBOX_TOKEN_FORMATS.length} token formats, ${calls.length} userinfo calls`,
  });
});
