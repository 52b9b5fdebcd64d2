import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { consentThroughOidc } from "../support/oidc-connect.ts";
import { startOidcServer, type OidcServer } from "../support/oidc-server.ts";
import { requirePostgres } from "../support/postgres.ts";
import { openTokens, sealTokens } from "../../api/src/domain/integrations/tokens.ts";
import { sandboxSlackPosts } from "../../api/src/sandbox/slack.ts";

// Issue 15 items 2-4 and the proxy's part of 6: /proxy/{integrationId}/{path} over real HTTP,
// against each provider's emulator (the built-ins in sandbox mode), a real OIDC server (a catalog
// provider's API) and a local HTTP server standing in for a catalog oauth2 provider, which shows
// exactly what reached the provider (headers, bodies, bytes written, token grants).

const MB = 1024 * 1024;

type Seen = { method: string; url: string; headers: IncomingMessage["headers"]; rawHeaders: string[]; bodyBytes: number };

/** A catalog provider's API and token endpoint on a local port, recording everything it receives. */
async function startUpstream(port: number) {
  const seen: Seen[] = [];
  const state = { tokenRequests: 0, issued: 0, bigWritten: 0, redirectTargetHits: 0 };
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer(async (req, res) => {
    let bodyBytes = 0;
    const chunks: Buffer[] = [];
    const url = req.url ?? "/";
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        bodyBytes += chunk.length;
        if (chunks.length < 64) chunks.push(chunk);
      }
    } catch {
      // The proxy cut the request off (a body past its limit): recorded, never answered.
      seen.push({ method: req.method ?? "", url, headers: req.headers, rawHeaders: req.rawHeaders, bodyBytes });
      return;
    }
    seen.push({ method: req.method ?? "", url, headers: req.headers, rawHeaders: req.rawHeaders, bodyBytes });
    const json = (status: number, body: unknown, headers: Record<string, string | string[]> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    if (url === "/token") {
      state.tokenRequests++;
      const grant = new URLSearchParams(Buffer.concat(chunks).toString()).get("grant_type");
      if (grant !== "refresh_token") return json(400, { error: "unsupported_grant_type" });
      return json(200, { access_token: `local-access-${++state.issued}`, token_type: "Bearer", expires_in: 3600, refresh_token: "local-refresh" });
    }
    if (url.startsWith("/steal")) {
      state.redirectTargetHits++;
      return json(200, { stolen: true });
    }
    const path = url.split("?")[0]!;
    if (path === "/base/api/echo" || path === "/base/api/echo/") {
      res.setHeader("x-provider", "yes");
      res.setHeader("retry-after", "7");
      res.setHeader("set-cookie", ["provider_session=abc; Path=/", "other=1"]);
      res.setHeader("connection", "x-hop-back");
      res.setHeader("x-hop-back", "must not pass");
      res.setHeader("proxy-authenticate", "Basic");
      res.setHeader("link", ["<https://a.example>; rel=next", "<https://b.example>; rel=prev"]);
      return json(200, { method: req.method, url, headers: req.headers, rawHeaders: req.rawHeaders, bodyBytes, body: Buffer.concat(chunks).toString("utf8").slice(0, 200) });
    }
    if (path === "/base/api/redirect") {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/steal` });
      return res.end();
    }
    if (path === "/base/api/always401") return json(401, { error: "invalid_token" }, { "www-authenticate": 'Bearer error="invalid_token"' });
    if (path === "/base/api/hang") {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    if (path === "/base/api/status/503") return json(503, { error: "unavailable" }, { "retry-after": "3" });
    if (path === "/base/api/huge-declared") {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(70 * MB) });
      res.write(Buffer.alloc(1024));
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    if (path === "/base/api/big") {
      // Chunked (no Content-Length), written only as fast as the reader takes it.
      const total = Number(new URL(url, "http://x").searchParams.get("mb") ?? "1") * MB;
      const chunk = Buffer.alloc(64 * 1024, 120);
      res.writeHead(200, { "content-type": "application/octet-stream" });
      let written = 0;
      res.on("close", () => (state.bigWritten = written));
      while (written < total && !res.destroyed) {
        const ok = res.write(chunk);
        written += chunk.length;
        state.bigWritten = written;
        if (!ok) await new Promise((resolve) => res.once("drain", resolve));
      }
      return res.end();
    }
    return json(404, { error: "not_found" });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    seen,
    state,
    apiCalls: (suffix: string) => seen.filter((s) => s.url.split("?")[0] === `/base/api/${suffix}`).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A raw request: the path goes on the request line exactly as given (fetch would normalise it). */
function raw(url: string, path: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer | string } = {}): Promise<{ status: number; headers: IncomingMessage["headers"]; rawHeaders: string[]; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: options.method ?? "GET", headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

describe.skipIf(!(await requirePostgres()))("the proxy: /proxy/{integrationId}/{path}", () => {
  let t: TestApp;
  let oidc: OidcServer;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let dir: string;
  let upstreamPort: number;
  let owner: Awaited<ReturnType<TestApp["signUp"]>>;
  let other: Awaited<ReturnType<TestApp["signUp"]>>;
  const ids: Record<string, string> = {};
  let proxyKey: string;
  let readKey: string;
  let otherProxyKey: string;
  const auth = () => ({ authorization: `Bearer ${proxyKey}` });

  async function createKey(cookie: string, name: string, permissions: string[]): Promise<string> {
    const res = await t.gql(`mutation($n: String!, $p: [ApiKeyPermission!]) { createApiKey(name: $n, permissions: $p) { key } }`, { cookie, variables: { n: name, p: permissions } });
    if (!res.body.data?.createApiKey) throw new Error(JSON.stringify(res.body.errors));
    return res.body.data.createApiKey.key;
  }

  /** A connection to the local catalog provider, stored as a connect would store it. */
  async function seedLocal(workspaceId: string, name: string): Promise<string> {
    const id = `local-${name}-${Date.now()}`;
    await t.app.db.prisma.integration.create({
      data: {
        id,
        workspaceId,
        providerId: "local",
        accountId: id,
        status: "CONNECTED",
        healthStatus: "HEALTHY",
        ...sealTokens(t.app.vault, id, { accessToken: `local-initial-${name}`, refreshToken: "local-refresh" }),
        tokenExpiresAt: new Date(Date.now() + 3_600_000),
        tokenIssuedAt: new Date(),
        connectedAt: new Date(),
        nextHealthCheckAt: new Date(Date.now() + 300_000),
      },
    });
    return id;
  }

  const proxy = (id: string, path: string, init: RequestInit = {}) => fetch(`${t.url}/proxy/${id}/${path}`, { redirect: "manual", ...init, headers: { ...auth(), ...(init.headers as Record<string, string>) } });
  const accessTokenOf = async (id: string) => openTokens(t.app.vault, await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id } }))!.accessToken;
  const trafficRows = (id: string) => t.app.db.prisma.integrationHealthLog.findMany({ where: { integrationId: id, trigger: "TRAFFIC" as never }, orderBy: { checkedAt: "asc" } });
  const callsIn = (rows: { steps: unknown }[]) => rows.reduce((n, r) => n + Number(/(\d+) calls?/.exec(JSON.stringify(r.steps))?.[1] ?? 0), 0);

  beforeAll(async () => {
    const appPort = await freePort();
    upstreamPort = await freePort();
    oidc = await startOidcServer({ port: await freePort(), redirectUris: [`http://localhost:${appPort}/api/integrations/oauth/callback/acme`] });
    upstream = await startUpstream(upstreamPort);
    dir = mkdtempSync(join(tmpdir(), "sb-proxy-"));
    const file = join(dir, "providers.yaml");
    writeFileSync(
      file,
      [
        "acme:",
        "  type: oidc",
        '  name: "Acme ID"',
        `  issuer: "${oidc.issuer}"`,
        `  clientId: ${oidc.clientId}`,
        `  clientSecret: ${oidc.clientSecret}`,
        "  scopes: [openid, offline_access, email, profile]",
        `  apiBaseUrl: "${oidc.issuer}"`,
        "local:",
        "  type: oauth2",
        '  name: "Local API"',
        `  authorizationUrl: "http://127.0.0.1:${upstreamPort}/authorize"`,
        `  tokenUrl: "http://127.0.0.1:${upstreamPort}/token"`,
        `  apiBaseUrl: "http://127.0.0.1:${upstreamPort}/base/api"`,
        "  clientId: local-client",
        "  clientSecret: local-secret",
        "  scopes: [read]",
        "",
      ].join("\n"),
    );
    t = await startTestApp({
      database: "postgres",
      port: appPort,
      env: {
        PROVIDERS_FILE: file,
        ...testSecrets(),
        HEALTH_TRAFFIC_WINDOW_SECONDS: "1",
        HEALTH_SKIP_WHEN_ACTIVE_SECONDS: "600",
        PROXY_MAX_REQUEST_BYTES: String(MB),
        PROXY_MAX_RESPONSE_BYTES: String(60 * MB),
        PROXY_TIMEOUT_MS: "1500",
        PROXY_MAX_CONCURRENT_PER_CONNECTION: "20",
      },
    });
    owner = await t.signUp({ name: "Olive" });
    other = await t.signUp({ name: "Otto" });
    for (const p of ["slack", "hubspot", "google", "salesforce"]) ids[p] = await connectSandbox(t, owner, p);
    ids.acme = await consentThroughOidc(t, oidc, owner);
    ids.local = await seedLocal(owner.workspaceId, "main");
    proxyKey = await createKey(owner.cookie, "proxy", ["PROXY"]);
    readKey = await createKey(owner.cookie, "reader", ["READ"]);
    otherProxyKey = await createKey(other.cookie, "other proxy", ["PROXY"]);
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
    await oidc?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("Slack: a form POST (chat.postMessage) with the connection's token, answered as Slack answers", async () => {
    const before = t.app.sandbox!.stats("slack").apiCalls;
    const res = await proxy(ids.slack!, "chat.postMessage", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "channel=general&text=through+the+proxy" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, channel: "C0GENERAL" });
    const post = sandboxSlackPosts(t.origin).at(-1)!;
    expect(post).toMatchObject({ via: "chat.postMessage", text: "through the proxy" });
    expect(post.token).toBe(await accessTokenOf(ids.slack!));
    // Slack's x-oauth-scopes (a provider header) comes back as it was sent.
    expect(res.headers.get("x-oauth-scopes")).toContain("chat:write");
    const test = await proxy(ids.slack!, "auth.test", { method: "POST" });
    expect(await test.json()).toMatchObject({ ok: true, team_id: "T0SANDBOX" });
    expect(t.app.sandbox!.stats("slack").apiCalls - before).toBe(2);
  });

  it("HubSpot: a JSON GET; Google: GET userinfo; Salesforce: REST on the connection's instance URL", async () => {
    const hubspot = await proxy(ids.hubspot!, "account-info/v3/details");
    expect(hubspot.status).toBe(200);
    expect(hubspot.headers.get("content-type")).toContain("application/json");
    expect(await hubspot.json()).toMatchObject({ portalId: expect.any(Number) });

    const google = await proxy(ids.google!, "oauth2/v3/userinfo");
    expect(google.status).toBe(200);
    expect(await google.json()).toMatchObject({ sub: expect.any(String), email: expect.stringContaining("@") });

    const row = await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: ids.salesforce! } });
    expect((row.providerConfig as { instance_url: string }).instance_url).toMatch(/\/sandbox\/salesforce$/);
    const limits = await proxy(ids.salesforce!, "services/data/v62.0/limits");
    expect(limits.status).toBe(200);
    expect(await limits.json()).toMatchObject({ DailyApiRequests: { Max: expect.any(Number) } });
    const q = encodeURIComponent("SELECT Id, Name, IsSandbox FROM Organization");
    const query = await proxy(ids.salesforce!, `services/data/v62.0/query?q=${q}`);
    expect(query.status).toBe(200);
    expect(await query.json()).toMatchObject({ records: [expect.objectContaining({ Name: expect.any(String) })] });
  });

  it("a catalog OIDC provider's API (oidc-provider's userinfo at {issuer}/me)", async () => {
    const res = await proxy(ids.acme!, "me");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ sub: "alice" });
  });

  it("headers: the caller's credentials, cookies and hop-by-hop fields stay here; the provider's cookies and hop-by-hop fields do not come back", async () => {
    const res = await raw(t.url, `/proxy/${ids.local}/echo?a=1&b=%2F&c=x'y&d=`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${proxyKey}`,
        cookie: "switchboard.session_token=secret-session",
        "content-type": "application/json",
        connection: "keep-alive, x-hop",
        "x-hop": "named by Connection",
        "keep-alive": "timeout=5",
        "proxy-authorization": "Basic c2VjcmV0",
        te: "trailers",
        "x-forwarded-for": "10.9.8.7",
        "x-forwarded-host": "evil.example",
        forwarded: "for=10.9.8.7",
        "x-switchboard-client-address": "1.2.3.4",
        "x-custom": "kept",
        "user-agent": "proxy-test/1",
      },
      body: JSON.stringify({ hello: "provider" }),
    });
    expect(res.status).toBe(200);
    const got = JSON.parse(res.text) as { method: string; url: string; headers: Record<string, string>; body: string };
    expect(got.method).toBe("POST");
    expect(got.url).toBe("/base/api/echo?a=1&b=%2F&c=x'y&d=");
    expect(got.body).toBe('{"hello":"provider"}');
    expect(got.headers.authorization).toBe("Bearer local-initial-main");
    expect(got.headers.host).toBe(`127.0.0.1:${upstreamPort}`);
    for (const name of ["cookie", "x-hop", "keep-alive", "proxy-authorization", "te", "x-forwarded-for", "x-forwarded-host", "forwarded", "x-switchboard-client-address"]) expect(got.headers, name).not.toHaveProperty(name);
    expect(got.headers["x-custom"]).toBe("kept");
    expect(got.headers["user-agent"]).toBe("proxy-test/1");
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["content-length"]).toBe("20");

    expect(res.headers["set-cookie"]).toBeUndefined();
    expect(res.headers["x-hop-back"]).toBeUndefined();
    expect(res.headers["proxy-authenticate"]).toBeUndefined();
    expect(res.headers["x-provider"]).toBe("yes");
    expect(res.headers["retry-after"]).toBe("7");
    expect(res.headers["content-security-policy"]).toBe("sandbox");
    // Repeated fields stay separate lines.
    expect(res.rawHeaders.filter((h) => h.toLowerCase() === "link")).toHaveLength(2);
  });

  it("any method; redirects are returned, never followed", async () => {
    for (const method of ["PUT", "PATCH", "DELETE", "GET"]) {
      const res = await proxy(ids.local!, "echo", { method, ...(method === "GET" ? {} : { body: `body of ${method}` }) });
      expect(await res.json()).toMatchObject({ method, ...(method === "GET" ? { bodyBytes: 0 } : { body: `body of ${method}` }) });
    }
    const redirect = await proxy(ids.local!, "redirect");
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toMatch(/\/steal$/);
    expect(upstream.state.redirectTargetHits).toBe(0);
  });

  it("request bodies: large ones stream through; over PROXY_MAX_REQUEST_BYTES they are refused (413) before or while forwarding", async () => {
    const big = Buffer.alloc(600 * 1024, 97);
    const res = await proxy(ids.local!, "echo", { method: "POST", body: big });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ bodyBytes: big.length });

    const before = upstream.seen.length;
    const declared = await raw(t.url, `/proxy/${ids.local}/echo`, { method: "POST", headers: { authorization: `Bearer ${proxyKey}`, "content-length": String(2 * MB) }, body: Buffer.alloc(2 * MB) }).catch(() => ({ status: 413, text: "" }));
    expect(declared.status).toBe(413);
    expect(upstream.seen.length).toBe(before);

    // Chunked, no length: cut off once past the limit; the provider never gets a whole body.
    const chunked = await raw(t.url, `/proxy/${ids.local}/echo`, { method: "POST", headers: { authorization: `Bearer ${proxyKey}`, "transfer-encoding": "chunked" }, body: Buffer.alloc(2 * MB) }).catch(() => ({ status: 413, text: "" }));
    expect(chunked.status).toBe(413);
    expect(upstream.seen.slice(before).every((s) => s.bodyBytes <= MB)).toBe(true);
  });

  it("answers: a declared length over PROXY_MAX_RESPONSE_BYTES is refused (502); a silent provider times out (504)", async () => {
    const huge = await proxy(ids.local!, "huge-declared");
    expect(huge.status).toBe(502);
    expect(await huge.json()).toMatchObject({ error: "response_too_large" });
    expect(huge.headers.get("x-switchboard-proxy-error")).toBe("response_too_large");
    const started = Date.now();
    const hang = await proxy(ids.local!, "hang");
    expect(hang.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(await hang.json()).toMatchObject({ error: "provider_timeout" });
  });

  it("streams a 50 MB answer with backpressure: the provider writes only as fast as a slow reader reads, and memory stays flat", async () => {
    const baseline = process.memoryUsage();
    let peak = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers - (baseline.heapUsed + baseline.arrayBuffers));
    }, 20);
    const { hostname, port } = new URL(t.url);
    const result = await new Promise<{ received: number; writtenWhilePaused: number }>((resolve, reject) => {
      const req = request({ hostname, port, path: `/proxy/${ids.local}/big?mb=50`, headers: auth(), agent: false }, (res) => {
        expect(res.statusCode).toBe(200);
        let received = 0;
        let writtenWhilePaused = -1;
        res.on("data", (chunk: Buffer) => {
          received += chunk.length;
          if (writtenWhilePaused < 0 && received >= MB) {
            // A slow reader: stop for a while and see how far the provider got meanwhile.
            writtenWhilePaused = 0;
            res.pause();
            setTimeout(() => {
              writtenWhilePaused = upstream.state.bigWritten;
              res.resume();
            }, 800);
          }
        });
        res.on("end", () => resolve({ received, writtenWhilePaused }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
    clearInterval(sampler);
    console.info(`50 MB through the proxy: ${(result.writtenWhilePaused / MB).toFixed(1)} MB written by the provider while the reader paused at 1 MB; peak heap+buffers growth ${(peak / MB).toFixed(1)} MB`);
    expect(result.received).toBe(50 * MB);
    // Socket buffers on two hops hold a few MB; without backpressure the whole 50 MB would be written.
    expect(result.writtenWhilePaused).toBeLessThan(20 * MB);
    expect(peak).toBeLessThan(40 * MB);
  });

  it("per-connection concurrency: past PROXY_MAX_CONCURRENT_PER_CONNECTION calls answer 429 with Retry-After, other connections are not affected", async () => {
    const id = await seedLocal(owner.workspaceId, "busy");
    const before = upstream.apiCalls("hang");
    const hanging = Array.from({ length: 20 }, () => proxy(id, "hang").then((r) => r.status));
    await expect.poll(() => upstream.apiCalls("hang") - before, { timeout: 5000 }).toBe(20);
    const refused = await proxy(id, "echo");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toMatchObject({ error: "too_many_calls" });
    expect((await proxy(ids.local!, "echo")).status).toBe(200);
    expect(await Promise.all(hanging)).toEqual(Array(20).fill(504));
    expect((await proxy(id, "echo")).status).toBe(200);
  });

  it("callers that leave while their key is checked free their slots: the next calls are all admitted", async () => {
    const id = await seedLocal(owner.workspaceId, "leavers");
    const { hostname, port } = new URL(t.url);
    // Forty callers send a request and hang up as soon as it is written, before any answer.
    await Promise.all(
      Array.from(
        { length: 40 },
        () =>
          new Promise<void>((resolve) => {
            const req = request({ hostname, port, path: `/proxy/${id}/echo`, headers: auth(), agent: false });
            req.on("error", () => resolve());
            req.on("close", () => resolve());
            req.end(() => req.destroy());
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 500));
    // Every slot of PROXY_MAX_CONCURRENT_PER_CONNECTION (20) is free again: twenty calls that the
    // provider holds all reach it, none is refused with 429.
    const before = upstream.apiCalls("hang");
    const statuses = await Promise.all(Array.from({ length: 20 }, () => proxy(id, "hang").then((r) => r.status)));
    expect(statuses).toEqual(Array(20).fill(504));
    expect(upstream.apiCalls("hang") - before).toBe(20);
  });

  it("keys: a read key gets 403, another workspace's proxy key gets 404 (as a missing id), a cookie session or no key gets 401", async () => {
    const read = await fetch(`${t.url}/proxy/${ids.hubspot}/account-info/v3/details`, { headers: { authorization: `Bearer ${readKey}` } });
    expect(read.status).toBe(403);
    expect(await read.json()).toMatchObject({ error: "forbidden", message: expect.stringContaining("proxy permission") });
    const foreign = await fetch(`${t.url}/proxy/${ids.hubspot}/account-info/v3/details`, { headers: { authorization: `Bearer ${otherProxyKey}` } });
    const missing = await fetch(`${t.url}/proxy/no-such-connection/account-info/v3/details`, { headers: { authorization: `Bearer ${otherProxyKey}` } });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(await foreign.json()).toEqual(await missing.json());
    const session = await fetch(`${t.url}/proxy/${ids.hubspot}/account-info/v3/details`, { headers: { cookie: owner.cookie } });
    expect(session.status).toBe(401);
    expect((await fetch(`${t.url}/proxy/${ids.hubspot}/account-info/v3/details`)).status).toBe(401);
    expect((await fetch(`${t.url}/proxy/${ids.hubspot}/account-info/v3/details`, { headers: { authorization: "Bearer sb_not_a_key" } })).status).toBe(401);
  });

  it("twenty concurrent calls with a key never used write its lastRequest once, not once per call", async () => {
    const key = await createKey(owner.cookie, "fresh", ["PROXY"]);
    // Counts the rows each UPDATE of api_key really changes (an AFTER ... FOR EACH ROW trigger).
    const db = t.app.db;
    await db.exec(`CREATE TABLE IF NOT EXISTS test_key_writes (id text, at timestamptz DEFAULT now());
      CREATE OR REPLACE FUNCTION test_count_key_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO test_key_writes (id) VALUES (NEW.id); RETURN NEW; END $$;
      DROP TRIGGER IF EXISTS test_count_key_write ON "api_key";
      CREATE TRIGGER test_count_key_write AFTER UPDATE ON "api_key" FOR EACH ROW EXECUTE FUNCTION test_count_key_write();`);
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${t.url}/proxy/${ids.google}/oauth2/v3/userinfo`, { headers: { authorization: `Bearer ${key}` } })));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      const row = await db.prisma.apikey.findFirstOrThrow({ where: { name: "fresh" }, select: { id: true, lastRequest: true } });
      await expect.poll(async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM test_key_writes WHERE id = $1`, [row.id]))[0]!.n, { timeout: 3000 }).toBe(1);
      // And not again within the minute.
      await Promise.all(Array.from({ length: 5 }, () => fetch(`${t.url}/proxy/${ids.google}/oauth2/v3/userinfo`, { headers: { authorization: `Bearer ${key}` } })));
      await new Promise((r) => setTimeout(r, 200));
      expect((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM test_key_writes WHERE id = $1`, [row.id]))[0]!.n).toBe(1);
      expect((await db.prisma.apikey.findUniqueOrThrow({ where: { id: row.id } })).lastRequest).not.toBeNull();
    } finally {
      await db.exec(`DROP TRIGGER IF EXISTS test_count_key_write ON "api_key"`);
    }
  });

  it("a connection that is not connected answers 409 with a reason, and nothing is sent", async () => {
    const id = await seedLocal(owner.workspaceId, "gone");
    await t.app.db.prisma.integration.update({ where: { id }, data: { status: "DISCONNECTED" } });
    const before = upstream.seen.length;
    const res = await proxy(id, "echo");
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: "not_connected", message: expect.stringContaining("connect") });
    expect(upstream.seen.length).toBe(before);
  });

  it("twenty concurrent calls on an expired token: one refresh grant, twenty answers", async () => {
    await t.app.db.prisma.integration.update({ where: { id: ids.hubspot! }, data: { tokenExpiresAt: new Date(Date.now() - 60_000) } });
    const grants = t.app.sandbox!.stats("hubspot").tokenRequests.refresh_token;
    const answers = await Promise.all(Array.from({ length: 20 }, () => proxy(ids.hubspot!, "account-info/v3/details").then(async (r) => ({ status: r.status, body: (await r.json()) as { portalId?: number } }))));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.every((a) => typeof a.body.portalId === "number")).toBe(true);
    expect(t.app.sandbox!.stats("hubspot").tokenRequests.refresh_token - grants).toBe(1);
  });

  it("refresh on Slack's HTTP 200 token_expired: twenty concurrent calls, one refresh, each retried once and answered", async () => {
    // A rotating Slack token that expires at Slack while Switchboard still believes it valid.
    t.app.sandbox!.setOptions("slack", { rotateRefreshTokens: true, accessTokenLifetimeSeconds: 3 });
    const id = await connectSandbox(t, owner, "slack", { account: "Globex Sandbox" });
    t.app.sandbox!.setOptions("slack", { rotateRefreshTokens: false });
    await new Promise((r) => setTimeout(r, 3500));
    await t.app.db.prisma.integration.update({ where: { id }, data: { tokenExpiresAt: new Date(Date.now() + 3_600_000) } });
    const grants = t.app.sandbox!.stats("slack").tokenRequests.refresh_token;
    const apiCalls = t.app.sandbox!.stats("slack").apiCalls;
    const answers = await Promise.all(Array.from({ length: 20 }, () => proxy(id, "auth.test", { method: "POST" }).then((r) => r.json() as Promise<{ ok: boolean; error?: string }>)));
    expect(answers.map((a) => a.ok)).toEqual(Array(20).fill(true));
    expect(t.app.sandbox!.stats("slack").tokenRequests.refresh_token - grants).toBe(1);
    // Each call was sent once, or twice when its first try met the expired token (a call that
    // started after the refresh had the fresh token from the start).
    const sent = t.app.sandbox!.stats("slack").apiCalls - apiCalls;
    expect(sent).toBeGreaterThan(20);
    expect(sent).toBeLessThanOrEqual(40);
  });

  it("Retry-After passes through (rate limited providers)", async () => {
    for (const provider of ["slack", "hubspot", "google"] as const) {
      t.app.sandbox!.setFault(provider, { mode: "rate_limited", retryAfterSeconds: 17 });
      try {
        const res = await proxy(ids[provider]!, provider === "slack" ? "auth.test" : provider === "hubspot" ? "account-info/v3/details" : "oauth2/v3/userinfo", { method: provider === "slack" ? "POST" : "GET" });
        expect(res.status, provider).toBe(429);
        expect(res.headers.get("retry-after"), provider).toBe("17");
        expect(res.headers.get("x-switchboard-proxy-error")).toBeNull();
      } finally {
        t.app.sandbox!.setFault(provider, { mode: "ok" });
      }
    }
  });

  it("passive health: 5xx answers count toward HEALTH_UNHEALTHY_AFTER like checks, grouped into few 'from traffic' rows; successes recover it", async () => {
    const id = ids.google!;
    // Earlier calls' window is written first, so what follows counts these calls only.
    await new Promise((r) => setTimeout(r, 1200));
    const before = await trafficRows(id);
    t.app.sandbox!.setFault("google", { mode: "server_error" });
    try {
      const statuses = await Promise.all(Array.from({ length: 3 }, () => proxy(id, "oauth2/v3/userinfo").then((r) => r.status)));
      expect(statuses).toEqual([500, 500, 500]);
    } finally {
      t.app.sandbox!.setFault("google", { mode: "ok" });
    }
    await expect.poll(async () => (await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id } })).healthStatus, { timeout: 5000 }).toBe("UNHEALTHY");
    const failing = (await trafficRows(id)).slice(before.length);
    expect(failing.length).toBeGreaterThanOrEqual(1);
    expect(failing.length).toBeLessThanOrEqual(2);
    expect(callsIn(failing)).toBe(3);
    expect(failing.at(-1)).toMatchObject({ status: "UNHEALTHY", errorCode: "provider_error" });
    expect(await t.app.db.prisma.incident.count({ where: { integrationId: id, endedAt: null } })).toBe(1);

    for (let i = 0; i < 2; i++) expect((await proxy(id, "oauth2/v3/userinfo")).status).toBe(200);
    await expect.poll(async () => (await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id } })).healthStatus, { timeout: 5000 }).toBe("HEALTHY");
    expect(await t.app.db.prisma.incident.count({ where: { integrationId: id, endedAt: null } })).toBe(0);
  });

  it("passive health: a token refused even after a refresh makes the connection 'Reconnect required' (one refresh, one retry)", async () => {
    const id = await seedLocal(owner.workspaceId, "refused");
    const grants = upstream.state.tokenRequests;
    const calls = upstream.apiCalls("always401");
    const res = await proxy(id, "always401");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain("invalid_token");
    expect(upstream.state.tokenRequests - grants).toBe(1);
    expect(upstream.apiCalls("always401") - calls).toBe(2);
    await expect.poll(async () => (await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id } })).status, { timeout: 5000 }).toBe("REAUTH_REQUIRED");
    expect((await trafficRows(id)).at(-1)).toMatchObject({ status: "UNHEALTHY", errorCode: "token_revoked" });
    const after = await proxy(id, "always401");
    expect(after.status).toBe(409);
    expect(await after.json()).toMatchObject({ error: "reauth_required" });
    expect(upstream.apiCalls("always401") - calls).toBe(2);
  });

  it("passive health: a provider that refuses the refresh too (sandbox 'unauthorized') → Reconnect required, the provider's 401 relayed", async () => {
    const id = await connectSandbox(t, other, "hubspot");
    t.app.sandbox!.setFault("hubspot", { mode: "unauthorized" });
    try {
      const res = await fetch(`${t.url}/proxy/${id}/account-info/v3/details`, { headers: { authorization: `Bearer ${otherProxyKey}` } });
      expect(res.status).toBe(401);
    } finally {
      t.app.sandbox!.setFault("hubspot", { mode: "ok" });
    }
    await expect.poll(async () => (await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id } })).status, { timeout: 5000 }).toBe("REAUTH_REQUIRED");
    await expect.poll(async () => (await trafficRows(id)).length, { timeout: 5000 }).toBe(1);
  });

  it("a refused token on a streamed (large) body: the provider's 401 is answered, not retried, and the token is refreshed for the next call", async () => {
    const id = await seedLocal(owner.workspaceId, "streamed");
    const grants = upstream.state.tokenRequests;
    const calls = upstream.apiCalls("always401");
    const res = await proxy(id, "always401", { method: "POST", body: Buffer.alloc(200 * 1024, 98) });
    expect(res.status).toBe(401);
    await res.arrayBuffer();
    expect(upstream.apiCalls("always401") - calls).toBe(1);
    await expect.poll(() => upstream.state.tokenRequests - grants, { timeout: 5000 }).toBe(1);
    // Not a verdict on the connection: nothing proved the fresh token refused.
    expect((await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id } })).status).toBe("CONNECTED");
  });

  it("a connection with recent successful traffic skips its scheduled check (HEALTH_SKIP_WHEN_ACTIVE_SECONDS)", async () => {
    const id = await seedLocal(owner.workspaceId, "active");
    await t.app.db.prisma.integration.update({ where: { id }, data: { nextHealthCheckAt: new Date(Date.now() + 5_000) } });
    expect((await proxy(id, "echo")).status).toBe(200);
    await expect
      .poll(async () => (await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id } })).nextHealthCheckAt!.getTime(), { timeout: 5000 })
      .toBeGreaterThan(Date.now() + 590_000);
  });

  it("keys on the proxy follow the GraphQL API's rules: a fresh token is used as stored, a key whose creator left is refused, a key-guessing address is throttled before a valid key counts", async () => {
    // A token well inside its lifetime is used as stored: the connection's times are read right.
    await t.app.db.prisma.integration.update({ where: { id: ids.hubspot! }, data: { tokenExpiresAt: new Date(Date.now() + 2 * 3600_000) } });
    const grants = t.app.sandbox!.stats("hubspot").tokenRequests.refresh_token;
    expect((await proxy(ids.hubspot!, "account-info/v3/details")).status).toBe(200);
    expect(t.app.sandbox!.stats("hubspot").tokenRequests.refresh_token).toBe(grants);
    // A key whose creator left the workspace is no key.
    const leaver = await t.signUp({ name: "Leaver" });
    await t.addMember(owner, leaver, "ADMIN");
    const leaversKey = await createKey(leaver.cookie, "leaver's", ["PROXY"]);
    expect((await fetch(`${t.url}/proxy/${ids.hubspot}/account-info/v3/details`, { headers: { authorization: `Bearer ${leaversKey}` } })).status).toBe(200);
    await t.app.db.prisma.member.deleteMany({ where: { userId: leaver.userId, organizationId: owner.workspaceId } });
    expect((await fetch(`${t.url}/proxy/${ids.hubspot}/account-info/v3/details`, { headers: { authorization: `Bearer ${leaversKey}` } })).status).toBe(401);
    // Guessing keys: each wrong key counts against the address; past the limit even a valid key
    // from that address is refused (429 with Retry-After) and nothing reaches the provider.
    try {
      let last: Response | undefined;
      for (let i = 0; i < 25 && last?.status !== 429; i++) last = await fetch(`${t.url}/proxy/${ids.local}/echo`, { headers: { authorization: `Bearer sb_guess_${i}` } });
      expect(last!.status).toBe(429);
      const before = upstream.apiCalls("echo");
      const valid = await proxy(ids.local!, "echo");
      expect(valid.status).toBe(429);
      expect(Number(valid.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await valid.json()).toMatchObject({ error: "too_many_requests" });
      expect(upstream.apiCalls("echo")).toBe(before);
    } finally {
      await t.app.db.prisma.$executeRawUnsafe(`DELETE FROM "auth_throttle"`);
    }
    expect((await proxy(ids.local!, "echo")).status).toBe(200);
  });

  it("metrics per provider and logs with method, path and status, never a query string, a body or a token", async () => {
    await proxy(ids.local!, "echo?secret_query=hunter2", { method: "POST", body: "secret-body-text" });
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_proxy_calls_total\{provider="hubspot",class="2xx"\} \d+/);
    expect(metrics).toMatch(/switchboard_proxy_calls_total\{provider="google",class="5xx"\} 3/);
    expect(metrics).toMatch(/switchboard_proxy_refreshes_total\{provider="slack",result="ok"\} \d+/);
    expect(metrics).toMatch(/switchboard_proxy_call_duration_seconds_count\{provider="local"\} \d+/);
    const logs = t.logs();
    expect(logs).toContain('"msg":"proxied call"');
    expect(logs).toMatch(/"method":"POST","path":"\/base\/api\/echo","status":200/);
    expect(logs).not.toContain("hunter2");
    expect(logs).not.toContain("secret-body-text");
    for (const id of [ids.slack!, ids.hubspot!, ids.google!, ids.salesforce!]) expect(logs).not.toContain(await accessTokenOf(id));
  });
});
