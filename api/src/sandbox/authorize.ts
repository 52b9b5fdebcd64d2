import type { IncomingMessage } from "node:http";
import { accountView, chosenAccount } from "./accounts.ts";
import type { SandboxProviderId } from "./catalog.ts";
import { consentPage, errorPage } from "./html.ts";
import { param, type Reply } from "./http.ts";
import { newGrantCodeExpiry } from "./oauth.ts";
import type { ConsentRequest } from "./store.ts";
import type { AuthorizeSpec, Route, SandboxContext } from "./types.ts";

// The authorization endpoint and consent form every emulator shares. The provider validates the
// request (its own error pages and redirect errors); this file renders the page, keeps the
// validated request server-side (the form only carries an opaque id, so a tampered form cannot
// change redirect_uri or add scopes) and answers Allow or Deny with a redirect. When the provider
// offers several accounts the page has a picker, and the grant remembers the one chosen.

export const CONSENT_PATH = "/_consent";

/**
 * Browsers send Origin on form posts; a cross-site one means another site is submitting the form
 * on the person's behalf. Without Origin (curl, older browsers) Sec-Fetch-Site decides, and so
 * does an opaque `Origin: null`, which browsers send on posts from a page with
 * Referrer-Policy no-referrer (the Fetch standard's origin serialisation), as these pages have.
 */
export function sameOrigin(ctx: SandboxContext, req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== "null") return origin === ctx.origin;
  const site = req.headers["sec-fetch-site"];
  return site === undefined || site === "same-origin" || site === "none";
}

export function redirectTo(input: { uri: string; params: Record<string, string | undefined>; status: 302 | 303 }): Reply {
  const url = new URL(input.uri);
  for (const [name, value] of Object.entries(input.params)) if (value !== undefined) url.searchParams.set(name, value);
  return { status: input.status, headers: { location: url.toString() } };
}

export function authorizeRoutes(ctx: SandboxContext, input: { provider: SandboxProviderId; spec: AuthorizeSpec }): Route[] {
  const { provider, spec } = input;
  const accountsAt = (host: string) => (typeof spec.account === "function" ? spec.account(host) : spec.account);

  function approve(request: ConsentRequest, ticked: { scope: string[]; user_scope: string[] }, account: string | undefined, status: 302 | 303): Reply {
    const requested = (field: "scope" | "user_scope") => request.scopeGroups.filter((g) => g.field === field).flatMap((g) => g.scopes);
    // Only scopes that were asked for can be granted, whatever the form says.
    const pick = (field: "scope" | "user_scope") => requested(field).filter((scope) => ticked[field].includes(scope));
    const scopes = spec.grantScopes ? spec.grantScopes(request, pick("scope"), account) : pick("scope");
    const at = ctx.now();
    const grant = ctx.store.createGrant({
      provider,
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      redirectUriSent: request.redirectUriSent,
      scopes,
      userScopes: pick("user_scope"),
      wantsBotToken: requested("scope").length > 0 || requested("user_scope").length === 0,
      wantsUserToken: requested("user_scope").length > 0,
      offline: request.offline,
      promptConsent: request.promptConsent,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce,
      host: request.host ?? "",
      ...(account !== undefined ? { account } : {}),
      code: spec.newCode(),
      codeExpiresAt: newGrantCodeExpiry(ctx),
      createdAt: at,
    });
    const extra = spec.approved?.(grant, request) ?? {};
    ctx.logger?.info({ provider, account, scopes: scopes.length, userScopes: grant.userScopes.length }, "sandbox consent approved");
    return redirectTo({ uri: request.redirectUri, params: { code: grant.code, state: request.state, ...extra }, status });
  }

  const authorize: Route = {
    methods: ["GET"],
    path: spec.path,
    kind: "consent",
    handle({ url, host }) {
      const outcome = spec.validate(url.searchParams, host);
      switch (outcome.kind) {
        case "page":
          return { status: outcome.status, html: errorPage({ provider, title: outcome.title, message: outcome.message }) };
        case "redirect":
          return redirectTo({ uri: outcome.redirectUri, params: outcome.params, status: 302 });
        case "approve": {
          const all = (field: "scope" | "user_scope") => outcome.request.scopeGroups.filter((g) => g.field === field).flatMap((g) => g.scopes);
          // Nobody chose: the default account, as when the form is posted without a choice.
          const account = chosenAccount(accountsAt(host), null);
          return approve({ ...outcome.request, host }, { scope: all("scope"), user_scope: all("user_scope") }, account.ok ? account.key : undefined, 302);
        }
        case "consent": {
          // The consent form posts to the default host's /_consent; the request remembers the
          // host it came to, so the grant belongs to that host.
          const consentId = ctx.store.putConsent({ ...outcome.request, host }, ctx.now());
          const html = consentPage({
            provider,
            clientId: outcome.request.clientId,
            ...accountView(accountsAt(host)),
            scopeGroups: outcome.request.scopeGroups,
            consentId,
            action: `/sandbox/${provider}${CONSENT_PATH}`,
          });
          return { status: 200, html };
        }
      }
    },
  };

  const consent: Route = {
    methods: ["POST"],
    path: CONSENT_PATH,
    kind: "consent",
    handle({ req, params }) {
      if (!sameOrigin(ctx, req)) {
        return { status: 403, html: errorPage({ provider, title: "Cross-site request refused", message: "The consent form can only be submitted from this sandbox's own page." }) };
      }
      const id = param(params, "consent");
      const request = id === undefined ? undefined : ctx.store.takeConsent(id, ctx.now());
      if (!request || request.provider !== provider) {
        return { status: 400, html: errorPage({ provider, title: "This authorization request is no longer valid", message: "It expired or was already answered. Start the connection again from the app." }) };
      }
      // Checked against the accounts the page offered, whatever the form says (as the scopes are).
      const account = chosenAccount(accountsAt(request.host ?? ""), params.get("account"));
      if (!account.ok) {
        return { status: 400, html: errorPage({ provider, title: "Unknown account", message: "The account chosen is not one this sandbox offers. Start the connection again from the app." }) };
      }
      const decision = params.get("decision");
      if (decision === "allow") return approve(request, { scope: params.getAll("scope"), user_scope: params.getAll("user_scope") }, account.key, 303);
      if (decision === "deny") {
        ctx.logger?.info({ provider }, "sandbox consent denied");
        return redirectTo({ uri: request.redirectUri, params: { error: "access_denied", ...spec.deniedParams?.(request), state: request.state }, status: 303 });
      }
      return { status: 400, html: errorPage({ provider, title: "Choose Allow or Deny", message: "The form was submitted without a decision." }) };
    },
  };

  return [authorize, consent];
}
