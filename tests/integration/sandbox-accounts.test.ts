import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../api/src/logger.ts";
import { createSandbox, sandboxClient, sandboxEndpoints, type Sandbox, type SandboxProviderId } from "../../api/src/sandbox/index.ts";
import { accountOptions, consent } from "../support/sandbox-consent.ts";

// Several accounts per provider: the consent page's account picker (Slack's workspace picker,
// Google's and HubSpot's account choosers), and every identity answer of the emulators naming the
// account chosen there, over real HTTP as the app and a browser use them.

let sandbox: Sandbox;
let server: Server;
let base = "";

beforeAll(async () => {
  server = createServer(async (req, res) => {
    if (!(await sandbox.handle(req, res))) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not the sandbox");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sandbox = createSandbox({ publicUrl: base, logger: createLogger({ level: "silent" }) });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => sandbox.reset());

const sb = (provider: SandboxProviderId, path: string) => `${base}/sandbox/${provider}${path}`;
const callback = (provider: SandboxProviderId) => `${base}/api/integrations/oauth/callback/${provider}`;
const client = (provider: SandboxProviderId) => sandboxClient(provider);
const form = (url: string, body: Record<string, string>) => fetch(url, { method: "POST", body: new URLSearchParams(body) });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const pkce = (() => {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
})();

const authorizeUrl: Record<"slack" | "hubspot" | "google" | "salesforce", (extra?: Record<string, string>) => string> = {
  slack: (extra = {}) => `${sandboxEndpoints(base).slack.authorizationUrl}?${new URLSearchParams({ client_id: client("slack").clientId, scope: "team:read,chat:write", redirect_uri: callback("slack"), state: "st", ...extra })}`,
  hubspot: (extra = {}) =>
    `${sandboxEndpoints(base).hubspot.authorizationUrl}?${new URLSearchParams({ client_id: client("hubspot").clientId, scope: "oauth", redirect_uri: callback("hubspot"), state: "st", ...extra })}`,
  google: (extra = {}) =>
    `${sandboxEndpoints(base).google.authorizationUrl}?${new URLSearchParams({
      client_id: client("google").clientId,
      redirect_uri: callback("google"),
      response_type: "code",
      scope: "openid email profile",
      access_type: "offline",
      state: "st",
      code_challenge: pkce.challenge,
      code_challenge_method: "S256",
      ...extra,
    })}`,
  salesforce: (extra = {}) =>
    `${sandboxEndpoints(base).salesforce.authorizationUrl}?${new URLSearchParams({ client_id: client("salesforce").clientId, redirect_uri: callback("salesforce"), response_type: "code", scope: "api refresh_token", state: "st", ...extra })}`,
};

const exchange: Record<"slack" | "hubspot" | "google", (code: string) => Promise<Response>> = {
  slack: (code) => form(sb("slack", "/api/oauth.v2.access"), { code, redirect_uri: callback("slack"), client_id: client("slack").clientId, client_secret: client("slack").clientSecret }),
  hubspot: (code) => form(sb("hubspot", "/oauth/v3/token"), { grant_type: "authorization_code", code, redirect_uri: callback("hubspot"), client_id: client("hubspot").clientId, client_secret: client("hubspot").clientSecret }),
  google: (code) =>
    form(sb("google", "/token"), { grant_type: "authorization_code", code, redirect_uri: callback("google"), client_id: client("google").clientId, client_secret: client("google").clientSecret, code_verifier: pkce.verifier }),
};

/** Consent as a person would (choosing `account` by its name, or keeping the default), then the token response. */
async function connect(provider: "slack" | "hubspot" | "google", account?: string, extra?: Record<string, string>) {
  const back = await consent(authorizeUrl[provider](extra), { origin: base, ...(account !== undefined ? { account } : {}) });
  const code = back.searchParams.get("code");
  expect(code, back.toString()).toBeTruthy();
  const res = await exchange[provider](code!);
  expect(res.status).toBe(200);
  return { redirect: back, tokens: (await res.json()) as any };
}

async function page(url: string) {
  const res = await fetch(url, { redirect: "manual" });
  expect(res.status).toBe(200);
  const html = await res.text();
  return { html, consentId: /name="consent" value="([^"]+)"/.exec(html)![1]! };
}

function post(provider: SandboxProviderId, fields: Record<string, string>) {
  return fetch(sb(provider, "/_consent"), { method: "POST", body: new URLSearchParams(fields), redirect: "manual", headers: { origin: base } });
}

describe("the consent page's account picker", () => {
  it.each([
    { provider: "slack" as const, label: "Workspace", names: ["Acme Sandbox", "Globex Sandbox"] },
    { provider: "hubspot" as const, label: "Account", names: ["Acme Sandbox", "Globex Sandbox"] },
    { provider: "google" as const, label: "Account", names: ["Sandy Example", "Sam Globex"] },
  ])("$provider: a <select> labelled $label, inside the form, the accounts' names as options, the first selected", async ({ provider, label, names }) => {
    const { html } = await page(authorizeUrl[provider]());
    expect(html).toContain(`<label for="account">${label}</label>`);
    const form = html.slice(html.indexOf("<form"), html.indexOf("</form>"));
    expect(form).toContain('<select id="account" name="account">');
    const picker = accountOptions(html);
    expect(picker.options.map((o) => o.name)).toEqual(names);
    expect(picker.selected).toBe(picker.options[0]!.value);
    expect(html.match(/<option [^>]*selected/g)).toHaveLength(1);
  });

  it("Salesforce has no picker: its org comes from the login host", async () => {
    const { html } = await page(authorizeUrl.salesforce());
    expect(html).not.toContain("<select");
    expect(accountOptions(html).options).toEqual([]);
  });

  it("an account the page did not offer is refused with a 400 page, and no code is issued", async () => {
    for (const provider of ["slack", "hubspot", "google", "salesforce"] as const) {
      const { consentId } = await page(authorizeUrl[provider]());
      const res = await post(provider, { consent: consentId, decision: "allow", account: "T0NOTOURS" });
      expect(res.status, provider).toBe(400);
      expect(res.headers.get("location")).toBeNull();
      const html = await res.text();
      expect(html).toContain("Unknown account");
    }
    // The value must be one of the keys, not a name and not empty.
    for (const account of ["Globex Sandbox", ""]) {
      const { consentId } = await page(authorizeUrl.slack());
      expect((await post("slack", { consent: consentId, decision: "allow", account })).status).toBe(400);
    }
  });

  it("a form without the field (a client that predates the picker) gets the default account", async () => {
    const { consentId } = await page(authorizeUrl.slack());
    const res = await post("slack", { consent: consentId, decision: "allow", scope: "team:read" });
    expect(res.status).toBe(303);
    const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
    expect((await (await exchange.slack(code)).json()).team).toEqual({ name: "Acme Sandbox", id: "T0SANDBOX" });
  });

  it("the consent helper keeps the default unless told, and refuses a name the page does not offer", async () => {
    await expect(consent(authorizeUrl.slack(), { origin: base, account: "Initech Sandbox" })).rejects.toThrow(/no account "Initech Sandbox".*Acme Sandbox, Globex Sandbox/);
  });
});

describe("Slack: the workspace chosen", () => {
  it("oauth.v2.access, auth.test and team.info name the second workspace; the first stays the default", async () => {
    const globex = await connect("slack", "Globex Sandbox");
    expect(globex.tokens).toMatchObject({ ok: true, team: { name: "Globex Sandbox", id: "T0GLOBEX" }, bot_user_id: "U0GLXBOT", authed_user: { id: "U0GLXSANDY" } });
    const acme = await connect("slack");
    expect(acme.tokens).toMatchObject({ ok: true, team: { name: "Acme Sandbox", id: "T0SANDBOX" }, bot_user_id: "U0SANDBOT", authed_user: { id: "U0SANDY" } });

    const test = async (token: string) => (await fetch(sb("slack", "/api/auth.test"), { method: "POST", headers: bearer(token) })).json();
    expect(await test(globex.tokens.access_token)).toMatchObject({
      ok: true,
      url: "https://globex-sandbox.slack.com/",
      team: "Globex Sandbox",
      team_id: "T0GLOBEX",
      user_id: "U0GLXBOT",
      bot_id: "B0GLXBOT",
    });
    expect(await test(acme.tokens.access_token)).toMatchObject({ ok: true, url: "https://acme-sandbox.slack.com/", team: "Acme Sandbox", team_id: "T0SANDBOX", user_id: "U0SANDBOT", bot_id: "B0SANDBOT" });

    const info = async (token: string) => (await (await fetch(sb("slack", "/api/team.info"), { headers: bearer(token) })).json()).team;
    expect(await info(globex.tokens.access_token)).toMatchObject({ id: "T0GLOBEX", name: "Globex Sandbox", domain: "globex-sandbox", url: "https://globex-sandbox.slack.com/" });
    expect(await info(acme.tokens.access_token)).toMatchObject({ id: "T0SANDBOX", name: "Acme Sandbox", domain: "acme-sandbox", url: "https://acme-sandbox.slack.com/" });

    // The Globex bot posts as itself.
    const posted = await (await fetch(sb("slack", "/api/chat.postMessage"), { method: "POST", headers: { ...bearer(globex.tokens.access_token), "content-type": "application/json" }, body: JSON.stringify({ channel: "#alerts", text: "hi" }) })).json();
    expect(posted).toMatchObject({ ok: true, message: { bot_id: "B0GLXBOT", user: "U0GLXBOT" } });
  });

  it("a refresh (rotation) keeps the workspace", async () => {
    sandbox.setOptions("slack", { rotateRefreshTokens: true });
    const globex = await connect("slack", "Globex Sandbox");
    const res = await form(sb("slack", "/api/oauth.v2.access"), { grant_type: "refresh_token", refresh_token: globex.tokens.refresh_token, client_id: client("slack").clientId, client_secret: client("slack").clientSecret });
    const refreshed = await res.json();
    expect(refreshed).toMatchObject({ ok: true, team: { id: "T0GLOBEX", name: "Globex Sandbox" }, bot_user_id: "U0GLXBOT" });
    expect(await (await fetch(sb("slack", "/api/auth.test"), { method: "POST", headers: bearer(refreshed.access_token) })).json()).toMatchObject({ team_id: "T0GLOBEX" });
  });

  it("incoming webhooks exist for either workspace; another team's path is no_service", async () => {
    const hook = async (path: string) => {
      const res = await fetch(sb("slack", path), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "hello" }) });
      return [res.status, await res.text()];
    };
    expect(await hook("/services/T0SANDBOX/B0SANDBOX/secret")).toEqual([200, "ok"]);
    expect(await hook("/services/T0GLOBEX/B0GLOBEX/secret")).toEqual([200, "ok"]);
    expect(await hook("/services/T0INITECH/B0X/secret")).toEqual([404, "no_service"]);
  });
});

describe("HubSpot: the account (portal) chosen", () => {
  it("the token response, introspection, v1 token info and account-info name the second portal; the first stays the default", async () => {
    const globex = await connect("hubspot", "Globex Sandbox");
    expect(globex.tokens.hub_id).toBe(40000002);
    const acme = await connect("hubspot");
    expect(acme.tokens.hub_id).toBe(4242);

    const introspect = async (token: string) =>
      (await form(sb("hubspot", "/oauth/v3/token/introspect"), { token, client_id: client("hubspot").clientId, client_secret: client("hubspot").clientSecret })).json();
    expect(await introspect(globex.tokens.access_token)).toMatchObject({
      active: true,
      hub_id: 40000002,
      hub_domain: "globex-sandbox.com",
      user: "sandy@example.com",
      signed_access_token: { hubId: 40000002 },
    });
    expect(await introspect(globex.tokens.refresh_token)).toMatchObject({ active: true, hub_id: 40000002, hub_domain: "globex-sandbox.com", token_use: "refresh_token" });
    expect(await introspect(acme.tokens.access_token)).toMatchObject({ active: true, hub_id: 4242, hub_domain: "acme-sandbox.hubspot.com", user: "sandy@example.com" });

    const v1 = async (token: string) => (await fetch(sb("hubspot", `/oauth/v1/access-tokens/${encodeURIComponent(token)}`))).json();
    expect(await v1(globex.tokens.access_token)).toMatchObject({ hub_id: 40000002, hub_domain: "globex-sandbox.com", user: "sandy@example.com" });
    expect(await (await fetch(sb("hubspot", `/oauth/v1/refresh-tokens/${encodeURIComponent(globex.tokens.refresh_token)}`))).json()).toMatchObject({ hub_id: 40000002, hub_domain: "globex-sandbox.com" });

    const details = async (token: string) => (await fetch(sb("hubspot", "/account-info/v3/details"), { headers: bearer(token) })).json();
    expect(await details(globex.tokens.access_token)).toMatchObject({ portalId: 40000002, uiDomain: "app.hubspot.com" });
    expect(await details(acme.tokens.access_token)).toMatchObject({ portalId: 4242, uiDomain: "app.hubspot.com" });
    expect(await (await fetch(sb("hubspot", "/integrations/v1/me"), { headers: bearer(globex.tokens.access_token) })).json()).toMatchObject({ portalId: 40000002 });

    // A refresh keeps the portal.
    const refreshed = await (
      await form(sb("hubspot", "/oauth/v3/token"), { grant_type: "refresh_token", refresh_token: globex.tokens.refresh_token, client_id: client("hubspot").clientId, client_secret: client("hubspot").clientSecret })
    ).json();
    expect(refreshed.hub_id).toBe(40000002);
  });
});

describe("Google: the account chosen", () => {
  it("userinfo, tokeninfo, the id_token and the redirect name the second user; the first stays the default", async () => {
    const sam = await connect("google", "Sam Globex");
    expect(Object.fromEntries(sam.redirect.searchParams)).toMatchObject({ authuser: "1", hd: "globex.example" });
    const sandy = await connect("google");
    expect(Object.fromEntries(sandy.redirect.searchParams)).toMatchObject({ authuser: "0", hd: "example.com" });

    const userinfo = async (token: string) => (await fetch(sb("google", "/v1/userinfo"), { headers: bearer(token) })).json();
    expect(await userinfo(sam.tokens.access_token)).toMatchObject({ sub: "108000000000000000002", email: "sam@globex.example", name: "Sam Globex", hd: "globex.example" });
    expect(await userinfo(sandy.tokens.access_token)).toMatchObject({ sub: "104242424242424242424", email: "sandy@example.com", name: "Sandy Example", hd: "example.com" });
    expect(await (await fetch(sb("google", "/oauth2/v2/userinfo"), { headers: bearer(sam.tokens.access_token) })).json()).toMatchObject({ id: "108000000000000000002", email: "sam@globex.example" });

    const tokeninfo = await (await fetch(`${sb("google", "/tokeninfo")}?access_token=${encodeURIComponent(sam.tokens.access_token)}`)).json();
    expect(tokeninfo).toMatchObject({ sub: "108000000000000000002", email: "sam@globex.example" });

    const claims = JSON.parse(Buffer.from(sam.tokens.id_token.split(".")[1], "base64url").toString("utf8"));
    expect(claims).toMatchObject({ sub: "108000000000000000002", email: "sam@globex.example", name: "Sam Globex", hd: "globex.example" });

    // A refresh keeps the user.
    const refreshed = await (await form(sb("google", "/token"), { grant_type: "refresh_token", refresh_token: sam.tokens.refresh_token, client_id: client("google").clientId, client_secret: client("google").clientSecret })).json();
    expect(await userinfo(refreshed.access_token)).toMatchObject({ sub: "108000000000000000002" });
  });

  it("remembers consents per user: each one's first offline consent returns a refresh token", async () => {
    expect((await connect("google")).tokens.refresh_token).toBeTruthy();
    // Sandy again without prompt=consent: none (G2), but Sam's first consent does.
    expect((await connect("google")).tokens.refresh_token).toBeUndefined();
    expect((await connect("google", "Sam Globex")).tokens.refresh_token).toBeTruthy();
    expect((await connect("google", "Sam Globex")).tokens.refresh_token).toBeUndefined();
  });

  it("include_granted_scopes adds what the same user granted earlier, not another user's grants", async () => {
    await connect("google", "Sandy Example", { scope: "openid email profile" });
    const sam = await connect("google", "Sam Globex", { scope: "openid", include_granted_scopes: "true" });
    expect(sam.tokens.scope).toBe("openid");
    const sandy = await connect("google", "Sandy Example", { scope: "openid", include_granted_scopes: "true" });
    expect(sandy.tokens.scope.split(" ")).toHaveLength(3);
  });
});

describe("the state file", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sb-sandbox-accounts-"));
    return () => rmSync(dir, { recursive: true, force: true });
  });

  async function withStateFile(fn: (open: () => Sandbox, file: string) => Promise<void>) {
    const original = sandbox;
    const file = join(dir, "sandbox-state.json");
    const opened: Sandbox[] = [];
    const open = () => {
      sandbox = createSandbox({ publicUrl: base, stateFile: file, logger: createLogger({ level: "silent" }) });
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

  it("keeps the chosen account across a restart", async () => {
    await withStateFile(async (open) => {
      const first = open();
      const slack = await connect("slack", "Globex Sandbox");
      const hubspot = await connect("hubspot", "Globex Sandbox");
      const google = await connect("google", "Sam Globex");
      await first.close();
      open();
      expect(await (await fetch(sb("slack", "/api/auth.test"), { method: "POST", headers: bearer(slack.tokens.access_token) })).json()).toMatchObject({ ok: true, team_id: "T0GLOBEX" });
      expect(await (await fetch(sb("hubspot", "/account-info/v3/details"), { headers: bearer(hubspot.tokens.access_token) })).json()).toMatchObject({ portalId: 40000002 });
      expect(await (await fetch(sb("google", "/v1/userinfo"), { headers: bearer(google.tokens.access_token) })).json()).toMatchObject({ sub: "108000000000000000002" });
      // Sam's earlier offline consent is remembered too: no new refresh token without prompt=consent.
      expect((await connect("google", "Sam Globex")).tokens.refresh_token).toBeUndefined();
      expect((await connect("google", "Sandy Example")).tokens.refresh_token).toBeTruthy();
    });
  });

  it("reads a file saved before there were several accounts: its grants and Google's memory are the default account's", async () => {
    await withStateFile(async (open, file) => {
      const first = open();
      const slack = await connect("slack");
      const hubspot = await connect("hubspot");
      const google = await connect("google");
      await first.close();
      // What an earlier version wrote: no account on grants, Google's memory for its one user.
      const saved = JSON.parse(readFileSync(file, "utf8"));
      for (const grant of saved.store.grants) delete grant.account;
      saved.providers.google.memory = saved.providers.google.memory.accounts.sandy;
      expect(saved.providers.google.memory.offlineConsented).toEqual([client("google").clientId]);
      writeFileSync(file, JSON.stringify(saved));

      open();
      expect(await (await fetch(sb("slack", "/api/auth.test"), { method: "POST", headers: bearer(slack.tokens.access_token) })).json()).toMatchObject({ ok: true, team_id: "T0SANDBOX", team: "Acme Sandbox" });
      expect(await (await fetch(sb("hubspot", "/account-info/v3/details"), { headers: bearer(hubspot.tokens.access_token) })).json()).toMatchObject({ portalId: 4242 });
      expect(await (await fetch(sb("google", "/v1/userinfo"), { headers: bearer(google.tokens.access_token) })).json()).toMatchObject({ sub: "104242424242424242424", email: "sandy@example.com" });
      expect((await connect("google")).tokens.refresh_token).toBeUndefined();
      expect((await connect("google", "Sam Globex")).tokens.refresh_token).toBeTruthy();
    });
  });
});
