import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { CLIENT_ADDRESS_HEADER } from "../auth/client-address.ts";

// What crosses the proxy in each direction. RFC 9110 §7.6.1: hop-by-hop fields (Connection and
// every field it names, plus the classic ones RFC 2616 §13.5.1 lists) belong to one connection
// and are never forwarded. Toward the provider the caller's credentials (its Switchboard key,
// its cookies) and anything that describes the caller's network are dropped and the
// connection's token is set; toward the caller the provider's cookies are dropped (they would
// land on Switchboard's origin). Everything else passes as sent, duplicates and order kept.

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade"]);

const NOT_TO_PROVIDER = new Set([
  "authorization",
  "cookie",
  "cookie2",
  "host",
  // Set by the proxy from the body it actually sends; 100-continue is handled on each hop.
  "content-length",
  "expect",
  "forwarded",
  "x-real-ip",
  "via",
  CLIENT_ADDRESS_HEADER,
]);

const NOT_TO_CALLER = new Set(["set-cookie", "set-cookie2"]);

/** Lower-cased field names a Connection header lists (RFC 9110 §7.6.1). */
function connectionNamed(raw: string[]): Set<string> {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() !== "connection") continue;
    for (const token of raw[i + 1]!.split(",")) {
      const name = token.trim().toLowerCase();
      if (name) named.add(name);
    }
  }
  return named;
}

/**
 * The provider's request headers, as a flat raw list (node:http sends it as it is, duplicates
 * and order kept, and adds no Host of its own): the provider's host, the caller's fields minus
 * credentials, hop-by-hop and forwarding ones, the connection's token, and how the body the
 * proxy sends is framed (a length, "chunked" for one streamed as it comes, or nothing).
 */
export function headersToProvider(rawHeaders: string[], { host, accessToken, body }: { host: string; accessToken: string; body: { length: number } | "chunked" | "none" }): string[] {
  const named = connectionNamed(rawHeaders);
  const out: string[] = ["Host", host];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || NOT_TO_PROVIDER.has(lower) || named.has(lower) || lower.startsWith("x-forwarded-") || lower.startsWith("proxy-")) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  out.push("Authorization", `Bearer ${accessToken}`);
  if (body === "chunked") out.push("Transfer-Encoding", "chunked");
  else if (body !== "none") out.push("Content-Length", String(body.length));
  return out;
}

/** The provider's response headers for the caller, grouped by name (each value list is sent as separate lines). */
export function headersToCaller(rawHeaders: string[]): OutgoingHttpHeaders {
  const named = connectionNamed(rawHeaders);
  const out: Record<string, string[]> = {};
  const firstSpelling = new Map<string, string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || NOT_TO_CALLER.has(lower) || named.has(lower) || lower.startsWith("proxy-")) continue;
    const key = firstSpelling.get(lower) ?? (firstSpelling.set(lower, name), name);
    (out[key] ??= []).push(rawHeaders[i + 1]!);
  }
  return out;
}

/** A header's single value from node's parsed headers (the first, when repeated). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
