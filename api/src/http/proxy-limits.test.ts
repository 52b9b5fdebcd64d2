import { describe, expect, it } from "vitest";
import { createProxyLimits } from "./proxy-limits.ts";

describe("proxy limits per connection", () => {
  it("PROXY_MAX_CONCURRENT_PER_CONNECTION: calls in flight, per connection, freed by release", () => {
    const limits = createProxyLimits({ PROXY_MAX_CONCURRENT_PER_CONNECTION: 2, PROXY_REQUESTS_PER_MINUTE: 0 });
    expect(limits.admit("a")).toEqual({ ok: true });
    expect(limits.admit("a")).toEqual({ ok: true });
    expect(limits.admit("a")).toMatchObject({ ok: false, retryAfter: 1, message: expect.stringContaining("2 proxied calls at once") });
    expect(limits.admit("b")).toEqual({ ok: true });
    limits.release("a");
    expect(limits.running("a")).toBe(1);
    expect(limits.admit("a")).toEqual({ ok: true });
    limits.release("a");
    limits.release("a");
    limits.release("a"); // one release too many never goes below zero
    expect(limits.running("a")).toBe(0);
    expect(limits.admit("a")).toEqual({ ok: true });
  });

  it("PROXY_REQUESTS_PER_MINUTE: a fixed one-minute window per connection, Retry-After until it ends", () => {
    const limits = createProxyLimits({ PROXY_MAX_CONCURRENT_PER_CONNECTION: 100, PROXY_REQUESTS_PER_MINUTE: 3 });
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) {
      expect(limits.admit("a", t0 + i * 1000)).toEqual({ ok: true });
      limits.release("a");
    }
    expect(limits.admit("a", t0 + 10_000)).toEqual({ ok: false, retryAfter: 50, message: expect.stringContaining("3 proxied calls a minute") });
    expect(limits.admit("a", t0 + 59_500)).toMatchObject({ ok: false, retryAfter: 1 });
    expect(limits.admit("b", t0 + 10_000)).toEqual({ ok: true });
    // A refused call takes no slot.
    expect(limits.running("a")).toBe(0);
    expect(limits.admit("a", t0 + 60_000)).toEqual({ ok: true });
  });

  it("a refusal for the rate does not count as a call of the next window", () => {
    const limits = createProxyLimits({ PROXY_MAX_CONCURRENT_PER_CONNECTION: 100, PROXY_REQUESTS_PER_MINUTE: 1 });
    expect(limits.admit("a", 0)).toEqual({ ok: true });
    for (let i = 0; i < 5; i++) expect(limits.admit("a", 1000 + i).ok).toBe(false);
    expect(limits.admit("a", 60_000)).toEqual({ ok: true });
    expect(limits.admit("a", 60_001).ok).toBe(false);
  });
});
