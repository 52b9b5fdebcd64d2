import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Env } from "../../env.ts";
import { specialAddressRange, type SpecialRange } from "./special-address.ts";

// Webhook URLs are chosen by workspace admins, and anyone may sign up and become one, so the
// server must not become a way into its own network (SSRF): every special-purpose address
// (special-address.ts) is refused, as a literal and as what a hostname resolves to (every
// address, so a name with one public and one private record is refused too), unless
// WEBHOOK_ALLOW_PRIVATE_URLS=on (a receiver on the same machine or network, in development and
// tests). The check runs at every attempt, because DNS answers change; and the name is resolved
// once per attempt: the request connects to the addresses checked here (send-webhook.ts), never
// to a second answer (DNS rebinding).

export type UrlPolicyEnv = Pick<Env, "NODE_ENV" | "allowPrivateWebhookUrls">;
export type ResolvedAddress = { address: string; family: 4 | 6 };
/** Resolves a hostname to all its addresses (default: the system resolver, as `dns.lookup`). */
export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;
/** A URL that may be called, with the addresses the request must connect to. */
export type UrlCheck = { ok: true; url: URL; addresses: ResolvedAddress[] } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;
const DNS_TIMEOUT_MS = 5000;

const systemLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const SPECIAL = "a private, loopback or special-use address";

/**
 * Checks a webhook URL and resolves its host once. Expected refusals are values with a reason
 * an admin can act on; the addresses of an accepted URL are the only ones it may be sent to.
 */
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
  const allowPrivate = env.allowPrivateWebhookUrls;

  // The URL parser has already turned 2130706433, 0x7f.1, 017700000001 and 127.1 into 127.0.0.1.
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  const literal = isIP(host);
  if (literal) {
    const range = specialAddressRange(host);
    if (range && !allowPrivate) return { ok: false, reason: `the URL points at ${SPECIAL} (${describe(range)})` };
    return { ok: true, url, addresses: [{ address: host, family: literal as 4 | 6 }] };
  }
  // RFC 6761: these names are loopback whatever a resolver says.
  if (!allowPrivate && (host === "localhost" || host.endsWith(".localhost"))) {
    return { ok: false, reason: `the URL points at ${SPECIAL} (localhost)` };
  }

  let answers: { address: string; family: number }[];
  try {
    answers = await withTimeout((options.lookup ?? systemLookup)(host), DNS_TIMEOUT_MS);
  } catch {
    return { ok: false, reason: `the host ${host} does not resolve` };
  }
  const addresses = answers.flatMap(({ address }): ResolvedAddress[] => {
    const family = isIP(address);
    return family === 4 || family === 6 ? [{ address, family }] : [];
  });
  if (addresses.length === 0 || addresses.length !== answers.length) return { ok: false, reason: `the host ${host} does not resolve` };
  // Which address, or which block, is not said: that would answer questions about internal DNS.
  if (!allowPrivate && addresses.some(({ address }) => specialAddressRange(address))) return { ok: false, reason: `the host resolves to ${SPECIAL}` };
  return { ok: true, url, addresses };
}

function describe(range: SpecialRange): string {
  return `${range.cidr}, ${range.name}`;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("DNS lookup timed out")), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
