import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { freePort, startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { startOidcServer, type OidcServer } from "../support/oidc-server.ts";
import { consentThroughOidc } from "../support/oidc-connect.ts";
import { getAccessToken } from "@switchboard/api/domain/integrations/refresh";
import { openTokens } from "@switchboard/api/domain/integrations/tokens";
import { waitFor } from "../support/ws.ts";

// A replica is SIGKILLed in the middle of a token refresh: the authorization server has done the
// refresh, the replica never stores the answer. With a non-rotating server the stored refresh
// token still works, so nothing is lost; with a rotating one, replaying the old refresh token
// makes the server revoke the grant, and the connection must say "Reconnect required" (never
// silently broken, never stuck behind the dead replica's lock).

const root = join(import.meta.dirname, "../..");
const enabled = await requirePostgres();

async function scenario(rotate: boolean) {
  const appPort = await freePort();
  const oidc: OidcServer = await startOidcServer({ port: await freePort(), redirectUris: [`http://localhost:${appPort}/api/integrations/oauth/callback/acme`], rotateRefreshToken: rotate });
  const dir = mkdtempSync(join(tmpdir(), "sb-crash-"));
  const file = join(dir, "providers.yaml");
  writeFileSync(file, `acme:\n  type: oidc\n  name: Acme\n  issuer: "${oidc.issuer}"\n  clientId: ${oidc.clientId}\n  clientSecret: ${oidc.clientSecret}\n  scopes: [openid, offline_access, email]\n`);
  const secrets = testSecrets();
  const t: TestApp = await startTestApp({ database: "postgres", port: appPort, env: { PROVIDERS_FILE: file, ...secrets } });
  const cleanup = async () => {
    await t.close();
    await oidc.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { t, oidc, file, secrets, cleanup };
}

describe.skipIf(!enabled)("SIGKILL during a token refresh", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  for (const rotate of [false, true]) {
    it(`${rotate ? "rotating" : "non-rotating"} server: ${rotate ? "the connection turns to Reconnect required" : "no token is lost"}`, async () => {
      const s = await scenario(rotate);
      cleanups.push(s.cleanup);
      const user = await s.t.signUp();
      const integrationId = await consentThroughOidc(s.t, s.oidc, user);
      const before = openTokens(s.t.app.vault, await s.t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: integrationId } }))!;
      await s.t.app.db.prisma.integration.update({ where: { id: integrationId }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });

      s.oidc.setTokenDelay(30_000);
      const refreshesBefore = s.oidc.tokenRequests.refresh_token;
      const child = spawn(join(root, "api/node_modules/.bin/tsx"), [join(root, "tests/support/refresh-worker.ts")], {
        cwd: join(root, "tests"),
        env: { PATH: process.env.PATH, DATABASE_URL: s.t.app.env.DATABASE_URL!, PROVIDERS_FILE: s.file, PUBLIC_URL: s.t.origin, INTEGRATION_ID: integrationId, NODE_ENV: "test", ...s.secrets },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (c) => (out += c));
      const exited = new Promise<void>((r) => child.on("exit", () => r()));
      // Kill it once the server has received (and processed) its refresh request.
      await waitFor(() => s.oidc.tokenRequests.refresh_token > refreshesBefore, 30_000, "the worker's refresh request");
      await new Promise((r) => setTimeout(r, 300));
      child.kill("SIGKILL");
      await exited;
      expect(out).not.toContain("finished");
      s.oidc.setTokenDelay(0);

      // The row is as the dead replica found it: old tokens, untouched.
      const row = await s.t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
      expect(openTokens(s.t.app.vault, row)).toEqual(before);

      // Another replica refreshes: its advisory lock is free (Postgres released the dead session's).
      const provider = s.t.app.services.catalog.find((p) => p.id === "acme")!;
      const attempt = await getAccessToken({ services: s.t.app.services, provider, integrationId }).then(
        (r) => ({ ok: true as const, r }),
        (e: Error & { code?: string }) => ({ ok: false as const, code: e.code }),
      );
      const after = await s.t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
      if (rotate) {
        expect(attempt).toEqual({ ok: false, code: "invalid_grant" });
        expect(after.status).toBe("REAUTH_REQUIRED");
        const shown = await s.t.gql(`query($id: ID!) { integration(id: $id) { status suggestedAction } }`, { cookie: user.cookie, variables: { id: integrationId } });
        expect(shown.body.data.integration).toEqual({ status: "REAUTH_REQUIRED", suggestedAction: "Reconnect" });
      } else {
        expect(attempt.ok).toBe(true);
        expect(after.status).toBe("CONNECTED");
        const test = await s.t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status } }`, { cookie: user.cookie, variables: { id: integrationId } });
        expect(test.body.data.testIntegration.status).toBe("HEALTHY");
      }
      // No lost or duplicated history rows: one per check, none written by the dead replica.
      const logs = await s.t.app.db.prisma.integrationHealthLog.findMany({ where: { integrationId } });
      expect(new Set(logs.map((l) => l.id)).size).toBe(logs.length);
    }, 90_000);
  }
});
