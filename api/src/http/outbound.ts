import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from "node:zlib";

// Every call to a provider goes through here: a timeout and a response size limit, so a slow,
// hanging or oversized answer can never hold a request or a check for long, or fill memory.
// Redirects are never followed (a 3xx is an answer like any other).
//
// On node:http(s) with keep-alive agents, as the proxy (proxy-stream.ts), rather than fetch:
// the same exchange costs less than half the CPU (no WHATWG Request, Response, Headers, streams
// and abort signals per call; measured for benchmark 4, docs/performance.md §4), which is most
// of what a health check costs. What fetch did and callers relied on is kept: `accept: */*` and
// `user-agent: node` unless given, the content type of a string or URLSearchParams body, a body
// that arrives compressed anyway is decompressed (within the size limit), and no redirect is
// followed. Nothing asks for compression (fetch asked for gzip and deflate).
//
// `outboundRequest` reads the answer whole, within the limits, and hands back the bytes with the
// status and headers (`OutboundAnswer`): what the provider modules read. `outboundFetch` wraps
// the same answer in a `Response`, for code that insists on one (oauth4webapi's customFetch, the
// alert senders). Limits are passed by the caller (a health check passes
// HEALTH_CHECK_TIMEOUT_MS); no AsyncLocalStorage, which on Node 20 would turn on promise hooks
// for every promise of the thread from its first use on.

export type OutboundOptions = { timeoutMs?: number; maxBytes?: number };

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * The agents' policy (benchmark 4's baseline loops use the same): kept-alive sockets per host,
 * reused most-recent first, closed after 4 s idle, before the usual 5 s keep-alive of servers,
 * so a reused socket is rarely one the provider is closing (and a call on one that was is sent
 * again once).
 */
export const OUTBOUND_AGENT_OPTIONS = { keepAlive: true, scheduling: "lifo", timeout: 4000 } as const;
const agents = { http: new HttpAgent(OUTBOUND_AGENT_OPTIONS), https: new HttpsAgent(OUTBOUND_AGENT_OPTIONS) };

export class OutboundError extends Error {
  constructor(
    readonly code: "timeout" | "network" | "too_large",
    message: string,
  ) {
    super(message);
    this.name = "OutboundError";
  }
}

/** The answer's headers, read as Headers reads them (any case; repeated fields joined with ", "). */
export type HeaderReader = { get(name: string): string | null; has(name: string): boolean };

class AnswerHeaders implements HeaderReader {
  constructor(private readonly raw: string[]) {}
  get(name: string): string | null {
    const wanted = name.toLowerCase();
    let value: string | null = null;
    for (let i = 0; i < this.raw.length; i += 2) {
      const field = this.raw[i]!;
      if (field.length === wanted.length && field.toLowerCase() === wanted) value = value === null ? this.raw[i + 1]! : `${value}, ${this.raw[i + 1]!}`;
    }
    return value;
  }
  has(name: string): boolean {
    return this.get(name) !== null;
  }
  /** Name and value pairs as they came. */
  pairs(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.raw.length; i += 2) out.push([this.raw[i]!, this.raw[i + 1]!]);
    return out;
  }
}

/** A provider's answer, read whole within the limits. */
export class OutboundAnswer {
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: HeaderReader & { pairs(): [string, string][] },
    /** The body's bytes (decompressed); null when the answer has none (HEAD, 204, 205, 304). */
    readonly bytes: Buffer | null,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** The body as text, decoded as Response.text() decodes it (UTF-8, a leading BOM dropped, malformed bytes replaced). */
  text(): string {
    const b = this.bytes;
    if (b === null || b.length === 0) return "";
    return b.toString("utf8", b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0);
  }

  /** The same answer as a Response (for oauth4webapi, which insists on one). */
  toResponse(): Response {
    return new Response(this.bytes as Uint8Array<ArrayBuffer> | null, { status: this.status, statusText: this.statusText, headers: this.headers.pairs() });
  }
}

type Target = { https: boolean; hostname: string; port: string; path: string; host: string };

// Parsed URLs of the calls a sweep repeats (Slack's auth.test for every connection), without a
// query string (it could say more than a path); bounded.
const targets = new Map<string, Target>();

function targetOf(input: string | URL): Target | null {
  const href = typeof input === "string" ? input : input.href;
  const known = targets.get(href);
  if (known) return known;
  let url: URL;
  try {
    url = typeof input === "string" ? new URL(input) : input;
  } catch {
    return null;
  }
  // As fetch: http and https only, and no credentials in the URL.
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) return null;
  const target = { https: url.protocol === "https:", hostname: url.hostname.replace(/^\[|\]$/g, ""), port: url.port, path: `${url.pathname}${url.search}`, host: url.host };
  if (!url.search) {
    if (targets.size >= 256) targets.clear();
    targets.set(href, target);
  }
  return target;
}

const hostOf = (input: string | URL) => {
  try {
    return new URL(input).host;
  } catch {
    return "an invalid URL";
  }
};

// The methods fetch normalises to upper case.
const NORMALISED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
// Statuses whose answer has no body (fetch's null body statuses, and 304).
const NO_BODY = new Set([101, 103, 204, 205, 304]);

function bodyOf(body: RequestInit["body"]): { data: string | Buffer | null; type?: string } {
  if (body === undefined || body === null) return { data: null };
  if (typeof body === "string") return { data: body, type: "text/plain;charset=UTF-8" };
  if (body instanceof URLSearchParams) return { data: body.toString(), type: "application/x-www-form-urlencoded;charset=UTF-8" };
  if (body instanceof ArrayBuffer) return { data: Buffer.from(body) };
  if (ArrayBuffer.isView(body)) return { data: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  throw new TypeError("outbound calls send a string, URLSearchParams or bytes as their body");
}

// Methods node sends a body for by default (it would frame them chunked without a length).
const LENGTH_WHEN_EMPTY = new Set(["POST", "PUT", "PATCH"]);

/**
 * The request's header lines as node's flat [name, value, ...] list, which it writes without
 * building a header map first; so Host and Content-Length are ours to add (node adds
 * `Connection: keep-alive`).
 */
function headersOf(init: RequestInit, target: Target, method: string, body: { data: string | Buffer | null; type?: string }): string[] {
  const out: Record<string, string> = {};
  const given = init.headers;
  const pairs: Iterable<[string, string]> | null = given instanceof Headers ? given.entries() : Array.isArray(given) ? (given as [string, string][]) : null;
  if (pairs) {
    for (const [name, value] of pairs) {
      const key = name.toLowerCase();
      out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
    }
  } else if (given) {
    for (const name in given as Record<string, string>) {
      const key = name.toLowerCase();
      const value = (given as Record<string, string>)[name]!;
      out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
    }
  }
  out["host"] ??= target.host;
  out["accept"] ??= "*/*";
  out["user-agent"] ??= "node";
  if (body.type) out["content-type"] ??= body.type;
  if (body.data !== null) out["content-length"] = String(typeof body.data === "string" ? Buffer.byteLength(body.data) : body.data.length);
  else if (LENGTH_WHEN_EMPTY.has(method)) out["content-length"] ??= "0";
  const lines: string[] = [];
  for (const name in out) lines.push(name, out[name]!);
  return lines;
}

/** The body as it was sent, when it came compressed although nothing asked for it (as fetch decodes it). */
function decoded(bytes: Buffer, encoding: string | undefined, maxBytes: number): Buffer {
  const coding = encoding?.trim().toLowerCase();
  if (!coding || coding === "identity" || bytes.length === 0) return bytes;
  const options = { maxOutputLength: maxBytes };
  if (coding === "gzip" || coding === "x-gzip") return gunzipSync(bytes, options);
  if (coding === "br") return brotliDecompressSync(bytes, options);
  if (coding === "deflate") {
    try {
      return inflateSync(bytes, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw error;
      // Some servers send raw deflate without the zlib wrapper (fetch reads both).
      return inflateRawSync(bytes, options);
    }
  }
  return bytes;
}

/**
 * One call in flight. Its event handlers are functions of the module that find the call on the
 * emitter (`this`), so a call allocates no closures beyond its promise: a sweep makes thousands.
 */
class Exchange {
  settled = false;
  timedOut = false;
  answering = false;
  resent = false;
  req: ClientRequest | null = null;
  res: IncomingMessage | null = null;
  answerHeaders: AnswerHeaders | null = null;
  chunks: Buffer[] = [];
  size = 0;
  timer: NodeJS.Timeout;
  constructor(
    readonly target: Target,
    readonly method: string,
    readonly headers: string[],
    readonly body: string | Buffer | null,
    readonly timeoutMs: number,
    readonly maxBytes: number,
    readonly signal: AbortSignal | null,
    readonly resolve: (answer: OutboundAnswer) => void,
    readonly reject: (error: OutboundError) => void,
  ) {
    // One deadline for the request and the whole body.
    this.timer = setTimeout(onTimeout, timeoutMs, this);
  }

  send(): void {
    let req: ClientRequest;
    try {
      req = (this.target.https ? httpsRequest : httpRequest)({
        hostname: this.target.hostname,
        port: this.target.port || undefined,
        path: this.target.path,
        method: this.method,
        headers: this.headers,
        agent: this.target.https ? agents.https : agents.http,
      });
    } catch {
      // A header value or method node refuses to send (fetch refused them too).
      return this.fail("network", `could not reach ${this.target.host}`);
    }
    this.req = req;
    (req as Tagged<ClientRequest>)[EXCHANGE] = this;
    req.on("response", onResponse);
    req.on("error", onRequestError);
    req.end(this.body ?? undefined);
  }

  fail(code: OutboundError["code"], message: string): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (this.onAbort) this.signal?.removeEventListener("abort", this.onAbort);
    this.req?.destroy();
    this.res?.destroy();
    this.reject(new OutboundError(code, message));
  }

  /** The caller giving up reads as the deadline (as it did with fetch's signal); only with a signal. */
  onAbort: (() => void) | null = null;

  finish(res: IncomingMessage): void {
    if (this.settled) return;
    const status = res.statusCode ?? 0;
    let bytes: Buffer | null = null;
    if (!(this.method === "HEAD" || NO_BODY.has(status))) {
      const raw = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
      try {
        bytes = decoded(raw, this.answerHeaders!.get("content-encoding") ?? undefined, this.maxBytes);
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE"
          ? this.fail("too_large", `${this.target.host} answered with more than ${this.maxBytes} bytes`)
          : this.fail("network", `the answer of ${this.target.host} could not be decompressed`);
      }
    }
    this.settled = true;
    clearTimeout(this.timer);
    if (this.onAbort) this.signal?.removeEventListener("abort", this.onAbort);
    this.resolve(new OutboundAnswer(status, res.statusMessage ?? "", this.answerHeaders!, bytes));
  }
}

const EXCHANGE = Symbol("outbound exchange");
type Tagged<T> = T & { [EXCHANGE]: Exchange };

function onTimeout(call: Exchange): void {
  call.timedOut = true;
  call.fail("timeout", call.answering ? `${call.target.host} did not finish answering within ${call.timeoutMs} ms` : `${call.target.host} did not answer within ${call.timeoutMs} ms`);
}

function onRequestError(this: Tagged<ClientRequest>, error: NodeJS.ErrnoException): void {
  const call = this[EXCHANGE];
  if (call.settled || call.answering) return;
  // A kept-alive socket the provider closed just as it was reused: nothing was answered, so the
  // request goes once more on a new socket (node's pattern for req.reusedSocket).
  if (this.reusedSocket && !call.resent && !call.timedOut && (error.code === "ECONNRESET" || error.code === "EPIPE")) {
    call.resent = true;
    return call.send();
  }
  call.fail("network", `could not reach ${call.target.host}`);
}

function onResponse(this: Tagged<ClientRequest>, res: IncomingMessage): void {
  const call = this[EXCHANGE];
  if (call.settled) return void res.destroy();
  call.answering = true;
  call.res = res;
  (res as Tagged<IncomingMessage>)[EXCHANGE] = call;
  // Read from the raw lines: node's `res.headers` would build a map of them all first.
  const headers = (call.answerHeaders = new AnswerHeaders(res.rawHeaders));
  const length = headers.get("content-length");
  if (length !== null && Number(length) > call.maxBytes) return call.fail("too_large", `${call.target.host} answered with more than ${call.maxBytes} bytes`);
  res.on("data", onData);
  res.on("end", onEnd);
  // The connection closed before the answer was complete ("close" also follows a complete one).
  res.on("close", onBroken);
  res.on("error", onBroken);
}

function onData(this: Tagged<IncomingMessage>, chunk: Buffer): void {
  const call = this[EXCHANGE];
  call.size += chunk.length;
  if (call.size > call.maxBytes) return call.fail("too_large", `${call.target.host} answered with more than ${call.maxBytes} bytes`);
  call.chunks.push(chunk);
}

function onEnd(this: Tagged<IncomingMessage>): void {
  this[EXCHANGE].finish(this);
}

function onBroken(this: Tagged<IncomingMessage>): void {
  const call = this[EXCHANGE];
  if (!call.settled) call.fail(call.timedOut ? "timeout" : "network", `the connection to ${call.target.host} broke`);
}

/** Sends the request and reads the whole answer under one deadline and one size limit. */
export function outboundRequest(input: string | URL, init: RequestInit = {}, options: OutboundOptions = {}): Promise<OutboundAnswer> {
  const target = targetOf(input);
  if (!target) return Promise.reject(new OutboundError("network", `could not reach ${hostOf(input)}`));
  const method = init.method === undefined ? "GET" : NORMALISED.has(init.method.toUpperCase()) ? init.method.toUpperCase() : init.method;
  let body: ReturnType<typeof bodyOf>;
  let headers: string[];
  try {
    // As fetch: a GET or HEAD request has no body.
    if ((method === "GET" || method === "HEAD") && init.body !== undefined && init.body !== null) throw new TypeError("a GET or HEAD request cannot have a body");
    body = bodyOf(init.body);
    headers = headersOf(init, target, method, body);
  } catch (error) {
    return Promise.reject(error);
  }
  const signal = init.signal ?? null;
  return new Promise<OutboundAnswer>((resolve, reject) => {
    const call = new Exchange(target, method, headers, body.data, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.maxBytes ?? DEFAULT_MAX_BYTES, signal, resolve, reject);
    if (signal) {
      const onAbort = (call.onAbort = () => call.fail("timeout", `${target.host} did not answer within ${call.timeoutMs} ms`));
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
    }
    call.send();
  });
}

/** `outboundRequest` as a complete Response (the body already read, under the same limits). */
export async function outboundFetch(input: string | URL, init: RequestInit = {}, options: OutboundOptions = {}): Promise<Response> {
  return (await outboundRequest(input, init, options)).toResponse();
}
