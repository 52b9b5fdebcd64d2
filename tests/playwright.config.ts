import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";

// End-to-end tests drive the built product (api/dist + web/build) exactly as the README's run
// command serves it: embedded PGlite database in a fresh folder, sandbox providers, one port.
// The browser is Debian's Chromium; Playwright never downloads one.

const port = Number(process.env.E2E_PORT ?? 3199);
const baseURL = `http://localhost:${port}`;
const dataDir = process.env.E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), "sb-e2e-"));
const root = join(import.meta.dirname, "..");
// A real OIDC server (oidc-provider) as a catalog provider, beside the four sandbox built-ins.
const oidcPort = Number(process.env.E2E_OIDC_PORT ?? 4499);
const providersFile = join(dataDir, "providers.yaml");
writeFileSync(
  providersFile,
  `acme:\n  type: oidc\n  name: "Acme ID"\n  issuer: "http://127.0.0.1:${oidcPort}"\n  clientId: switchboard-test\n  clientSecret: oidc-test-client-secret-0123456789\n  scopes: [openid, offline_access, email, profile]\n`,
);

export default defineConfig({
  testDir: "./e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ? [["list"], ["json"]] : [["list"]],
  outputDir: join(tmpdir(), "sb-e2e-results"),
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: [
    {
      command: `${join(root, "api/node_modules/.bin/tsx")} ${join(root, "tests/support/run-oidc-server.ts")}`,
      cwd: join(root, "tests"),
      url: `http://127.0.0.1:${oidcPort}/.well-known/openid-configuration`,
      timeout: 60_000,
      reuseExistingServer: false,
      stdout: "ignore",
      stderr: "ignore",
      env: { OIDC_PORT: String(oidcPort), OIDC_REDIRECT_URIS: `${baseURL}/api/integrations/oauth/callback/acme` },
    },
    {
      command: `node ${join(root, "api/dist/main.js")}`,
      cwd: root,
      url: `${baseURL}/readyz`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: "ignore",
      stderr: "pipe",
      env: {
        PORT: String(port),
        PUBLIC_URL: baseURL,
        DATA_DIR: dataDir, LOG_LEVEL: "warn",
        NODE_ENV: "development",
        PROVIDERS_FILE: providersFile,
        // The scheduler runs, fast, so health changes show up live within seconds.
        HEALTH_SCHEDULER: "on",
        HEALTH_CHECK_TICK_SECONDS: "1",
        HEALTH_CHECK_INTERVAL_SECONDS: "5",
        // The a11y and secrets specs add a webhook pointing at this server itself (localhost).
        WEBHOOK_ALLOW_PRIVATE_URLS: "on",
        // Sign-ups are throttled per client address (50 an hour, auth/throttle.ts) and the suite
        // makes more than that from one machine: the browser is "behind" a loopback proxy and
        // each sign-up comes from its own address (flows.ts asNewClient), as people do.
        TRUSTED_PROXIES: "127.0.0.1, ::1",
      },
    },
  ],
});
