import { createServer, type Server } from "node:http";
import Provider from "oidc-provider";

// A real, certified OAuth 2.0 / OpenID Connect server (oidc-provider) run locally: PKCE
// required, exact redirect URIs, single-use codes, refresh-token rotation, RFC 7009
// revocation, RFC 9207 `iss` in authorization responses. Its dev login and consent pages are
// driven over HTTP by `authorize()` below, as a browser would.

export type OidcServer = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Every access, refresh and ID token the server handed out, for leak checks. */
  issuedTokens: Set<string>;
  /** Token endpoint requests by grant type, counted at the HTTP layer. */
  tokenRequests: { authorization_code: number; refresh_token: number };
  provider: Provider;
  /** Changes the response delay while running. */
  setTokenDelay(ms: number): void;
  /** Follows an authorization URL through login and consent to the redirect back; returns the redirect URL. */
  authorize(authorizationUrl: string, options?: { deny?: boolean }): Promise<URL>;
  /** A direct refresh at the token endpoint, as an attacker holding an old refresh token would. */
  refresh(refreshToken: string): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
};

export async function startOidcServer({
  port,
  redirectUris,
  accessTokenTtl = 3600,
  rotateRefreshToken = true,
  delayTokenResponsesMs = 0,
}: {
  port: number;
  redirectUris: string[];
  accessTokenTtl?: number;
  rotateRefreshToken?: boolean;
  /** Hold token responses this long after the server has processed the request (crash tests). */
  delayTokenResponsesMs?: number;
}): Promise<OidcServer> {
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = "switchboard-test";
  const clientSecret = "oidc-test-client-secret-0123456789";
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, revocation: { enabled: true }, introspection: { enabled: true } },
    rotateRefreshToken,
    scopes: ["openid", "offline_access", "email", "profile"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    ttl: { AccessToken: accessTokenTtl, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 86400 },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: `${sub}@acme.example`, email_verified: true, name: `Acme ${sub}` }),
    }),
    cookies: { keys: ["oidc-test-cookie-key"] },
  });
  provider.proxy = false;
  const tokenRequests = { authorization_code: 0, refresh_token: 0 };
  const issuedTokens = new Set<string>();
  const callback = provider.callback();
  const server: Server = createServer((req, res) => {
    if (req.method === "POST" && req.url?.startsWith("/token")) {
      // Count by grant type without consuming the body: peek at the raw chunks.
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const grant = new URLSearchParams(Buffer.concat(chunks).toString()).get("grant_type");
        if (grant === "authorization_code" || grant === "refresh_token") tokenRequests[grant]++;
      });
      // Record what the server issues: wrap end() to read the JSON it sends.
      const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        try {
          const body = JSON.parse(Buffer.isBuffer(chunk) ? chunk.toString() : String(chunk ?? ""));
          for (const key of ["access_token", "refresh_token", "id_token"]) if (typeof body[key] === "string") issuedTokens.add(body[key]);
        } catch {}
        if (delayTokenResponsesMs > 0) {
          setTimeout(() => end(chunk, ...rest), delayTokenResponsesMs);
          return res;
        }
        return end(chunk, ...rest);
      }) as typeof res.end;
    }
    callback(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));

  async function authorize(authorizationUrl: string, options: { deny?: boolean } = {}): Promise<URL> {
    const jar = new Map<string, string>();
    const remember = (res: Response) => {
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const [name, ...rest] = pair!.split("=");
        jar.set(name!.trim(), rest.join("="));
      }
    };
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    let url = new URL(authorizationUrl);
    for (let hop = 0; hop < 12; hop++) {
      if (!url.href.startsWith(issuer)) return url; // back at the client
      const res = await fetch(url, { headers: { cookie: cookie() }, redirect: "manual" });
      remember(res);
      if (res.status >= 300 && res.status < 400) {
        url = new URL(res.headers.get("location")!, url);
        continue;
      }
      const html = await res.text();
      const uid = /\/interaction\/([^/"?]+)/.exec(url.pathname)?.[1];
      if (!uid) throw new Error(`unexpected page at ${url.pathname}: ${res.status} ${html.slice(0, 200)}`);
      if (options.deny) {
        const abort = await fetch(`${issuer}/interaction/${uid}/abort`, { headers: { cookie: cookie() }, redirect: "manual" });
        remember(abort);
        url = new URL(abort.headers.get("location")!, url);
        continue;
      }
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      const body = prompt === "login" ? new URLSearchParams({ prompt, login: "alice", password: "any" }) : new URLSearchParams({ prompt: prompt ?? "consent" });
      const submit = await fetch(`${issuer}/interaction/${uid}`, {
        method: "POST",
        headers: { cookie: cookie(), "content-type": "application/x-www-form-urlencoded" },
        body: body.toString(),
        redirect: "manual",
      });
      remember(submit);
      url = new URL(submit.headers.get("location")!, url);
    }
    throw new Error("too many redirects at the OIDC server");
  }

  return {
    issuer,
    clientId,
    clientSecret,
    tokenRequests,
    issuedTokens,
    provider,
    setTokenDelay: (ms: number) => {
      delayTokenResponsesMs = ms;
    },
    authorize,
    async refresh(refreshToken) {
      const res = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId, client_secret: clientSecret }).toString(),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
