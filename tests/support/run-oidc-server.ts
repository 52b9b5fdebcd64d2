// Runs the test OIDC server as its own process for the end-to-end tests (Playwright webServer).
import { startOidcServer } from "./oidc-server.ts";

const port = Number(process.env.OIDC_PORT ?? 4400);
const redirectUris = (process.env.OIDC_REDIRECT_URIS ?? "").split(",").filter(Boolean);
const server = await startOidcServer({ port, redirectUris });
console.log(`oidc test server on ${server.issuer}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void server.close().then(() => process.exit(0)));
