import { accountOf } from "./accounts.ts";
import { sandboxClient } from "./catalog.ts";
import { basicCredentials, bearerToken, param, randomBase62, randomDigits, randomHex, type Reply } from "./http.ts";
import {
  authenticate,
  checkClient,
  grantTypeOf,
  issueToken,
  parseScopes,
  redeemCode,
  rotateRefreshToken,
  secondsLeft,
  useRefreshToken,
  type AccessFailure,
} from "./oauth.ts";
import type { Grant, IssuedToken } from "./store.ts";
import type { ProviderModule, Route, RouteInput, SandboxContext } from "./types.ts";

// Slack OAuth v2 and the Web API methods a connection check uses. Sources: /work/shared/
// providers/slack.md, S1 oauth.v2.access, S2 Slack OpenAPI, S3 auth.revoke/auth.test, S4 token
// rotation, S5 rate limits, S6 node-slack-sdk, S7 Nango. Slack answers errors with HTTP 200 and
// {"ok":false,"error":"..."}; only rate limiting changes the status (S6 WebClient).

// The workspaces the sandbox's person (Sandy) can install the app into, chosen on the consent
// page as on Slack's own (its workspace picker); the first is the default. Slack ids belong to
// one workspace, so Sandy and the app's bot user have other ids in the second.
const TEAMS = [
  {
    key: "acme",
    id: "T0SANDBOX",
    name: "Acme Sandbox",
    domain: "acme-sandbox",
    url: "https://acme-sandbox.slack.com/",
    emailDomain: "example.com",
    user: { id: "U0SANDY", name: "sandy", displayName: "Sandy" },
    bot: { userId: "U0SANDBOT", botId: "B0SANDBOT", name: "switchboard" },
  },
  {
    key: "globex",
    id: "T0GLOBEX",
    name: "Globex Sandbox",
    domain: "globex-sandbox",
    url: "https://globex-sandbox.slack.com/",
    emailDomain: "globex.example",
    user: { id: "U0GLXSANDY", name: "sandy", displayName: "Sandy" },
    bot: { userId: "U0GLXBOT", botId: "B0GLXBOT", name: "switchboard" },
  },
] as const;
type Team = (typeof TEAMS)[number];
const teamOf = (grant: Grant): Team => accountOf<Team>(TEAMS, grant.account);
const APP_ID = "A0SANDBOX";
// S4: with rotation on "it expires every 12 hours"; S1 example expires_in: 43200.
const ROTATING_LIFETIME_SECONDS = 43_200;

// chat.postMessage and incoming webhooks, for alerts. Sources:
// https://docs.slack.dev/reference/methods/chat.postMessage (token as Authorization: Bearer,
// `channel` = an id or a name, `text` and/or `blocks`; answers {ok, channel, ts, message};
// errors channel_not_found, not_in_channel, missing_scope (chat:write), invalid_auth, no_text,
// all with HTTP 200) and https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks
// (POST JSON {text, blocks} to https://hooks.slack.com/services/T…/B…/…; answers 200 "ok";
// errors as text with 400 invalid_payload / no_text, 403 action_prohibited, 404 no_service;
// Slack's changelog of 2016-05-17 adds 404 channel_not_found, 410 channel_is_archived and 500
// rollup_error). The emulator answers the ones a sandbox can cause (no_service, invalid_payload);
// the others are doc fixtures (providers/fixtures/slack.ts, hook*) sent by send-fixtures.test.ts.
// Each of the emulator's workspaces has three channels; the bot is a member of #general and #alerts only.
const CHANNELS = [
  { id: "C0GENERAL", name: "general", member: true },
  { id: "C0ALERTS", name: "alerts", member: true },
  { id: "C0RANDOM", name: "random", member: false },
] as const;

/** What the emulator received: chat.postMessage calls (with the token used) and incoming-webhook posts. */
export type SandboxSlackPost = {
  via: "chat.postMessage" | "incoming-webhook";
  /** chat.postMessage: the channel as sent and the id it resolved to; webhook: the hook's path */
  channel: string;
  channelId: string | null;
  text: string | null;
  blocks: unknown;
  /** chat.postMessage: the Bearer token it came with (tests compare it with the connection's) */
  token: string | null;
  at: number;
};

// By PUBLIC_URL, so several servers in one test process keep their own record; at most 200 each.
const posts = new Map<string, SandboxSlackPost[]>();

/** What the Slack emulator of the server at `publicUrl` received, oldest first (tests, sandbox page). */
export function sandboxSlackPosts(publicUrl: string): SandboxSlackPost[] {
  return [...(posts.get(publicUrl.replace(/\/+$/, "")) ?? [])];
}

/** The incoming-webhook URL the emulator accepts: {PUBLIC_URL}/sandbox/slack/services/T0SANDBOX/B…/secret. */
export function sandboxSlackWebhookUrl(publicUrl: string, secret = "sandbox"): string {
  return `${publicUrl.replace(/\/+$/, "")}/sandbox/slack/services/T0SANDBOX/B0SANDBOX/${secret}`;
}

export function createSlack(ctx: SandboxContext): ProviderModule {
  const provider = "slack" as const;
  const client = sandboxClient(provider);
  const runtime = () => ctx.runtime(provider);

  const ok = (body: Record<string, unknown>): Reply => ({ status: 200, json: { ok: true, ...body } });
  const fail = (error: string, extra: Record<string, unknown> = {}): Reply => ({ status: 200, json: { ok: false, error, ...extra } });

  function accessFailure(reason: AccessFailure): Reply {
    // S1/S2 descriptions: not_authed = no token; invalid_auth = unknown token; token_expired
    // with rotation. After auth.revoke the sandbox answers token_revoked (S3 does not say which
    // of token_revoked / invalid_auth Slack uses: UNCONFIRMED).
    const error = { missing: "not_authed", unknown: "invalid_auth", revoked: "token_revoked", expired: "token_expired" }[reason];
    return fail(error);
  }

  /** Bot or user token (plus a refresh token when rotating), in S1's shapes. */
  function issue(grant: Grant, audience: "bot" | "user", rotating: boolean) {
    const kind = audience === "bot" ? "xoxb" : "xoxp";
    // S1 examples: plain "xoxb-17653672481-19874698323-pdFZ…"; rotating "xoxe.xoxb-1-…" with
    // refresh token "xoxe-1-…".
    const value = rotating ? `xoxe.${kind}-1-${randomBase62(120)}` : `${kind}-${randomDigits(11)}-${randomDigits(13)}-${randomBase62(24)}`;
    const lifetime = runtime().options.accessTokenLifetimeSeconds ?? ROTATING_LIFETIME_SECONDS;
    const access = issueToken(ctx, { grant, kind: "access", audience, value, lifetimeSeconds: rotating ? lifetime : undefined });
    const refresh = rotating ? issueToken(ctx, { grant, kind: "refresh", audience, value: `xoxe-1-${randomBase62(140)}` }) : undefined;
    return {
      access_token: access.value,
      ...(rotating ? { expires_in: secondsLeft(ctx, access), refresh_token: refresh!.value } : {}),
    };
  }

  function clientOf(input: RouteInput) {
    // S1: "We strongly recommend supplying the Client ID and Client Secret using the HTTP Basic
    // authentication scheme" — and body parameters remain accepted.
    const basic = basicCredentials(input.req);
    return basic ?? { clientId: param(input.params, "client_id"), clientSecret: param(input.params, "client_secret") };
  }

  function access(input: RouteInput): Reply {
    const { params } = input;
    const credentials = clientOf(input);
    const check = checkClient({ provider, ...credentials });
    if (check === "unknown_client") return fail("invalid_client_id");
    if (check === "bad_secret") return fail("bad_client_secret");
    const grantType = grantTypeOf(params);
    if (grantType === undefined) return params.get("grant_type") ? fail("invalid_grant_type") : fail("invalid_code");
    if (grantType === "refresh_token") return refresh(input);
    // S1 lists pkce_not_allowed ("The app is not allowed to use the PKCE flow"); Nango disables
    // PKCE for Slack (S7). The sandbox app is a confidential web app without PKCE.
    if (param(params, "code_verifier") !== undefined) return fail("pkce_not_allowed");
    const redeemed = redeemCode(ctx, {
      provider,
      clientId: client.clientId,
      code: param(params, "code"),
      redirectUri: param(params, "redirect_uri"),
      codeVerifier: undefined,
    });
    if (!redeemed.ok) {
      // S1: bad_redirect_uri "did not match the redirect_uri in the original request". A reused
      // code answers invalid_code: code_already_used exists only on legacy oauth.access (UNCONFIRMED for v2).
      return fail(redeemed.reason === "redirect_mismatch" ? "bad_redirect_uri" : "invalid_code");
    }
    const { grant } = redeemed;
    const team = teamOf(grant);
    const rotating = runtime().options.rotateRefreshTokens === true;
    const bot = grant.wantsBotToken ? issue(grant, "bot", rotating) : undefined;
    const user = grant.wantsUserToken ? issue(grant, "user", rotating) : undefined;
    // Field order and values follow S1's examples; enterprise is null outside Enterprise Grid and
    // is_enterprise_install is always present (S6).
    return ok({
      ...(bot ? { access_token: bot.access_token, token_type: "bot", scope: grant.scopes.join(","), bot_user_id: team.bot.userId } : {}),
      app_id: APP_ID,
      ...(bot && rotating ? { expires_in: bot.expires_in, refresh_token: bot.refresh_token } : {}),
      team: { name: team.name, id: team.id },
      enterprise: null,
      authed_user: {
        id: team.user.id,
        ...(user ? { scope: grant.userScopes.join(","), access_token: user.access_token, ...(rotating ? { expires_in: user.expires_in, refresh_token: user.refresh_token } : {}), token_type: "user" } : {}),
      },
      is_enterprise_install: false,
    });
  }

  function refresh(input: RouteInput): Reply {
    // Without rotation Slack issues no refresh tokens at all (S4), so any value is unknown here.
    const used = useRefreshToken(ctx, { provider, clientId: client.clientId, refreshToken: param(input.params, "refresh_token") });
    if (!used.ok) return fail("invalid_refresh_token");
    const { token, grant } = used;
    const team = teamOf(grant);
    // S4: "The refresh token is then revoked, and a new refresh token is used …": Slack always
    // rotates, whatever the sandbox option says now.
    rotateRefreshToken(ctx, token);
    const next = issue(grant, token.audience, true);
    // Refresh response fields: S6 OAuthV2TokenRefreshResponse (PARTIAL, no verbatim example).
    return ok({
      app_id: APP_ID,
      access_token: next.access_token,
      refresh_token: next.refresh_token,
      expires_in: next.expires_in,
      ...(token.audience === "bot" ? { bot_user_id: team.bot.userId } : {}),
      enterprise: null,
      is_enterprise_install: false,
      team: { id: team.id, name: team.name },
      token_type: token.audience,
      scope: (token.audience === "bot" ? grant.scopes : grant.userScopes).join(","),
    });
  }

  /** S3: the token comes as a Bearer header or a `token` argument. */
  function authed(input: RouteInput) {
    return authenticate(ctx, { provider, token: bearerToken(input.req) ?? param(input.params, "token") });
  }

  const scopesOf = (token: IssuedToken, grant: Grant) => (token.audience === "bot" ? grant.scopes : grant.userScopes);

  /**
   * Every Web API answer to a valid token, ok or not, says what the token may do: x-oauth-scopes
   * (the token's scopes) and x-accepted-oauth-scopes (what the method accepts), both
   * comma-separated (slack.md "Facts added 2026-12-05": Node SDK response_metadata.scopes /
   * acceptedScopes, slack-ruby-client #378). Empty for a method that needs no scope.
   */
  function withScopes(reply: Reply, auth: { token: IssuedToken; grant: Grant }, accepted: string[]): Reply {
    return { ...reply, headers: { ...reply.headers, "x-oauth-scopes": scopesOf(auth.token, auth.grant).join(","), "x-accepted-oauth-scopes": accepted.join(",") } };
  }

  function record(post: Omit<SandboxSlackPost, "at">): void {
    const key = ctx.publicUrl.replace(/\/+$/, "");
    const list = posts.get(key) ?? [];
    list.push({ ...post, at: ctx.now() });
    if (list.length > 200) list.splice(0, list.length - 200);
    posts.set(key, list);
  }

  function blocksOf(params: URLSearchParams): unknown {
    const raw = params.get("blocks");
    if (raw === null) return null;
    try {
      return JSON.parse(raw);
    } catch {
      return "invalid";
    }
  }

  function postMessage(input: RouteInput): Reply {
    const result = authed(input);
    if (!result.ok) return accessFailure(result.reason);
    const scopes = scopesOf(result.token, result.grant);
    if (!scopes.includes("chat:write")) return withScopes(fail("missing_scope", { needed: "chat:write", provided: scopes.join(",") }), result, ["chat:write"]);
    const sent = param(input.params, "channel");
    if (!sent) return withScopes(fail("channel_not_found"), result, ["chat:write"]);
    const name = sent.replace(/^#/, "");
    const channel = CHANNELS.find((c) => c.id === sent || c.name === name);
    if (!channel) return withScopes(fail("channel_not_found"), result, ["chat:write"]);
    if (!channel.member) return withScopes(fail("not_in_channel"), result, ["chat:write"]);
    const text = param(input.params, "text") ?? null;
    const blocks = blocksOf(input.params);
    if (blocks === "invalid") return withScopes(fail("invalid_blocks"), result, ["chat:write"]);
    if (!text && !blocks) return withScopes(fail("no_text"), result, ["chat:write"]);
    const ts = `${Math.floor(ctx.now() / 1000)}.${randomDigits(6)}`;
    record({ via: "chat.postMessage", channel: sent, channelId: channel.id, text, blocks, token: result.token.value });
    const { bot } = teamOf(result.grant);
    return withScopes(ok({ channel: channel.id, ts, message: { type: "message", subtype: "bot_message", text: text ?? "", bot_id: bot.botId, user: bot.userId, ts } }), result, ["chat:write"]);
  }

  function incomingWebhook(input: RouteInput): Reply {
    const [, team, hook] = input.match;
    // Hooks of the emulator's workspaces only; any other path is a removed or unknown hook.
    if (!TEAMS.some((t) => t.id === team) || !hook) return { status: 404, text: "no_service" };
    const type = (input.req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") return { status: 400, text: "invalid_payload" };
    const text = param(input.params, "text") ?? null;
    const blocks = blocksOf(input.params);
    if (blocks === "invalid") return { status: 400, text: "invalid_blocks" };
    if (!text && !blocks) return { status: 400, text: "no_text" };
    record({ via: "incoming-webhook", channel: input.url.pathname, channelId: null, text, blocks, token: null });
    return { status: 200, text: "ok" };
  }

  const routes: Route[] = [
    { methods: ["POST"], path: "/api/oauth.v2.access", kind: "token", queryParams: true, json: true, handle: access },
    { methods: ["POST"], path: "/api/chat.postMessage", kind: "api", queryParams: true, json: true, handle: postMessage },
    { methods: ["POST"], path: /^\/services\/([A-Z0-9]+)\/([A-Z0-9]+)\/[A-Za-z0-9_-]+$/, kind: "api", json: true, handle: incomingWebhook },
    {
      methods: ["GET", "POST"],
      path: "/api/auth.test",
      kind: "api",
      queryParams: true,
      json: true,
      handle(input) {
        const result = authed(input);
        if (!result.ok) return accessFailure(result.reason);
        const bot = result.token.audience === "bot";
        const team = teamOf(result.grant);
        const left = secondsLeft(ctx, result.token);
        // S2/S3 example values, bot_id for bot tokens (PARTIAL), is_enterprise_install (S2 schema).
        // auth.test needs no scope (S3).
        return withScopes(ok({
          url: team.url,
          team: team.name,
          user: bot ? team.bot.name : team.user.name,
          team_id: team.id,
          user_id: bot ? team.bot.userId : team.user.id,
          ...(bot ? { bot_id: team.bot.botId } : {}),
          is_enterprise_install: false,
          ...(left !== undefined ? { expires_in: left } : {}),
        }), result, []);
      },
    },
    {
      methods: ["GET", "POST"],
      path: "/api/team.info",
      kind: "api",
      queryParams: true,
      json: true,
      handle(input) {
        const result = authed(input);
        if (!result.ok) return accessFailure(result.reason);
        const scopes = scopesOf(result.token, result.grant);
        // S2: team.info needs team:read; needed/provided are in every SDK response type (PARTIAL).
        if (!scopes.includes("team:read")) return withScopes(fail("missing_scope", { needed: "team:read", provided: scopes.join(",") }), result, ["team:read"]);
        const team = teamOf(result.grant);
        return withScopes(ok({
          team: {
            id: team.id,
            name: team.name,
            url: team.url,
            domain: team.domain,
            email_domain: team.emailDomain,
            icon: { image_default: true },
            is_verified: false,
          },
        }), result, ["team:read"]);
      },
    },
    {
      methods: ["GET", "POST"],
      path: "/api/auth.revoke",
      kind: "revoke",
      queryParams: true,
      json: true,
      handle(input) {
        const result = authed(input);
        if (!result.ok) return accessFailure(result.reason);
        // S2/S3: test=1 checks the token without revoking it ("revoked": false is UNCONFIRMED).
        const test = input.params.get("test");
        if (test === "1" || test === "true") return withScopes(ok({ revoked: false }), result, []);
        // S3 says revoking a bot token deactivates the bot user; the sandbox revokes the whole
        // installation (bot, user and refresh tokens), which is what a disconnect means. A token
        // already revoked answers token_revoked above (S2 auth.revoke error enum).
        ctx.store.revokeGrant(result.grant.id, ctx.now());
        return withScopes(ok({ revoked: true }), result, []);
      },
    },
  ];

  return {
    id: provider,
    routes,
    authorize: {
      path: "/oauth/v2/authorize",
      accent: "#4a154b",
      // The picker's label is Slack's ("Workspace"); the option texts are the workspaces' names.
      account: { label: "Workspace", accounts: TEAMS, lines: [["Signed in as", TEAMS[0].user.displayName]] },
      validate(query) {
        const clientId = param(query, "client_id");
        // A real Slack shows an error page for these, it never redirects to an unchecked URI.
        if (clientId !== client.clientId) return { kind: "page", status: 400, title: "Invalid client_id parameter", message: `No app with client_id ${clientId ?? "(missing)"} exists in the sandbox. Use ${client.clientId}.` };
        // S1: redirect_uri is optional here; without it the app's configured one is used.
        const sent = param(query, "redirect_uri");
        const registered = ctx.callbackUrl(provider);
        if (sent !== undefined && sent !== registered) return { kind: "page", status: 400, title: "redirect_uri did not match any configured URIs", message: `Passed URI: ${sent}. Registered: ${registered}.` };
        const state = param(query, "state");
        // S6 generateInstallUrl: bot scopes in `scope`, user scopes in `user_scope`, comma-separated.
        const scopes = parseScopes(param(query, "scope"), ",");
        const userScopes = parseScopes(param(query, "user_scope"), ",");
        if (scopes === "invalid" || userScopes === "invalid") return { kind: "redirect", redirectUri: registered, params: { error: "invalid_scope", state } };
        // S1 error no_scopes ("Missing scope in the request"); Slack's authorize-page behaviour is
        // not documented, so the RFC 6749 §4.1.2.1 redirect is used (UNCONFIRMED).
        if (scopes.length === 0 && userScopes.length === 0) return { kind: "redirect", redirectUri: registered, params: { error: "invalid_request", state } };
        return {
          kind: "consent",
          request: {
            provider,
            clientId,
            redirectUri: registered,
            redirectUriSent: sent !== undefined,
            state,
            scopeGroups: [
              { field: "scope", label: "Bot permissions (scope)", scopes },
              { field: "user_scope", label: "Permissions on your behalf (user_scope)", scopes: userScopes },
            ],
            offline: false,
            promptConsent: false,
            includeGrantedScopes: false,
          },
        };
      },
      // Slack's code format is not documented (UNCONFIRMED); this mimics observed ones.
      newCode: () => `${randomDigits(13)}.${randomDigits(13)}.${randomHex(64)}`,
    },
    faultReply({ mode, kind, route, params, retryAfterSeconds }) {
      if (mode === "rate_limited") {
        // S5: HTTP 429 with Retry-After in seconds; body error "ratelimited" (S1 code; body PARTIAL).
        return { status: 429, headers: { "retry-after": String(retryAfterSeconds) }, json: { ok: false, error: "ratelimited" } };
      }
      // S1 lists internal_error; Slack normally sends it with HTTP 200, the fault forces a 500.
      if (mode === "server_error") return { status: 500, json: { ok: false, error: "internal_error" } };
      if (kind === "token") return fail(grantTypeOf(params) === "refresh_token" ? "invalid_refresh_token" : "invalid_code");
      return route.invalidToken?.() ?? fail("invalid_auth");
    },
    malformed({ problem }) {
      // S2 error enum: invalid_json, invalid_form_data, invalid_post_type — all HTTP 200.
      return fail({ json: "invalid_json", form: "invalid_form_data", content_type: "invalid_post_type" }[problem]);
    },
  };
}
