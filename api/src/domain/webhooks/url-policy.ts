import { lookup as dnsLookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import type { Env } from "../../env.ts";

// Webhook URLs are chosen by workspace admins, so the server must not become a way to reach
// its own network (SSRF): loopback, private, link-local, unique-local, CGNAT, multicast and
// reserved addresses are refused, as literals and as what a hostname resolves to (every
// address, so a name with one public and one private record is refused too). The check runs
// again before every attempt, because DNS answers can change after the endpoint was saved.
// Known gap: fetch resolves the name once more itself, so a rebinding answer in the few
// milliseconds between our lookup and its connect is not caught; pinning the address needs an
// undici dispatcher with a custom lookup.

export type UrlPolicyEnv = Pick<Env, "NODE_ENV" | "WEBHOOK_ALLOW_PRIVATE_URLS">;
export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };
export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

const MAX_URL_LENGTH = 2048;
const DNS_TIMEOUT_MS = 5000;

const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata services
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["100::", 64], // discard
  ["2001:db8::", 32], // documentation
  ["fc00::", 7], // unique-local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // deprecated site-local
  ["ff00::", 8], // multicast
] as const) {
  blocked.addSubnet(net, prefix, "ipv6");
}

/** Whether an IP address is one a webhook must not reach (IPv4-mapped IPv6 included). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family === 6) return blocked.check(address, "ipv6");
  return true;
}

/** Outside production, and unless told otherwise, local receivers are allowed (development, tests). */
export function privateUrlsAllowed(env: UrlPolicyEnv): boolean {
  if (env.WEBHOOK_ALLOW_PRIVATE_URLS) return env.WEBHOOK_ALLOW_PRIVATE_URLS === "on";
  return env.NODE_ENV !== "production";
}

const lookupAll: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export async function validateWebhookUrl(input: string, env: UrlPolicyEnv, options: { lookup?: LookupAll } = {}): Promise<UrlCheck> {
  if (input.length > MAX_URL_LENGTH) return { ok: false, reason: `the URL is longer than ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return { ok: false, reason: "not a valid URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "the URL must use https (or http outside production)" };
  if (url.protocol === "http:" && env.NODE_ENV === "production") return { ok: false, reason: "the URL must use https" };
  if (url.username || url.password) return { ok: false, reason: "the URL must not contain a user name or password" };
  if (privateUrlsAllowed(env)) return { ok: true, url };

  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  if (isIP(host)) return isPrivateAddress(host) ? { ok: false, reason: "the URL points at a private or loopback address" } : { ok: true, url };
  if (host === "localhost" || host.endsWith(".localhost")) return { ok: false, reason: "the URL points at a private or loopback address" };

  let addresses: { address: string }[];
  try {
    addresses = await withTimeout((options.lookup ?? lookupAll)(host), DNS_TIMEOUT_MS);
  } catch {
    return { ok: false, reason: `the host ${host} does not resolve` };
  }
  if (addresses.length === 0) return { ok: false, reason: `the host ${host} does not resolve` };
  if (addresses.some((a) => isPrivateAddress(a.address))) return { ok: false, reason: "the host resolves to a private or loopback address" };
  return { ok: true, url };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("DNS lookup timed out")), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
