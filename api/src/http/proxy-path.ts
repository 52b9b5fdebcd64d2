// Where a proxied call may go: under the connection's API base and nowhere else. The request
// target is read raw (node:http does not normalise it) and refused, before anything is sent,
// when it could mean something else to a URL parser, a provider's server or a framework in
// front of it: dot segments (also percent-encoded, and Tomcat's "..;"), encoded or doubled
// slashes, backslashes, `@`, a scheme, control characters, invalid UTF-8. What passes is
// joined to the base and checked once more after WHATWG URL parsing: same origin, and a path
// that is exactly the base's path + "/" + what was asked. The query string is passed on as sent.

export const PROXY_PREFIX = "/proxy/";

const INTEGRATION_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** RFC 3986 pchar and "/", minus "@" (userinfo confusion): unreserved, sub-delims, ":", "%". */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:%/]*$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

export type ProxyRequestTarget = {
  integrationId: string;
  /** The provider path, raw (percent-encoded as sent), without a leading slash; null for the base itself (/proxy/{id}). */
  path: string | null;
  /** "" or "?…", exactly as sent. */
  query: string;
};

export type ParsedProxyUrl = { ok: true; target: ProxyRequestTarget; refusal: string | null } | { ok: false };

/**
 * Splits /proxy/{integrationId}/{path}?{query}. `ok: false` when the id is malformed (answered
 * as a missing connection); otherwise `refusal` says why the path may not be forwarded, or null.
 */
export function parseProxyUrl(rawUrl: string): ParsedProxyUrl {
  if (!rawUrl.startsWith(PROXY_PREFIX)) return { ok: false };
  const q = rawUrl.indexOf("?");
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? "" : rawUrl.slice(q);
  const rest = rawPath.slice(PROXY_PREFIX.length);
  const slash = rest.indexOf("/");
  const integrationId = slash < 0 ? rest : rest.slice(0, slash);
  if (!INTEGRATION_ID.test(integrationId)) return { ok: false };
  const path = slash < 0 ? null : rest.slice(slash + 1);
  const target = { integrationId, path, query };
  return { ok: true, target, refusal: (path === null ? null : pathRefusal(path)) ?? queryRefusal(query) };
}

/** Why a raw provider path may not be forwarded, or null when it may. */
export function pathRefusal(path: string): string | null {
  if (/[\x00-\x1f\x7f]/.test(path)) return "control characters in the path";
  if (path.includes("\\")) return "a backslash in the path";
  if (path.includes("@")) return "an @ in the path (send it percent-encoded as %40)";
  if (!PATH_CHARS.test(path)) return "a character that must be percent-encoded in a path";
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return "a malformed percent-encoding";
  if (/%(2f|5c)/i.test(path)) return "an encoded slash or backslash (%2F, %5C)";
  if (/%(0[0-9a-f]|1[0-9a-f]|7f)/i.test(path)) return "an encoded control character";
  // Double encoding: a server (or a framework in front of it) that decodes twice would see a
  // dot, a slash or a backslash here.
  if (/%25(2e|2f|5c)/i.test(path)) return "a double-encoded dot, slash or backslash";
  try {
    decodeURIComponent(path);
  } catch {
    return "percent-encoded bytes that are not UTF-8";
  }
  const segments = path.split("/");
  if (SCHEME.test(segments[0]!)) return "an absolute URL (a scheme) where a path belongs";
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    // A trailing slash is a path of its own (Salesforce's /services/data/); "a//b" and "//host" are not.
    if (segment === "") {
      if (i === segments.length - 1 && i > 0) continue;
      if (segments.length === 1) continue;
      return "an empty path segment (a doubled or leading slash)";
    }
    // "%2e%2e" is ".." to WHATWG URL and to most servers; "..;x" is ".." to Tomcat and Spring.
    const name = decodeURIComponent(segment).split(";")[0];
    if (name === "." || name === "..") return "a dot segment (. or ..)";
  }
  return null;
}

function queryRefusal(query: string): string | null {
  if (/[\x00-\x1f\x7f]/.test(query)) return "control characters in the query";
  if (query.includes("#")) return "a fragment (#) in the request";
  return null;
}

export type ProviderUrl = { url: URL; /** path + query for the request line, the query exactly as sent */ requestPath: string };

/**
 * The provider URL for a checked target: the base joined with the path, then checked again as
 * a URL parser reads it. Null when it would leave the base (which the checks above make
 * impossible; this is the second lock on the same door).
 */
export function providerUrl(base: URL, target: ProxyRequestTarget): ProviderUrl | null {
  const basePath = base.pathname.replace(/\/+$/, "");
  const wantedPath = target.path === null ? base.pathname : `${basePath}/${target.path}`;
  let url: URL;
  try {
    url = new URL(`${base.origin}${wantedPath}`);
  } catch {
    return null;
  }
  if (url.origin !== base.origin || url.username || url.password || url.search || url.hash) return null;
  // The parser must have changed nothing: no dot segment resolved, nothing re-encoded.
  if (url.pathname !== wantedPath) return null;
  if (url.pathname !== base.pathname && !url.pathname.startsWith(`${basePath}/`)) return null;
  return { url, requestPath: `${url.pathname}${target.query}` };
}

/**
 * The API base of a connection: Salesforce's per-org `instance_url` from its token response
 * (salesforce.md: "API calls go to the token response's instance_url"), otherwise the
 * catalog's `apiBaseUrl` (the built-ins' documented hosts, or the sandbox emulators' in sandbox
 * mode; catalog providers set it in PROVIDERS_FILE).
 */
export function apiBaseOf(provider: { type: string; apiBaseUrl?: string }, providerConfig: unknown): URL | null {
  const instance = provider.type === "salesforce" && providerConfig && typeof providerConfig === "object" ? (providerConfig as { instance_url?: unknown }).instance_url : undefined;
  const raw = provider.type === "salesforce" ? (typeof instance === "string" ? instance : undefined) : provider.apiBaseUrl;
  if (!raw) return null;
  try {
    const url = new URL(raw);
    if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search || url.hash) return null;
    return url;
  } catch {
    return null;
  }
}
