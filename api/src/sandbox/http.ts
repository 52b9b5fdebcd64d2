import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

// Plain node:http plumbing for the emulators: bounded body reading, strict form/JSON parsing,
// replies, header credentials and random opaque values. No framework: the sandbox is mounted
// inside the app's own node:http server and must not pull one in.

export const MAX_BODY_BYTES = 64 * 1024;
// Past the limit the body is still drained (so the client can read the 413) up to this much,
// then the connection is dropped.
const MAX_DRAIN_BYTES = 1024 * 1024;

/** What a handler answers; `send` writes it. Exactly one of json/text/html, or none (empty body). */
export type Reply = {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
  html?: string;
};

export type BodyProblem = "form" | "json" | "content_type";

export type ReadBody = { ok: true; raw: Buffer } | { ok: false; reason: "too_large" | "aborted" };

export function readBody(req: IncomingMessage): Promise<ReadBody> {
  return new Promise((resolve) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > MAX_BODY_BYTES;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      if (size > MAX_DRAIN_BYTES) {
        req.destroy();
        resolve({ ok: false, reason: "too_large" });
        return;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? { ok: false, reason: "too_large" } : { ok: true, raw: Buffer.concat(chunks) }));
    // A client that goes away mid-body is not an error of ours: nothing to answer, nothing to log.
    req.on("error", () => resolve({ ok: false, reason: "aborted" }));
    req.on("close", () => {
      if (!req.complete) resolve({ ok: false, reason: "aborted" });
    });
  });
}

/** Reads the body, answering 413 itself when it is too large; undefined means "already handled". */
export async function readBodyOrRefuse(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
  const body = await readBody(req);
  if (body.ok) return body.raw;
  if (body.reason === "too_large") send(res, { status: 413, headers: { connection: "close" }, json: { error: "request_too_large", message: "Request bodies are limited to 64 KB." } });
  return undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses an x-www-form-urlencoded or (when allowed) JSON body into one parameter bag.
 * URLSearchParams is lenient (it keeps a stray "%zz" as text), so malformed escapes and invalid
 * UTF-8 are caught here: a real provider answers those with its invalid_request shape.
 */
export function parseBody(input: { raw: Buffer; contentType: string | undefined; allowJson: boolean }): URLSearchParams | BodyProblem {
  const { raw, allowJson } = input;
  if (raw.length === 0) return new URLSearchParams();
  const type = (input.contentType ?? "application/x-www-form-urlencoded").split(";")[0]!.trim().toLowerCase();
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return type === "application/json" ? "json" : "form";
  }
  if (type === "application/x-www-form-urlencoded") {
    if (/%(?![0-9A-Fa-f]{2})/.test(text)) return "form";
    try {
      for (const part of text.split("&")) decodeURIComponent(part.replace(/\+/g, " "));
    } catch {
      return "form";
    }
    return new URLSearchParams(text);
  }
  if (type === "application/json" && allowJson) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return "json";
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "json";
    const params = new URLSearchParams();
    for (const [key, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      params.append(key, typeof v === "object" ? JSON.stringify(v) : String(v));
    }
    return params;
  }
  return "content_type";
}

/** A parameter's value, with "" treated as absent (as providers do for required params). */
export function param(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name);
  return value === null || value === "" ? undefined : value;
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { "cache-control": "no-store", pragma: "no-cache", ...reply.headers };
  let body: string | undefined;
  if (reply.json !== undefined) {
    headers["content-type"] ??= "application/json; charset=utf-8";
    body = JSON.stringify(reply.json);
  } else if (reply.html !== undefined) {
    headers["content-type"] = "text/html; charset=utf-8";
    // Emulator pages are static forms: no script at all, no framing (a consent page in a frame
    // is a clickjacking target), forms may only post back here.
    headers["content-security-policy"] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    headers["x-frame-options"] = "DENY";
    body = reply.html;
  } else if (reply.text !== undefined) {
    headers["content-type"] ??= "text/plain; charset=utf-8";
    body = reply.text;
  }
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, headers);
  res.end(body);
}

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return match?.[1];
}

/** RFC 6749 §2.3.1: client_secret_basic, where id and secret are form-encoded before base64. */
export function basicCredentials(req: IncomingMessage): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  const unform = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, " "));
    } catch {
      return s;
    }
  };
  return { clientId: unform(decoded.slice(0, colon)), clientSecret: unform(decoded.slice(colon + 1)) };
}

/** Compares secrets without leaking their length or prefix through timing. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export function randomBase62(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = "";
  // 62 * 4 = 248: rejecting bytes >= 248 keeps the alphabet uniform.
  for (const byte of bytes) {
    if (byte < 248) out += BASE62[byte % 62];
    if (out.length === length) return out;
  }
  return out + randomBase62(length - out.length);
}

export function randomDigits(length: number): string {
  let out = "";
  for (const byte of randomBytes(length * 2)) {
    if (byte < 250) out += String(byte % 10);
    if (out.length === length) return out;
  }
  return out + randomDigits(length - out.length);
}

export function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString("hex").slice(0, length);
}

export function randomBase64Url(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}

/** A request id in the style of HubSpot's correlationId (a UUID). */
export function correlationId(): string {
  return randomUUID();
}
