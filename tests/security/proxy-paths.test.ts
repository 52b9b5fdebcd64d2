import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { requirePostgres } from "../support/postgres.ts";
import { sealTokens } from "../../api/src/domain/integrations/tokens.ts";

// The proxy forwards under a connection's API base and nowhere else (issue 15 item 2). Every
// escape form below is sent raw (a socket writes the request line byte for byte: fetch and
// node:http would normalise or refuse some of them before they left) to two connections: a
// catalog provider whose API base is a path on a local listener that records every request
// it gets, and the Slack emulator, whose base (/sandbox/slack/api) sits beside the sandbox's
// own controls on this server. Each must be answered 400 with nothing forwarded: the listener
// sees no request and the emulator counts no call. Paths that look odd but stay under the base
// are forwarded, byte for byte, under it.

/** The request line's target, exactly as given; returns the status code the server answered. */
function rawStatus(url: string, target: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      const lines = [`GET ${target} HTTP/1.1`, `Host: ${hostname}:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "Connection: close", "", ""];
      socket.write(Buffer.from(lines.join("\r\n"), "utf8"));
    });
    let text = "";
    socket.on("data", (chunk) => (text += chunk.toString("latin1")));
    socket.on("end", () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      if (status) resolve(Number(status));
      else reject(new Error(`no status line for ${JSON.stringify(target)}: ${JSON.stringify(text.slice(0, 80))}`));
    });
    socket.on("error", reject);
  });
}

describe.skipIf(!(await requirePostgres()))("proxy paths never leave the connection's API base", () => {
  let t: TestApp;
  let listener: Server;
  let listenerPort: number;
  let dir: string;
  const seen: string[] = [];
  let localId: string;
  let slackId: string;
  let key: string;

  beforeAll(async () => {
    listenerPort = await freePort();
    listener = createServer((req, res) => {
      seen.push(req.url ?? "");
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ path: req.url }));
      });
    });
    await new Promise<void>((resolve) => listener.listen(listenerPort, "127.0.0.1", resolve));
    dir = mkdtempSync(join(tmpdir(), "sb-proxy-paths-"));
    const file = join(dir, "providers.yaml");
    writeFileSync(
      file,
      [
        "local:",
        "  type: oauth2",
        '  name: "Local API"',
        `  authorizationUrl: "http://127.0.0.1:${listenerPort}/authorize"`,
        `  tokenUrl: "http://127.0.0.1:${listenerPort}/token"`,
        `  apiBaseUrl: "http://127.0.0.1:${listenerPort}/base/api"`,
        "  clientId: local-client",
        "  clientSecret: local-secret",
        "",
      ].join("\n"),
    );
    t = await startTestApp({ database: "postgres", env: { PROVIDERS_FILE: file, ...testSecrets() } });
    const owner = await t.signUp({ name: "Olive" });
    slackId = await connectSandbox(t, owner, "slack");
    localId = "local-paths";
    await t.app.db.prisma.integration.create({
      data: {
        id: localId,
        workspaceId: owner.workspaceId,
        providerId: "local",
        accountId: localId,
        status: "CONNECTED",
        ...sealTokens(t.app.vault, localId, { accessToken: "local-token", refreshToken: "local-refresh" }),
        tokenExpiresAt: new Date(Date.now() + 3_600_000),
        tokenIssuedAt: new Date(),
      },
    });
    const created = await t.gql(`mutation { createApiKey(name: "proxy", permissions: [PROXY]) { key } }`, { cookie: owner.cookie });
    key = created.body.data.createApiKey.key;
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => listener?.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const escapes = () => [
    "..",
    "../x",
    "../../_control",
    "../../../sandbox/_control",
    "./auth.test",
    "a/../../x",
    "a/./b",
    "%2e%2e/x",
    "%2E%2E/x",
    "%2e./x",
    ".%2E/x",
    "a/%2e%2e/%2e%2e/x",
    "%2e%2e%2fx",
    "..%2fx",
    "..%2Fx",
    "..%5cx",
    "..%5Cx",
    "..\\x",
    "a\\..\\..\\x",
    "%5c%5cevil.example/x",
    "..;/x",
    "%2e%2e;jsessionid=1/x",
    "/..",
    "/x",
    `/127.0.0.1:${listenerPort}/x`,
    "//evil.example/x",
    "a//b",
    "a/b//c",
    `@127.0.0.1:${listenerPort}/x`,
    `x@127.0.0.1:${listenerPort}/y`,
    `http://127.0.0.1:${listenerPort}/x`,
    `http:%2f%2f127.0.0.1:${listenerPort}/x`,
    "https:evil.example",
    "javascript:alert(1)",
    "%252e%252e/x",
    "%252f..",
    "%255c..",
    "%c0%ae%c0%ae/x",
    "%zz",
    "a%00",
    "a%0d%0aX-Injected:%201",
    "a%09b",
    "a\tb",
    "caf\u00e9",
    "\uff0e\uff0e/x",
    "a#/../../x",
    "a?x=1#/../../y",
  ];

  it("refuses every escape form with 400 and forwards nothing, for a catalog base and for the Slack emulator", async () => {
    const slackCalls = t.app.sandbox!.stats("slack").apiCalls;
    const failures: string[] = [];
    for (const id of [localId, slackId]) {
      for (const path of escapes()) {
        const status = await rawStatus(t.url, `/proxy/${id}/${path}`, { authorization: `Bearer ${key}` });
        if (status !== 400) failures.push(`${id} ${JSON.stringify(path)} → ${status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(seen).toEqual([]);
    expect(t.app.sandbox!.stats("slack").apiCalls).toBe(slackCalls);
  });

  it("a malformed connection id answers as a missing connection (404), and absolute-form targets never reach the proxy", async () => {
    for (const target of [`/proxy/../${localId}/x`, `/proxy/%2e%2e/${localId}/x`, `/proxy//${localId}/x`, `/proxy/${localId}%2fx/y`, `/proxy/a@b/x`]) {
      expect(await rawStatus(t.url, target, { authorization: `Bearer ${key}` }), target).toBe(404);
    }
    for (const target of [`http://127.0.0.1:${listenerPort}/base/api/x`, `http://127.0.0.1:${listenerPort}/proxy/${localId}/x`]) {
      expect(await rawStatus(t.url, target, { authorization: `Bearer ${key}` }), target).not.toBe(200);
    }
    expect(seen).toEqual([]);
  });

  it("paths that stay under the base are forwarded exactly as sent, under the base; the query is passed on untouched", async () => {
    const safe = ["x", "a/b/c", "a/", "", "file%2ejson", "...", "v1/users/me%40example.com", "v1/x:batchGet", "a;b=c", "%E2%80%A4%E2%80%A4/x", "x?q=../../etc&r=%2F..%2F&s=@evil.example"];
    for (const path of safe) {
      const status = await rawStatus(t.url, `/proxy/${localId}/${path}`, { authorization: `Bearer ${key}` });
      expect(status, path).toBe(200);
    }
    expect(await rawStatus(t.url, `/proxy/${localId}`, { authorization: `Bearer ${key}` })).toBe(200);
    expect(seen).toEqual([...safe.map((p) => `/base/api/${p}`), "/base/api"]);
    expect(seen.every((p) => p === "/base/api" || p.startsWith("/base/api/"))).toBe(true);
  });
});
