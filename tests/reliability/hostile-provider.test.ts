import { createServer, type Server } from "node:http";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { freePort, startTestApp, type TestApp } from "../support/app.ts";

// A provider that answers badly in every way a real one sometimes does: HTML error pages,
// non-JSON, JSON without the fields, answers far too large, redirects. The app must turn each
// into a clear error code, store nothing half-done, and keep serving.

const enabled = await requirePostgres();

type Mode = "html500" | "notjson" | "missing" | "huge" | "redirect" | "ok";

describe.skipIf(!enabled)("a hostile provider", () => {
  let server: Server;
  let t: TestApp;
  let dir: string;
  let mode: Mode = "ok";
  let userinfoMode: Mode = "ok";

  beforeAll(async () => {
    const port = await freePort();
    server = createServer((req, res) => {
      const path = (req.url ?? "").split("?")[0];
      const answer = (m: Mode, okBody: string) => {
        switch (m) {
          case "html500":
            res.writeHead(500, { "content-type": "text/html" }).end("<html><body><h1>Internal Server Error</h1></body></html>");
            return;
          case "notjson":
            res.writeHead(200, { "content-type": "application/json" }).end("this is { not json");
            return;
          case "missing":
            res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token_type: "bearer", note: "no access_token here" }));
            return;
          case "huge":
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ access_token: "x", token_type: "bearer", pad: "y".repeat(3 * 1024 * 1024) }));
            return;
          case "redirect":
            res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data" }).end();
            return;
          default:
            res.writeHead(200, { "content-type": "application/json" }).end(okBody);
        }
      };
      req.resume();
      if (path === "/token") return answer(mode, JSON.stringify({ access_token: "hostile-access-token", token_type: "bearer", expires_in: 3600, refresh_token: "hostile-refresh-token" }));
      if (path === "/userinfo") return answer(userinfoMode, JSON.stringify({ sub: "u-1", email: "who@hostile.example" }));
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    dir = mkdtempSync(join(tmpdir(), "sb-hostile-"));
    const file = join(dir, "providers.yaml");
    writeFileSync(
      file,
      `evil:\n  type: oauth2\n  name: Evil\n  authorizationUrl: http://127.0.0.1:${port}/authorize\n  tokenUrl: http://127.0.0.1:${port}/token\n  userinfoUrl: http://127.0.0.1:${port}/userinfo\n  clientId: c\n  clientSecret: s\n  scopes: [read]\n  pkce: true\n`,
    );
    t = await startTestApp({ database: "postgres", env: { PROVIDERS_FILE: file } });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function attempt(user: { cookie: string }) {
    const started = await t.gql(`mutation { connectIntegration(provider: "evil") { authorizationUrl } }`, { cookie: user.cookie });
    const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
    const state = new URL(started.body.data.connectIntegration.authorizationUrl).searchParams.get("state")!;
    const done = await t.gql(`mutation($q: String!) { completeIntegrationConnection(provider: "evil", callbackQuery: $q) { errorCode integrationId } }`, {
      cookie: `${user.cookie}; ${binding}`,
      variables: { q: `?code=some-code&state=${state}` },
    });
    return done.body.data.completeIntegrationConnection as { errorCode: string | null; integrationId: string | null };
  }

  it("turns each bad token response into a clear error and stores nothing", async () => {
    const user = await t.signUp();
    const expected: Record<Exclude<Mode, "ok">, string> = { html500: "TOKEN_EXCHANGE_FAILED", notjson: "TOKEN_EXCHANGE_FAILED", missing: "TOKEN_EXCHANGE_FAILED", huge: "NETWORK", redirect: "TOKEN_EXCHANGE_FAILED" };
    for (const [m, code] of Object.entries(expected)) {
      mode = m as Mode;
      const outcome = await attempt(user);
      expect(outcome, m).toEqual({ errorCode: code, integrationId: null });
    }
    expect(await t.app.db.prisma.integration.count({ where: { workspaceId: user.workspaceId } })).toBe(0);
    expect((await t.gql("{ providers { id } }", { cookie: user.cookie })).status).toBe(200);
  });

  it("connects when tokens are fine, and records an unreadable account as a degraded first check", async () => {
    const user = await t.signUp();
    mode = "ok";
    userinfoMode = "html500";
    const outcome = await attempt(user);
    expect(outcome.errorCode).toBeNull();
    const row = await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: outcome.integrationId! } });
    expect(row).toMatchObject({ status: "CONNECTED", healthStatus: "DEGRADED" });
    // Every other kind of bad answer at the API step of a check is a failure with a code, not a crash.
    for (const m of ["notjson", "missing", "huge", "redirect", "html500"] as const) {
      userinfoMode = m;
      const test = await t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status errorCode steps { step ok code } } }`, { cookie: user.cookie, variables: { id: row.id } });
      expect(test.body.errors, m).toBeUndefined();
      const api = test.body.data.testIntegration.steps.find((s: { step: string }) => s.step === "api");
      expect(api.ok, m).toBe(false);
      expect(api.code, m).toMatch(/^(PROVIDER_ERROR|NETWORK|TOKEN_REVOKED)$/);
    }
    // The hostile values never reach a response or a log.
    expect(t.logs()).not.toContain("hostile-access-token");
    expect(t.responses.join("\n")).not.toContain("hostile-access-token");
  });
});
