import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "@switchboard/api/env";
import { buildApp, type App } from "@switchboard/api/app";
import { createLogger } from "@switchboard/api/logger";
import { createTestDatabase, requirePostgres, type TestDatabase } from "../support/postgres.ts";
import { freePort, testSecrets } from "../support/app.ts";

// `pnpm admin` as an operator runs it: a separate process on the same database as the server.

const root = join(import.meta.dirname, "../..");
function admin(args: string[], env: Record<string, string>) {
  const result = spawnSync(join(root, "api/node_modules/.bin/tsx"), [join(root, "api/src/cli/admin.ts"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { PATH: process.env.PATH, LOG_LEVEL: "warn", ...env },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

const enabled = await requirePostgres();

describe.skipIf(!enabled)("admin CLI on Postgres", () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let app: App;
  let url: string;
  let dataDir: string;
  beforeAll(async () => {
    db = await createTestDatabase("cli");
    const port = await freePort();
    // A DATA_DIR of its own (the sandbox keeps its state there), not the checkout's ./data.
    dataDir = mkdtempSync(join(tmpdir(), "sb-cli-pg-"));
    env = { DATABASE_URL: db.url, DATA_DIR: dataDir, ...testSecrets(), PUBLIC_URL: `http://localhost:${port}` };
    app = await buildApp({ env: parseEnv({ ...env, NODE_ENV: "test", HEALTH_SCHEDULER: "off" }), logger: createLogger({ level: "silent" }) });
    url = await app.listen(port, "127.0.0.1");
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("creates a user with a workspace, then an API key that works against the running server", async () => {
    const created = admin(["create-user", "--email", "Ops@Example.test", "--password", "operator-pass-1", "--name", "Ops"], env);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const user = JSON.parse(created.stdout);
    expect(user).toMatchObject({ email: "ops@example.test", name: "Ops", workspace: { name: "Ops's workspace" } });

    const key = admin(["create-api-key", "--email", "ops@example.test", "--name", "deploy"], env);
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^sb_[A-Za-z0-9]{40,}$/);
    expect(key.stderr).toMatch(/shown only this once/);
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key.stdout}` },
      body: JSON.stringify({ query: "{ viewer { role user { email } workspace { id } } }" }),
    });
    expect(await res.json()).toEqual({ data: { viewer: { role: "OWNER", user: { email: "ops@example.test" }, workspace: { id: user.workspace.id } } } });

    // --permissions: a proxy+credentials key cannot read GraphQL but can read a token route (404: no such connection).
    const scoped = admin(["create-api-key", "--email", "ops@example.test", "--name", "svc", "--permissions", "proxy,credentials"], env);
    expect(scoped.code).toBe(0);
    expect(scoped.stderr).toMatch(/proxy, credentials/);
    const gql = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${scoped.stdout}` }, body: JSON.stringify({ query: "{ viewer { role } }" }) });
    expect(gql.status).toBe(403);
    const token = await fetch(`${url}/api/connections/nothing-here/token`, { method: "POST", headers: { authorization: `Bearer ${scoped.stdout}` } });
    expect(token.status).toBe(404);

    // The password works for signing in.
    const signIn = await fetch(`${url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: env.PUBLIC_URL! },
      body: JSON.stringify({ email: "ops@example.test", password: "operator-pass-1" }),
    });
    expect(signIn.status).toBe(200);
  });

  it("answers bad input with a clear error and a non-zero exit", () => {
    const cases: [string[], RegExp][] = [
      [["create-user", "--email", "ops@example.test", "--password", "operator-pass-1"], /already exists/],
      [["create-user", "--email", "not-an-email", "--password", "operator-pass-1"], /must be an email/],
      [["create-user", "--email", "x@example.test", "--password", "short"], /at least 12/],
      [["create-user", "--password", "operator-pass-1"], /--email is required/],
      [["create-api-key", "--email", "nobody@example.test", "--name", "k"], /no user with email/],
      [["create-api-key", "--email", "ops@example.test"], /--name is required/],
      [["create-api-key", "--email", "ops@example.test", "--name", "k", "--permissions", "read,admin"], /--permissions: Unknown permission "admin"/],
      [["create-api-key", "--email", "ops@example.test", "--name", "k", "--permissions", ","], /--permissions: Give at least one permission/],
      [["create-user", "--email", "a@b.co", "--bogus", "1"], /Unknown option/],
      [["frobnicate"], /Unknown command/],
    ];
    for (const [args, message] of cases) {
      const r = admin(args, env);
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.stdout).toBe("");
    }
  });

  it("refuses to start without secrets when pointed at a real database", () => {
    const r = admin(["create-user", "--email", "y@example.test", "--password", "operator-pass-1"], { DATABASE_URL: db.url });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ENCRYPTION_KEYS and AUTH_SECRET must be set/);
  });
});

describe("admin CLI on the embedded database", () => {
  // A server started by main.ts answers the CLI over DATA_DIR/admin.sock (admin-socket.test.ts);
  // an app without that socket (buildApp in a test, a server starting) is waited for, then named.
  it("works while the server is stopped and says so clearly while another process holds it", { timeout: 90_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sb-cli-"));
    try {
      const ok = admin(["create-user", "--email", "solo@example.test", "--password", "solo-pass-12"], { DATA_DIR: dataDir });
      expect(ok.code, ok.stderr).toBe(0);
      const app = await buildApp({ env: parseEnv({ DATA_DIR: dataDir, NODE_ENV: "test", HEALTH_SCHEDULER: "off" }), logger: createLogger({ level: "silent" }) });
      try {
        expect(await app.db.prisma.user.count({ where: { email: "solo@example.test" } })).toBe(1);
        const busy = admin(["create-user", "--email", "two@example.test", "--password", "solo-pass-12"], { DATA_DIR: dataDir });
        expect(busy.code).not.toBe(0);
        expect(busy.stderr).toMatch(/in use by another Switchboard process .*stop the server first/);
      } finally {
        await app.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
