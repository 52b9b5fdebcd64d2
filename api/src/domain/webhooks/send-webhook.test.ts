import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { pinnedLookup, sendWebhook } from "./send-webhook.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function receiver(answer: (res: import("node:http").ServerResponse) => void) {
  const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createHttpServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ headers: req.headers, body });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, seen };
}

const send = (url: string, addresses: { address: string; family: 4 | 6 }[], timeoutMs = 5000) =>
  sendWebhook({ url: new URL(url), addresses, headers: { "content-type": "application/json" }, body: '{"a":1}', timeoutMs, maxResponseBytes: 1024 });

describe("sendWebhook", () => {
  it("connects to the checked address, never resolving the name, with the URL's Host", async () => {
    const r = await receiver((res) => res.writeHead(204, { "x-request-id": "abc" }).end());
    // `.invalid` never resolves (RFC 6761): reaching the receiver proves the pinned address was used.
    const result = await send(`http://hooks.invalid:${r.port}/in?x=1`, [{ address: "127.0.0.1", family: 4 }]);
    expect(result).toMatchObject({ ok: true, status: 204, headers: { "x-request-id": "abc" }, durationMs: expect.any(Number) });
    expect(r.seen).toHaveLength(1);
    expect(r.seen[0]!.headers.host).toBe(`hooks.invalid:${r.port}`);
    expect(r.seen[0]!.body).toBe('{"a":1}');
  });

  it("sends the URL's host as the TLS server name while connecting to the checked address", async () => {
    let clientHello = Buffer.alloc(0);
    const tls = createTcpServer((socket) => {
      socket.on("data", (chunk: Buffer) => {
        clientHello = Buffer.concat([clientHello, chunk]);
        socket.destroy();
      });
    });
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => tls.close(() => resolve())));
    const result = await send(`https://hooks.example.com:${(tls.address() as AddressInfo).port}/`, [{ address: "127.0.0.1", family: 4 }]);
    expect(result.ok).toBe(false);
    expect(clientHello.includes(Buffer.from("hooks.example.com"))).toBe(true);
  });

  it("reads no body into the result, cuts a long answer off, and reports failures without addresses", async () => {
    const big = await receiver((res) => res.writeHead(500, { "content-type": "text/plain" }).end("secret ".repeat(10_000)));
    const result = await send(`http://127.0.0.1:${big.port}/`, [{ address: "127.0.0.1", family: 4 }]);
    expect(result).toMatchObject({ ok: true, status: 500 });
    expect(JSON.stringify(result)).not.toContain("secret");

    const closed = await receiver(() => {});
    await Promise.all(closers.splice(-1).map((close) => close()));
    expect(await send(`http://hooks.invalid:${closed.port}/`, [{ address: "127.0.0.1", family: 4 }])).toEqual({
      ok: false,
      error: `could not reach hooks.invalid:${closed.port}: connection refused`,
      durationMs: expect.any(Number),
    });

    const silent = await receiver(() => {});
    expect(await send(`http://hooks.invalid:${silent.port}/`, [{ address: "127.0.0.1", family: 4 }], 200)).toMatchObject({
      ok: false,
      error: `hooks.invalid:${silent.port} did not answer within 200 ms`,
    });
  });
});

describe("pinnedLookup", () => {
  const addresses = [
    { address: "203.0.113.1", family: 4 as const },
    { address: "2001:db8::1", family: 6 as const },
  ];
  const ask = (name: string, options: { family?: number; all?: boolean }) =>
    new Promise<unknown>((resolve) => pinnedLookup("hooks.example.com", addresses)(name, options, (error, address, family) => resolve(error ? error.code : { address, family })));

  it("answers only with the checked addresses, for the checked name", async () => {
    expect(await ask("hooks.example.com", {})).toEqual({ address: "203.0.113.1", family: 4 });
    expect(await ask("hooks.example.com", { family: 6 })).toEqual({ address: "2001:db8::1", family: 6 });
    expect(await ask("hooks.example.com", { all: true })).toEqual({ address: addresses, family: undefined });
    expect(await ask("other.example.com", {})).toBe("ENOTFOUND");
  });
});
