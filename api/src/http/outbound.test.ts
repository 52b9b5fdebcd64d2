import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutboundError, outboundFetch, outboundRequest } from "./outbound.ts";

// The outbound client against a real local server: what fetch did and callers rely on (default
// headers, body types, no redirects, decoded text), and its limits (deadline, size, broken
// connections, a kept-alive socket the server closed).

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const routes = new Map<string, Handler>();
let server: Server;
let base: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const handler = routes.get(req.url!.split("?")[0]!);
      if (!handler) return void res.writeHead(404).end();
      handler(req, res, Buffer.concat(chunks).toString());
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const route = (path: string, handler: Handler) => {
  routes.set(path, handler);
  return `${base}${path}`;
};

async function failure(promise: Promise<unknown>): Promise<OutboundError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutboundError);
  return error as OutboundError;
}

describe("outboundRequest", () => {
  it("answers with status, headers read in any case (repeated ones joined) and the body; sends fetch's default headers", async () => {
    let seen: IncomingMessage["headers"] = {};
    const url = route("/hello", (req, res) => {
      seen = req.headers;
      res.writeHead(200, "Fine", [
        ["Content-Type", "application/json"],
        ["X-OAuth-Scopes", "a,b"],
        ["X-Many", "1"],
        ["X-Many", "2"],
      ]);
      res.end('{"ok":true}');
    });
    const answer = await outboundRequest(url, { headers: { Authorization: "Bearer t" } });
    expect(answer.status).toBe(200);
    expect(answer.ok).toBe(true);
    expect(answer.statusText).toBe("Fine");
    expect(answer.headers.get("x-oauth-scopes")).toBe("a,b");
    expect(answer.headers.get("X-MANY")).toBe("1, 2");
    expect(answer.headers.get("retry-after")).toBeNull();
    expect(answer.text()).toBe('{"ok":true}');
    expect(seen).toMatchObject({ authorization: "Bearer t", accept: "*/*", "user-agent": "node", host: new URL(base).host, connection: "keep-alive" });
    expect(seen["content-length"]).toBeUndefined();
  });

  it("sends string, form and byte bodies with fetch's content types and lengths; a POST without a body says length 0", async () => {
    const got: { type?: string; length?: string; body: string; method: string }[] = [];
    const url = route("/echo", (req, res, body) => {
      expect(req.headers["transfer-encoding"]).toBeUndefined();
      got.push({ type: req.headers["content-type"], length: req.headers["content-length"], body, method: req.method! });
      res.end("ok");
    });
    await outboundRequest(url, { method: "post", body: "héllo" });
    await outboundRequest(url, { method: "POST", body: new URLSearchParams({ a: "1", b: "x y" }) });
    await outboundRequest(url, { method: "POST", body: "a=1", headers: [["Content-Type", "application/x-www-form-urlencoded"]] });
    await outboundRequest(url, { method: "POST", body: new Uint8Array([104, 105]) });
    await outboundRequest(url, { method: "POST" });
    await outboundRequest(url, { method: "POST", headers: new Headers({ accept: "application/json" }) });
    expect(got).toEqual([
      { type: "text/plain;charset=UTF-8", length: "6", body: "héllo", method: "POST" },
      { type: "application/x-www-form-urlencoded;charset=UTF-8", length: "9", body: "a=1&b=x+y", method: "POST" },
      { type: "application/x-www-form-urlencoded", length: "3", body: "a=1", method: "POST" },
      { type: undefined, length: "2", body: "hi", method: "POST" },
      { type: undefined, length: "0", body: "", method: "POST" },
      { type: undefined, length: "0", body: "", method: "POST" },
    ]);
  });

  it("never follows a redirect", async () => {
    route("/elsewhere", (_req, res) => res.end("followed"));
    const url = route("/moved", (_req, res) => res.writeHead(302, { location: `${base}/elsewhere` }).end());
    const answer = await outboundRequest(url);
    expect(answer.status).toBe(302);
    expect(answer.headers.get("location")).toBe(`${base}/elsewhere`);
  });

  it("reads text as Response.text() does (a leading BOM dropped) and a body that comes compressed anyway", async () => {
    const bom = route("/bom", (_req, res) => res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')])));
    expect(JSON.parse((await outboundRequest(bom)).text())).toEqual({ a: 1 });
    const gz = route("/gz", (_req, res) => res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync('{"zipped":true}')));
    expect((await outboundRequest(gz)).text()).toBe('{"zipped":true}');
  });

  it("has no body for 204 and 304, and converts to a Response with the same status, headers and body", async () => {
    const none = route("/none", (_req, res) => res.writeHead(204).end());
    const answer = await outboundRequest(none);
    expect(answer.bytes).toBeNull();
    expect(answer.text()).toBe("");
    expect((await outboundFetch(none)).status).toBe(204);
    const json = route("/json", (_req, res) => res.writeHead(201, { "content-type": "application/json", "retry-after": "3" }).end('{"n":1}'));
    const response = await outboundFetch(json);
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(201);
    expect(response.headers.get("retry-after")).toBe("3");
    expect(await response.json()).toEqual({ n: 1 });
  });

  it("gives up at the deadline, before the answer and while its body is still coming", async () => {
    const silent = route("/silent", () => {});
    const started = performance.now();
    const error = await failure(outboundRequest(silent, {}, { timeoutMs: 150 }));
    expect(error.code).toBe("timeout");
    expect(error.message).toMatch(/did not answer within 150 ms/);
    expect(performance.now() - started).toBeLessThan(2000);
    const trickle = route("/trickle", (_req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("part");
    });
    const late = await failure(outboundRequest(trickle, {}, { timeoutMs: 150 }));
    expect(late.code).toBe("timeout");
    expect(late.message).toMatch(/did not finish answering/);
  });

  it("treats a caller's abort as the deadline", async () => {
    const silent = route("/silent-abort", () => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await failure(outboundRequest(silent, { signal: controller.signal }, { timeoutMs: 5000 }))).code).toBe("timeout");
  });

  it("refuses answers over the size limit, declared or streamed, and decompressed ones too", async () => {
    const declared = route("/big", (_req, res) => res.writeHead(200, { "content-length": "2000" }).end("x".repeat(2000)));
    expect((await failure(outboundRequest(declared, {}, { maxBytes: 1000 }))).code).toBe("too_large");
    const streamed = route("/stream", (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 20; i++) res.write("y".repeat(100));
      res.end();
    });
    expect((await failure(outboundRequest(streamed, {}, { maxBytes: 1000 }))).code).toBe("too_large");
    const bomb = route("/bomb", (_req, res) => res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync(Buffer.alloc(100_000))));
    expect((await failure(outboundRequest(bomb, {}, { maxBytes: 1000 }))).code).toBe("too_large");
    // Within the limit it is read whole.
    expect((await outboundRequest(streamed, {}, { maxBytes: 5000 })).text()).toBe("y".repeat(2000));
  });

  it("reports unreachable hosts, broken answers and URLs fetch would refuse as network errors", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect((await failure(outboundRequest(`http://127.0.0.1:${port}/`))).code).toBe("network");
    const broken = route("/broken", (req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("half");
      setTimeout(() => req.socket.destroy(), 20);
    });
    expect((await failure(outboundRequest(broken))).code).toBe("network");
    for (const bad of ["ftp://example.com/", "not a url", "http://user:pass@127.0.0.1/"]) expect((await failure(outboundRequest(bad))).code).toBe("network");
    // Nothing of the URL but its host in a message (never credentials or a query).
    expect((await failure(outboundRequest("http://user:secret@127.0.0.1:1/?token=x"))).message).not.toMatch(/secret|token/);
    // A header value node refuses (a line break: header injection) is never sent.
    let reached = false;
    const injected = route("/injected", (_req, res) => {
      reached = true;
      res.end("no");
    });
    expect((await failure(outboundRequest(injected, { headers: { authorization: "Bearer x\r\nx-evil: 1" } }))).code).toBe("network");
    expect(reached).toBe(false);
    // As fetch: a GET with a body is a programming error, not a network one.
    await expect(outboundRequest(`${base}/hello`, { body: "x" })).rejects.toBeInstanceOf(TypeError);
  });

  it("sends a call again once when the kept-alive socket it was given had been closed by the server", async () => {
    let calls = 0;
    const url = route("/flaky-keepalive", (req, res) => {
      calls++;
      // The second request on a connection finds it closed (as a server that just timed it out).
      if ((req.socket as Socket & { served?: number }).served) return void req.socket.destroy();
      (req.socket as Socket & { served?: number }).served = 1;
      res.end("fresh");
    });
    expect((await outboundRequest(url)).text()).toBe("fresh");
    expect((await outboundRequest(url)).text()).toBe("fresh");
    expect(calls).toBe(3);
  });

  it("leaves no timer behind once an answer is read", async () => {
    const url = route("/quick", (_req, res) => res.end("ok"));
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    await Promise.all(Array.from({ length: 20 }, () => outboundRequest(url, {}, { timeoutMs: 60_000 })));
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
