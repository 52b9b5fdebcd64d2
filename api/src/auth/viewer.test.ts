import { describe, expect, it } from "vitest";
import { bearerToken } from "./viewer.ts";
import { can } from "./roles.ts";

describe("bearerToken", () => {
  it("reads exactly one Bearer credential", () => {
    expect(bearerToken("Bearer sb_abc")).toBe("sb_abc");
    expect(bearerToken("bearer   sb_abc ")).toBe("sb_abc");
    for (const bad of [null, "", "Basic xyz", "Bearer", "Bearer a b", "sb_abc"]) expect(bearerToken(bad)).toBeNull();
  });
});

describe("roles", () => {
  it("lets viewers read, members test, admins and owners manage", () => {
    expect(can("viewer", { integration: ["read"] })).toBe(true);
    expect(can("viewer", { integration: ["test"] })).toBe(false);
    expect(can("member", { integration: ["test"] })).toBe(true);
    expect(can("member", { integration: ["connect"] })).toBe(false);
    expect(can("member", { apiKey: ["create"] })).toBe(false);
    for (const role of ["admin", "owner"] as const) {
      expect(can(role, { integration: ["connect", "disconnect"], apiKey: ["create"], webhook: ["create"] })).toBe(true);
    }
  });
});
