// Runs the test OIDC server as its own process for the end-to-end tests (Playwright webServer).
import { startOidcServer } from "./oidc-server.ts";

const port = Number(process.env.OIDC_PORT ?? 4400);
const redirectUris = (process.env.OIDC_REDIRECT_URIS ?? "").split(",").filter(Boolean);
const server = await startOidcServer({ port, redirectUris });

/** One request to the userinfo endpoint: where its access token came from. */
type ResourceRequest = { method: string; status: number; authorizationHeader: boolean; bearer: string | null; inQuery: boolean; inBody: boolean };
const resourceRequests: ResourceRequest[] = [];
/** Authorization codes the server put into its redirects back to the client. */
const issuedCodes = new Set<string>();

// What the end-to-end secrets scan needs from the real issuer (tests/e2e/secrets.spec.ts):
// every secret it handed out, and how the client presented access tokens, read at
// GET /__test/record. Test-only: this process is never part of the product.
// startOidcServer() has already composed the provider's middleware into its request handler
// (Koa composes once, in callback()), so provider.use() would come too late; Koa looks up
// handleRequest per request, so the recorder wraps the composed middleware there.
type Ctx = Parameters<Parameters<typeof server.provider.use>[0]>[0];
type Next = () => Promise<unknown>;
async function record(ctx: Ctx, next: Next): Promise<unknown> {
  if (ctx.path === "/__test/record" && ctx.method === "GET") {
    ctx.body = {
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      issuedTokens: [...server.issuedTokens],
      issuedCodes: [...issuedCodes],
      resourceRequests,
    };
    return;
  }
  const isUserinfo = ctx.path === "/me";
  const authorization = ctx.get("authorization");
  const inQuery = typeof ctx.query.access_token === "string";
  try {
    return await next();
  } finally {
    if (isUserinfo) {
      // oidc-provider parses a form body into ctx.oidc.body while handling the request.
      const body = (ctx as unknown as { oidc?: { body?: Record<string, unknown> } }).oidc?.body;
      resourceRequests.push({
        method: ctx.method,
        status: ctx.status,
        authorizationHeader: authorization !== "",
        bearer: /^Bearer (.+)$/i.exec(authorization)?.[1] ?? null,
        inQuery,
        inBody: typeof body?.access_token === "string",
      });
    }
    const location = ctx.response.get("location");
    if (location) {
      try {
        const code = new URL(location, server.issuer).searchParams.get("code");
        if (code) issuedCodes.add(code);
      } catch {}
    }
  }
}
type Composed = (ctx: Ctx, next?: Next) => Promise<unknown>;
const app = server.provider as unknown as { handleRequest(ctx: Ctx, fn: Composed): Promise<unknown> };
const handleRequest = app.handleRequest.bind(app);
app.handleRequest = (ctx, fn) => handleRequest(ctx, (c, next) => record(c, () => fn(c, next)));

console.log(`oidc test server on ${server.issuer}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void server.close().then(() => process.exit(0)));
