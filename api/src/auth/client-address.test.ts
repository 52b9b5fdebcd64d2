import { describe, expect, it } from "vitest";
import type { IncomingMessage } from "node:http";
import { clientAddress, parseTrustedProxies, throttleSubject } from "./client-address.ts";

const request = (peer: string, xff?: string | string[]) => ({ socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { "x-forwarded-for": xff } }) as unknown as IncomingMessage;

describe("client address", () => {
  const trusted = parseTrustedProxies("10.0.0.0/8, 192.0.2.10, fd00::/8");

  it("is the socket's peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddress(request("203.0.113.5", "198.51.100.1"), null)).toBe("203.0.113.5");
    expect(clientAddress(request("::ffff:203.0.113.5", "198.51.100.1"), null)).toBe("203.0.113.5");
    expect(clientAddress(request("203.0.113.5", "198.51.100.1"), trusted)).toBe("203.0.113.5"); // the peer is not a trusted proxy
  });

  it("walks X-Forwarded-For from the right past trusted proxies", () => {
    expect(clientAddress(request("10.0.0.2", "198.51.100.1"), trusted)).toBe("198.51.100.1");
    expect(clientAddress(request("10.0.0.2", "1.1.1.1, 198.51.100.1, 192.0.2.10"), trusted)).toBe("198.51.100.1");
    expect(clientAddress(request("10.0.0.2", ["1.1.1.1", "198.51.100.1"]), trusted)).toBe("198.51.100.1");
    expect(clientAddress(request("fd00::1", "2001:db8::7"), trusted)).toBe("2001:db8::7");
    // Only proxies: the leftmost one is as far as anyone can tell.
    expect(clientAddress(request("10.0.0.2", "10.9.9.9"), trusted)).toBe("10.9.9.9");
    // Garbage stops at the proxy that forwarded it; no header: the proxy itself.
    expect(clientAddress(request("10.0.0.2", "evil, 10.3.3.3"), trusted)).toBe("10.3.3.3");
    expect(clientAddress(request("10.0.0.2"), trusted)).toBe("10.0.0.2");
  });

  it("refuses entries that are not addresses or CIDRs", () => {
    expect(parseTrustedProxies(undefined)).toBeNull();
    expect(parseTrustedProxies(" , ")).toBeNull();
    for (const bad of ["proxy.internal", "10.0.0.0/33", "10.0.0.0/8/1", "::/129", "10.0.0.0/x"]) expect(() => parseTrustedProxies(bad), bad).toThrow(/TRUSTED_PROXIES/);
  });

  it("counts IPv4 addresses one by one and IPv6 by /64", () => {
    expect(throttleSubject("203.0.113.5")).toBe("203.0.113.5");
    expect(throttleSubject("::ffff:203.0.113.5")).toBe("203.0.113.5");
    expect(throttleSubject("2001:db8:1:2::5")).toBe("2001:db8:1:2::/64");
    expect(throttleSubject("2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(throttleSubject("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(throttleSubject("::1")).toBe("0:0:0:0::/64");
  });
});
