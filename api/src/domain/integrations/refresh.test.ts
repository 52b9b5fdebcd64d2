import { describe, expect, it } from "vitest";
import { refreshMarginMs } from "./refresh.ts";

describe("refresh margin", () => {
  const at = (s: number) => new Date(1_700_000_000_000 + s * 1000);
  it("is the configured margin for long-lived tokens", () => {
    expect(refreshMarginMs({ tokenIssuedAt: at(0), tokenExpiresAt: at(3600) }, 120)).toBe(120_000);
  });
  it("never exceeds half a token's lifetime", () => {
    expect(refreshMarginMs({ tokenIssuedAt: at(0), tokenExpiresAt: at(5) }, 120)).toBe(2_500);
    expect(refreshMarginMs({ tokenIssuedAt: at(0), tokenExpiresAt: at(180) }, 120)).toBe(90_000);
  });
  it("falls back to the margin when the issue time is unknown (rows from before it was stored)", () => {
    expect(refreshMarginMs({ tokenIssuedAt: null, tokenExpiresAt: at(5) }, 120)).toBe(120_000);
  });
});
