import { isIP } from "node:net";

// Where a webhook must not go: every block of the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (RFC 6890 and the RFCs that updated them, as published in 2025:
// https://www.iana.org/assignments/iana-ipv4-special-registry and
// https://www.iana.org/assignments/iana-ipv6-special-registry), whether or not the registry
// calls it globally reachable (no receiver lives on an anycast relay or a benchmarking net),
// plus the multicast spaces and the deprecated IPv6 forms that still reach IPv4 or a local
// site. Two registered blocks carry an IPv4 address inside them and are judged by it instead,
// because they are how IPv6-only networks reach public IPv4 hosts: the NAT64 well-known prefix
// 64:ff9b::/96 (RFC 6052, DNS64 answers with it) and 6to4 2002::/16 (RFC 3056).

export type SpecialRange = { cidr: string; name: string };

type Block = SpecialRange & { bytes: number[]; bits: number };

const IPV4_BLOCKS: SpecialRange[] = [
  { cidr: "0.0.0.0/8", name: "this network (RFC 791, RFC 1122)" },
  { cidr: "10.0.0.0/8", name: "private use (RFC 1918)" },
  { cidr: "100.64.0.0/10", name: "shared address space, carrier-grade NAT (RFC 6598)" },
  { cidr: "127.0.0.0/8", name: "loopback (RFC 1122)" },
  { cidr: "169.254.0.0/16", name: "link-local, cloud metadata services (RFC 3927)" },
  { cidr: "172.16.0.0/12", name: "private use (RFC 1918)" },
  // Holds 192.0.0.0/29 (DS-Lite, RFC 7335), .8 (dummy, RFC 7600), .9 (PCP anycast, RFC 7723),
  // .10 (TURN anycast, RFC 8155), .170 and .171 (NAT64 discovery, RFC 8880).
  { cidr: "192.0.0.0/24", name: "IETF protocol assignments (RFC 6890)" },
  { cidr: "192.0.2.0/24", name: "documentation, TEST-NET-1 (RFC 5737)" },
  { cidr: "192.31.196.0/24", name: "AS112-v4 (RFC 7535)" },
  { cidr: "192.52.193.0/24", name: "AMT (RFC 7450)" },
  // Holds 192.88.99.2/32, the 6a44 relay (RFC 6751).
  { cidr: "192.88.99.0/24", name: "6to4 relay anycast, deprecated (RFC 7526)" },
  { cidr: "192.168.0.0/16", name: "private use (RFC 1918)" },
  { cidr: "192.175.48.0/24", name: "direct delegation AS112 service (RFC 7534)" },
  { cidr: "198.18.0.0/15", name: "benchmarking (RFC 2544)" },
  { cidr: "198.51.100.0/24", name: "documentation, TEST-NET-2 (RFC 5737)" },
  { cidr: "203.0.113.0/24", name: "documentation, TEST-NET-3 (RFC 5737)" },
  // IANA IPv4 Multicast Address Space Registry.
  { cidr: "224.0.0.0/4", name: "multicast (RFC 5771)" },
  // Holds 255.255.255.255/32, limited broadcast (RFC 919, RFC 8190).
  { cidr: "240.0.0.0/4", name: "reserved and limited broadcast (RFC 1112, RFC 8190)" },
];

const IPV6_BLOCKS: SpecialRange[] = [
  // Holds ::/128 (unspecified) and ::1/128 (loopback), RFC 4291.
  { cidr: "::/96", name: "unspecified, loopback and IPv4-compatible, deprecated (RFC 4291)" },
  { cidr: "::ffff:0:0/96", name: "IPv4-mapped (RFC 4291)" },
  { cidr: "::ffff:0:0:0/96", name: "IPv4-translated (RFC 2765)" },
  { cidr: "64:ff9b:1::/48", name: "IPv4-IPv6 translation, local use (RFC 8215)" },
  { cidr: "100::/64", name: "discard-only (RFC 6666)" },
  { cidr: "100:0:0:1::/64", name: "dummy IPv6 prefix (RFC 9780)" },
  // Holds Teredo 2001::/32 (RFC 4380), PCP, TURN and DNS-SD SRP anycast 2001:1::1-3,
  // benchmarking 2001:2::/48 (RFC 5180), AMT 2001:3::/32, AS112-v6 2001:4:112::/48, ORCHID
  // 2001:10::/28 and ORCHIDv2 2001:20::/28 (RFC 7343), drone DETs 2001:30::/28 (RFC 9374).
  { cidr: "2001::/23", name: "IETF protocol assignments, Teredo (RFC 2928, RFC 4380)" },
  { cidr: "2001:db8::/32", name: "documentation (RFC 3849)" },
  { cidr: "2620:4f:8000::/48", name: "direct delegation AS112 service (RFC 7534)" },
  { cidr: "3fff::/20", name: "documentation (RFC 9637)" },
  { cidr: "5f00::/16", name: "segment routing SIDs (RFC 9602)" },
  { cidr: "fc00::/7", name: "unique local (RFC 4193)" },
  { cidr: "fe80::/10", name: "link-local (RFC 4291)" },
  { cidr: "fec0::/10", name: "site-local, deprecated (RFC 3879)" },
  { cidr: "ff00::/8", name: "multicast (RFC 4291)" },
];

const NAT64 = block({ cidr: "64:ff9b::/96", name: "NAT64 (RFC 6052)" });
const SIX_TO_FOUR = block({ cidr: "2002::/16", name: "6to4 (RFC 3056)" });

const ipv4Blocks = IPV4_BLOCKS.map(block);
const ipv6Blocks = IPV6_BLOCKS.map(block);

/**
 * The special-purpose block an IP address belongs to, or null for an ordinary public address.
 * Anything that is not an IP address is special too (callers pass resolved addresses only).
 */
export function specialAddressRange(address: string): SpecialRange | null {
  const family = isIP(address);
  if (family === 0) return { cidr: address, name: "not an IP address" };
  const bytes = family === 4 ? ipv4Bytes(address) : ipv6Bytes(address);
  if (family === 4) return rangeOf(ipv4Blocks, bytes);
  // A zone index (fe80::1%eth0) only exists for link-local and multicast scopes.
  if (address.includes("%")) return { cidr: address, name: "scoped (zone index) address" };
  for (const wrapper of [NAT64, SIX_TO_FOUR]) {
    if (!matches(wrapper, bytes)) continue;
    const embedded = wrapper === NAT64 ? bytes.slice(12, 16) : bytes.slice(2, 6);
    const inner = rangeOf(ipv4Blocks, embedded);
    return inner ? { cidr: wrapper.cidr, name: `${wrapper.name} of ${embedded.join(".")}, ${inner.name}` } : null;
  }
  return rangeOf(ipv6Blocks, bytes);
}

function rangeOf(blocks: Block[], bytes: number[]): SpecialRange | null {
  const hit = blocks.find((b) => matches(b, bytes));
  return hit ? { cidr: hit.cidr, name: hit.name } : null;
}

function matches(b: Block, bytes: number[]): boolean {
  if (b.bytes.length !== bytes.length) return false;
  for (let bit = 0; bit < b.bits; bit += 8) {
    const mask = b.bits - bit >= 8 ? 0xff : (0xff << (8 - (b.bits - bit))) & 0xff;
    const i = bit / 8;
    if ((bytes[i]! & mask) !== (b.bytes[i]! & mask)) return false;
  }
  return true;
}

function block(range: SpecialRange): Block {
  const [address, bits] = range.cidr.split("/") as [string, string];
  return { ...range, bytes: isIP(address) === 4 ? ipv4Bytes(address) : ipv6Bytes(address), bits: Number(bits) };
}

/** Dotted-quad IPv4 (as isIP accepts it) to its 4 bytes. */
function ipv4Bytes(address: string): number[] {
  return address.split(".").map(Number);
}

/** Any IPv6 text form isIP accepts (compressed, with an embedded dotted quad, with a zone) to 16 bytes. */
function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, "");
  let tail: number[] | null = null;
  if (text.includes(".")) {
    const cut = text.lastIndexOf(":");
    tail = ipv4Bytes(text.slice(cut + 1));
    text = `${text.slice(0, cut + 1)}0:0`;
  }
  const groupsOf = (part: string) => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const [head = "", rest] = text.split("::");
  const before = groupsOf(head);
  const after = rest === undefined ? [] : groupsOf(rest);
  const groups = rest === undefined ? before : [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail) bytes.splice(12, 4, ...tail);
  return bytes;
}
