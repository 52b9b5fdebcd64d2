import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/app.ts";

// `pnpm admin` while the real server runs on the embedded database (PGlite in DATA_DIR): the
// server is a child process started as `npm start` starts it (main.ts), and the CLI is
// `node scripts/admin.mjs`, which hands the command to the server over DATA_DIR/admin.sock.

const root = join(import.meta.dirname, "../..");
// One process (no tsx wrapper process), so SIGKILL really kills the server.
const TSX_LOADER = pathToFileURL(join(root, "api/node_modules/tsx/dist/loader.mjs")).href;

type Server = { child: ChildProcess; stdout: () => string; url: string; exited: Promise<number | null> };

async function startServer(dataDir: string): Promise<Server> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const child = spawn(process.execPath, ["--import", TSX_LOADER, join(root, "api/src/main.ts")], {
    cwd: root,
    env: { PATH: process.env.PATH, PORT: String(port), PUBLIC_URL: url, DATA_DIR: dataDir, LOG_LEVEL: "info", SWITCHBOARD_WEB_BUILD: join(dataDir, "no-web-build.js") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (c) => (out += c));
  child.stderr!.on("data", (c) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!out.includes("Switchboard ready at")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, stdout: () => out, url, exited };
}

async function stop(server: Server, signal: NodeJS.Signals = "SIGTERM") {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
  await server.exited;
}

function admin(args: string[], dataDir: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(root, "scripts/admin.mjs"), ...args], { cwd: root, env: { PATH: process.env.PATH, DATA_DIR: dataDir } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("exit", (code) => resolve({ code, stdout: stdout.trim(), stderr: stderr.trim(), ms: Date.now() - started }));
  });
}

/** What the operator reads: stdout, and stderr without JSON log lines and build-step progress. */
const visible = (r: { code: number | null; stdout: string; stderr: string }) => ({
  code: r.code,
  stdout: r.stdout,
  stderr: r.stderr
    .split("\n")
    .filter((line) => !line.startsWith("{") && !line.includes("▸"))
    .join("\n"),
});

const PASSWORD = "operator-pass-1";

describe("pnpm admin while the embedded server runs", () => {
  let dataDir: string;
  let server: Server;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "sb-adm-"));
    server = await startServer(dataDir);
  });
  afterAll(async () => {
    if (server) await stop(server);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("creates a user and a key through the running server; the key works against it", { timeout: 120_000 }, async () => {
    const socket = join(dataDir, "admin.sock");
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);

    const created = await admin(["create-user", "--email", "Ops@Example.test", "--password", PASSWORD, "--name", "Ops"], dataDir);
    expect(created.code, created.stderr).toBe(0);
    const user = JSON.parse(created.stdout);
    expect(user).toMatchObject({ email: "ops@example.test", name: "Ops", workspace: { name: "Ops's workspace" } });

    const key = await admin(["create-api-key", "--email", "ops@example.test", "--name", "deploy"], dataDir);
    expect(key.code, key.stderr).toBe(0);
    expect(key.stdout).toMatch(/^sb_[A-Za-z0-9]{40,}$/);
    expect(key.stderr).toMatch(/shown only this once/);

    const res = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key.stdout}` },
      body: JSON.stringify({ query: "{ viewer { role user { email } workspace { id } } }" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { viewer: { role: "OWNER", user: { email: "ops@example.test" }, workspace: { id: user.workspace.id } } } });

    // The server ran them (it logs each command's name), and logged neither key nor password.
    const logs = server.stdout();
    expect(logs).toContain('"command":"create-user"');
    expect(logs).toContain('"command":"create-api-key"');
    expect(logs).not.toContain(key.stdout);
    expect(logs).not.toContain(key.stdout.slice(0, 12));
    expect(logs).not.toContain(PASSWORD);
    expect(logs).not.toContain("ops@example.test");

    // One human line, once; the scheduler's line states the real intervals and concurrency.
    expect(logs.match(/Switchboard ready at/g)).toHaveLength(1);
    expect(logs).toContain(`Switchboard ready at ${server.url}\n`);
    const scheduler = logs.split("\n").find((l) => l.includes("health scheduler started"));
    expect(JSON.parse(scheduler!)).toMatchObject({ intervalSeconds: 300, retryIntervalSeconds: 30, concurrency: 16 });
    expect(scheduler).toMatch(/every 300 s \(every 30 s while failing\), up to 16 at a time/);
  });

  it("answers bad input the same way through the server and without it", { timeout: 180_000 }, async () => {
    const cases: [string[], RegExp, number][] = [
      [["create-user", "--email", "ops@example.test", "--password", PASSWORD], /already exists/, 64],
      [["create-user", "--email", "not-an-email", "--password", PASSWORD], /must be an email/, 64],
      [["create-user", "--email", "x@example.test", "--password", "short"], /at least 12/, 64],
      [["create-api-key", "--email", "nobody@example.test", "--name", "k"], /no user with email/, 64],
      [["create-api-key", "--email", "ops@example.test"], /--name is required/, 64],
      [["create-user", "--email", "a@b.co", "--bogus", "1"], /Unknown option '--bogus'/, 64],
      [["check-now", "--integration", "no-such-id"], /no integration with id no-such-id/, 64],
      [["frobnicate"], /Unknown command "frobnicate"/, 64],
    ];
    const through = [];
    for (const [args, message, code] of cases) {
      const r = visible(await admin(args, dataDir));
      expect(r.code, args.join(" ")).toBe(code);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.stdout, args.join(" ")).toBe("");
      through.push(r);
    }
    expect(server.stdout()).toContain('"command":"check-now","exitCode":64');
    // Arguments never reach the server's logs (an unknown command is answered by the CLI).
    expect(server.stdout()).not.toContain("frobnicate");
    expect(server.stdout()).not.toContain("no-such-id");

    await stop(server);
    expect(existsSync(join(dataDir, "admin.sock"))).toBe(false);
    for (const [i, [args]] of cases.entries()) {
      expect(visible(await admin(args, dataDir)), args.join(" ")).toEqual(through[i]);
    }
    server = await startServer(dataDir);
  });

  it("survives a SIGKILLed server: the CLI opens the database itself, and the next start takes over", { timeout: 180_000 }, async () => {
    await stop(server, "SIGKILL");
    const socket = join(dataDir, "admin.sock");
    expect(statSync(socket).isSocket()).toBe(true); // left behind
    expect(readFileSync(join(dataDir, "pglite.lock"), "utf8").trim()).toBe(String(server.child.pid));

    const local = await admin(["create-api-key", "--email", "ops@example.test", "--name", "after-crash"], dataDir);
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toMatch(/^sb_[A-Za-z0-9]{40,}$/);

    server = await startServer(dataDir);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const again = await admin(["create-api-key", "--email", "ops@example.test", "--name", "after-restart"], dataDir);
    expect(again.code, again.stderr).toBe(0);
    expect(server.stdout()).toContain('"command":"create-api-key"');
    for (const k of [local.stdout, again.stdout]) {
      const res = await fetch(`${server.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${k}` },
        body: JSON.stringify({ query: "{ viewer { user { email } } }" }),
      });
      expect(res.status).toBe(200);
      expect((await res.json()).data.viewer.user.email).toBe("ops@example.test");
    }
  });
});
