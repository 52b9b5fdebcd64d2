import * as oauth from "oauth4webapi";
import { OutboundError } from "../http/outbound.ts";
import { OAuthFlowError } from "./errors.ts";
import { bearer, call, objectOf } from "./http.ts";
import { authorizationServer, oauthClient, requestOptions } from "./oauth.ts";
import type { Adapter } from "./types.ts";

// Catalog providers (type oidc or oauth2 in PROVIDERS_FILE): standards all the way, through
// oauth4webapi: RFC 6749 token responses, OIDC Core §5.3 UserInfo, RFC 7009 revocation.

export const generic: Adapter = {
  async readTokenResponse({ provider, response, requested, allowHttp, grant }) {
    const as = await authorizationServer(provider, allowHttp);
    const client = oauthClient(provider);
    try {
      const result =
        grant === "authorization_code"
          ? await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: false })
          : await oauth.processRefreshTokenResponse(as, client, response);
      return {
        accessToken: result.access_token,
        refreshToken: result.refresh_token,
        expiresAt: result.expires_in ? new Date(Date.now() + result.expires_in * 1000) : undefined,
        scopes: result.scope ? result.scope.split(" ").filter(Boolean) : requested,
        scopesReported: Boolean(result.scope),
        extra: {},
      };
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError) throw new OAuthFlowError(error.error === "invalid_grant" ? "invalid_grant" : "token_exchange_failed", `${error.error}${error.error_description ? `: ${error.error_description}` : ""}`.slice(0, 300));
      throw new OAuthFlowError("token_exchange_failed", (error as Error).message.slice(0, 200));
    }
  },
  async inspect({ provider, tokens, allowHttp, outbound }) {
    const as = await authorizationServer(provider, allowHttp, outbound);
    const url = provider.userinfoUrl ?? as.userinfo_endpoint;
    if (!url) return { account: {} };
    const info = objectOf(await call(url, { headers: bearer(tokens.accessToken) }, undefined, outbound));
    // OIDC Core §5.3.2: the UserInfo answer always carries `sub`; without it, it names nobody.
    if (typeof info.sub !== "string" && typeof info.id !== "string" && typeof info.id !== "number") throw new OAuthFlowError("provider_error", "the userinfo answer names no account (no sub)");
    return {
      account: {
        id: typeof info.sub === "string" ? info.sub : String(info.id),
        name: typeof info.email === "string" ? info.email : typeof info.name === "string" ? info.name : typeof info.sub === "string" ? info.sub : undefined,
        url: provider.homepage,
        user: typeof info.name === "string" ? info.name : undefined,
      },
    };
  },
  async revoke({ provider, tokens, allowHttp }) {
    const as = await authorizationServer(provider, allowHttp);
    if (!as.revocation_endpoint) return "revoked";
    const client = oauthClient(provider);
    const auth = oauth.ClientSecretPost(provider.clientSecret!);
    // RFC 7009: revoking the refresh token ends the grant; the access token goes too when the
    // server supports it (most do). §2.2: an invalid token is answered 200 as well, so a dead
    // grant reads as revoked here.
    for (const [token, hint] of [
      [tokens.refreshToken, "refresh_token"],
      [tokens.accessToken, "access_token"],
    ] as const) {
      if (!token) continue;
      try {
        const response = await oauth.revocationRequest(as, client, auth, token, { additionalParameters: { token_type_hint: hint }, ...requestOptions(provider, allowHttp) });
        await oauth.processRevocationResponse(response);
      } catch (error) {
        if (error instanceof OutboundError) throw new OAuthFlowError(error.code === "timeout" ? "timeout" : "network", error.message);
        if (error instanceof oauth.ResponseBodyError) throw new OAuthFlowError(error.status === 429 ? "rate_limited" : "provider_error", `${error.error}: ${error.error_description ?? ""}`.slice(0, 300));
        throw new OAuthFlowError("provider_error", (error as Error).message.slice(0, 200));
      }
    }
    return "revoked";
  },
};
