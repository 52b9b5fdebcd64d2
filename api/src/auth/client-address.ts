import { BlockList, isIP } from "node:net";
import type { IncomingMessage } from "node:http";

/**
 * The client's address as this server decided it, set by app.ts on every request and WebSocket
 * upgrade (whatever a client sent under this name is overwritten). better-auth reads it
 * (`advanced.ipAddress.ipAddressHeaders`) for sessions, and the throttles key on it.
 */
export const CLIENT_ADDRESS_HEADER = "x-switchboard-client-address";

export class TrustedProxiesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrustedProxiesError";
  }
}

/** TRUSTED_PROXIES (`10.0.0.0/8, 192.0.2.10, fd00::/8`) as a BlockList; null when unset. */
export function parseTrustedProxies(raw: string | undefined): BlockList | null {
  const entries = (raw ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefixText, ...rest] = entry.split("/");
    const family = isIP(address ?? "");
    const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
    if (rest.length > 0 || family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32) || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
      throw new TrustedProxiesError(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR (such as 10.0.0.0/8 or 192.0.2.10)`);
    }
    list.addSubnet(address!, prefix, family === 6 ? "ipv6" : "ipv4");
  }
  return list;
}

/** `::ffff:192.0.2.1` → `192.0.2.1`; other addresses as they are (lower case). */
export function plainAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped ? mapped[1]! : lower;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 6 ? "ipv6" : "ipv4");
}

/**
 * The client of a request: the socket's peer, unless that peer is a trusted proxy; then
 * `X-Forwarded-For` is walked from the right, past every trusted proxy, and the first address
 * that is not one is the client. A hop that is not an IP address ends the walk at the proxy
 * that forwarded it, so a client cannot pick its own key by sending garbage.
 */
export function clientAddress(req: IncomingMessage, trusted: BlockList | null): string {
  const peer = plainAddress(req.socket.remoteAddress ?? "");
  if (!trusted || !isTrusted(trusted, peer)) return peer;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((hop) => plainAddress(hop))
    .filter(Boolean);
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!isTrusted(trusted, hop)) return hop;
  }
  return client;
}

/**
 * What a throttle counts per address: an IPv4 address, or the /64 network of an IPv6 one (a
 * single host usually holds a whole /64, so counting single addresses would count nothing).
 */
export function throttleSubject(address: string): string {
  const plain = plainAddress(address);
  if (isIP(plain) !== 6) return plain;
  const [head = "", tail = ""] = plain.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = plain.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (g || "0").replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
