import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { headersToCaller } from "./proxy-headers.ts";

// The proxy's streams, on node:http(s) rather than fetch: fetch would decompress answers
// (while their Content-Encoding and Content-Length still describe the compressed bytes), add
// headers of its own, and cost more per call. Bodies flow with backpressure in both directions,
// so memory holds a few chunks per call whatever the size; only a small request body is held
// whole (so a call refused for its token can be sent again), and only a small answer is read
// before it is relayed (to see whether it refuses the token).

export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
    this.name = "TooLargeError";
  }
}

/** A request body as the proxy holds it: not at all, whole (resendable), or a held prefix and the rest still arriving. */
export type HeldBody =
  | { kind: "none" }
  | { kind: "buffer"; data: Buffer }
  | { kind: "stream"; prefix: Buffer[]; rest: AsyncIterator<Buffer>; size: number; declaredLength: number | null };

/**
 * Reads the caller's body up to `holdBytes`: a body that ends by then is held whole; a longer
 * one is streamed on. Throws TooLargeError past `maxBytes`.
 */
export async function holdBody(req: IncomingMessage, { holdBytes, maxBytes }: { holdBytes: number; maxBytes: number }): Promise<HeldBody> {
  const declared = req.headers["content-length"] === undefined ? null : Number(req.headers["content-length"]);
  if (declared === null && req.headers["transfer-encoding"] === undefined) return { kind: "none" };
  const rest = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const prefix: Buffer[] = [];
  let size = 0;
  for (;;) {
    const next = await rest.next();
    if (next.done) return { kind: "buffer", data: prefix.length === 1 ? prefix[0]! : Buffer.concat(prefix, size) };
    size += next.value.length;
    if (size > maxBytes) throw new TooLargeError(maxBytes);
    prefix.push(next.value);
    if (size > holdBytes) return { kind: "stream", prefix, rest, size, declaredLength: declared };
  }
}

async function* streamOf(body: Extract<HeldBody, { kind: "stream" }>, maxBytes: number): AsyncGenerator<Buffer> {
  let size = body.size;
  yield* body.prefix;
  for (;;) {
    const next = await body.rest.next();
    if (next.done) return;
    size += next.value.length;
    if (size > maxBytes) throw new TooLargeError(maxBytes);
    yield next.value;
  }
}

export type Agents = { http: HttpAgent; https: HttpsAgent; destroy(): void };

/** Keep-alive sockets per provider host, reused most-recent first (warm sockets, fewer TLS handshakes). */
export function createAgents(): Agents {
  // An idle socket is closed after 4 s, before the usual 5 s keep-alive of servers, so a reused
  // socket is rarely one the provider is closing (and sendUpstream resends once when it was).
  const options = { keepAlive: true, maxFreeSockets: 64, scheduling: "lifo" as const, timeout: 4000 };
  const http = new HttpAgent(options);
  const https = new HttpsAgent(options);
  return {
    http,
    https,
    destroy() {
      http.destroy();
      https.destroy();
    },
  };
}

export type Sent = { ok: true; response: IncomingMessage } | { ok: false; error: "timeout" | "network" | "request_too_large" | "aborted" };

/**
 * One request to the provider. Resolves with its answer (status and headers; the body is still
 * to be read) or with why there is none. The timeout is the socket's idle time: no answer, or
 * no byte of a streaming one, for that long ends the call.
 */
type SendOptions = {
  url: URL;
  requestPath: string;
  method: string;
  headers: string[];
  body: HeldBody;
  agents: Agents;
  timeoutMs: number;
  maxRequestBytes: number;
  signal: AbortSignal;
};

export function sendUpstream(options: SendOptions, resentOnStaleSocket = false): Promise<Sent> {
  const { url, requestPath, method, headers, body, agents, timeoutMs, maxRequestBytes, signal } = options;
  return new Promise<Sent>((resolve) => {
    let settled = false;
    const settle = (value: Sent) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    const https = url.protocol === "https:";
    let timedOut = false;
    let tooLarge = false;
    let req: ReturnType<typeof httpRequest>;
    try {
      req = (https ? httpsRequest : httpRequest)({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port || undefined,
        method,
        path: requestPath,
        headers: headers as unknown as Record<string, string>,
        agent: https ? agents.https : agents.http,
        // Responses are relayed as they are: no redirect is ever followed (node:http follows none).
      });
    } catch {
      // An invalid header value or request path (node refuses to send it).
      return settle({ ok: false, error: "network" });
    }
    const onAbort = () => req.destroy();
    if (signal.aborted) return void (req.destroy(), settle({ ok: false, error: "aborted" }));
    signal.addEventListener("abort", onAbort, { once: true });
    req.setTimeout(timeoutMs, () => {
      timedOut = true;
      req.destroy();
    });
    req.on("response", (response) => {
      signal.removeEventListener("abort", onAbort);
      // The caller leaving now ends the answer's stream too (the relay's pipeline sees it).
      signal.addEventListener("abort", () => response.destroy(), { once: true });
      settle({ ok: true, response });
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      signal.removeEventListener("abort", onAbort);
      // A kept-alive socket the provider closed just as it was reused: nothing was answered, so
      // the same request goes once more on a new socket (node's documented pattern for
      // req.reusedSocket), when its body can be sent again.
      if (!settled && req.reusedSocket && !resentOnStaleSocket && body.kind !== "stream" && !signal.aborted && !timedOut && (error.code === "ECONNRESET" || error.code === "EPIPE")) {
        settled = true;
        return void sendUpstream(options, true).then(resolve);
      }
      settle({ ok: false, error: signal.aborted ? "aborted" : tooLarge ? "request_too_large" : timedOut ? "timeout" : "network" });
    });
    if (body.kind === "none") return void req.end();
    if (body.kind === "buffer") return void req.end(body.data);
    pipeline(Readable.from(streamOf(body, maxRequestBytes), { objectMode: false }), req).catch((error: unknown) => {
      if (error instanceof TooLargeError) tooLarge = true;
      req.destroy();
    });
  });
}

/** The first bytes of an answer, and the rest of it still to come. */
export type Peeked = { chunks: Buffer[]; size: number; complete: boolean; rest: AsyncIterator<Buffer> };

/** Reads an answer until it ends or passes `limit` bytes. Throws when its stream breaks. */
export async function peekBody(response: IncomingMessage, limit: number): Promise<Peeked> {
  const rest = response[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  while (size <= limit) {
    const next = await rest.next();
    if (next.done) return { chunks, size, complete: true, rest };
    chunks.push(next.value);
    size += next.value.length;
  }
  return { chunks, size, complete: false, rest };
}

async function* resumed(peeked: Peeked): AsyncGenerator<Buffer> {
  yield* peeked.chunks;
  for (;;) {
    const next = await peeked.rest.next();
    if (next.done) return;
    yield next.value;
  }
}

function limiter(maxBytes: number): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      done(size > maxBytes ? new TooLargeError(maxBytes) : null, chunk);
    },
  });
}

export type Relayed = "done" | "too_large" | "broken";

/**
 * Sends the provider's answer to the caller: status, headers (hop-by-hop and Set-Cookie
 * dropped) and the body as it streams, cut off past `maxBytes`. A declared length over the
 * limit is refused before anything is sent (the caller gets the proxy's 502 instead).
 */
export async function relayAnswer(res: ServerResponse, response: IncomingMessage, peeked: Peeked | null, maxBytes: number): Promise<Relayed> {
  const declared = response.headers["content-length"] === undefined ? NaN : Number(response.headers["content-length"]);
  if (declared > maxBytes) {
    response.destroy();
    return "too_large";
  }
  res.statusCode = response.statusCode ?? 502;
  for (const [name, values] of Object.entries(headersToCaller(response.rawHeaders))) res.setHeader(name, values as string[]);
  // Served from the dashboard's origin: whatever a provider returns (an HTML error page, a file)
  // must never run there as a page of ours.
  if (!res.hasHeader("content-security-policy")) res.setHeader("content-security-policy", "sandbox");
  if (peeked?.complete) {
    res.end(peeked.chunks.length === 1 ? peeked.chunks[0] : Buffer.concat(peeked.chunks, peeked.size));
    return "done";
  }
  const source = peeked ? Readable.from(resumed(peeked), { objectMode: false }) : response;
  try {
    // A declared length is exactly what arrives (HTTP framing); only an open-ended body is counted.
    if (Number.isFinite(declared)) await pipeline(source, res);
    else await pipeline(source, limiter(maxBytes), res);
    return "done";
  } catch (error) {
    response.destroy();
    res.destroy();
    return error instanceof TooLargeError ? "too_large" : "broken";
  }
}

/** Drops an answer the proxy will not relay (a refused token, before the retry). */
export function discard(response: IncomingMessage, peeked: Peeked | null): void {
  if (peeked?.complete) return;
  response.destroy();
}
