import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createVault, VaultError } from "./vault.ts";

const k1 = { id: "k1", key: randomBytes(32) };
const k2 = { id: "k2", key: randomBytes(32) };
const at = { table: "integration", rowId: "row-1", field: "accessToken" };

describe("vault", () => {
  it("round-trips and gives different ciphertexts for the same plaintext", () => {
    const vault = createVault([k1]);
    const a = vault.seal("xoxb-secret", at);
    const b = vault.seal("xoxb-secret", at);
    expect(a).not.toBe(b);
    expect(a).not.toContain("xoxb-secret");
    expect(vault.open(a, at)).toBe("xoxb-secret");
    expect(vault.open(b, at)).toBe("xoxb-secret");
  });

  it("fails when any bit of the ciphertext, IV or tag flips", () => {
    const vault = createVault([k1]);
    const sealed = vault.seal("token-value-123", at);
    const parts = sealed.split(".");
    for (const index of [2, 3, 4]) {
      const raw = Buffer.from(parts[index]!, "base64url");
      raw[0] = raw[0]! ^ 1;
      const flipped = [...parts];
      flipped[index] = raw.toString("base64url");
      expect(() => vault.open(flipped.join("."), at)).toThrow(VaultError);
    }
  });

  it("fails when a ciphertext is moved to another row or field, or relabelled with another key id", () => {
    const vault = createVault([k1, { id: "k9", key: k1.key }]);
    const sealed = vault.seal("token", at);
    expect(() => vault.open(sealed, { ...at, rowId: "row-2" })).toThrow(/failed authentication/);
    expect(() => vault.open(sealed, { ...at, field: "refreshToken" })).toThrow(/failed authentication/);
    expect(() => vault.open(sealed.replace(".k1.", ".k9."), at)).toThrow(/failed authentication/);
  });

  it("decrypts with any key of the ring, seals with the first, and fails loudly on an unknown key id", () => {
    const old = createVault([k1]).seal("token", at);
    const rotated = createVault([k2, k1]);
    expect(rotated.open(old, at)).toBe("token");
    const resealed = rotated.reseal(old, at);
    expect(rotated.keyIdOf(resealed)).toBe("k2");
    expect(rotated.open(resealed, at)).toBe("token");
    expect(rotated.reseal(resealed, at)).toBe(resealed);
    expect(() => createVault([k2]).open(old, at)).toThrow(/key id "k1", which is not in ENCRYPTION_KEYS/);
    expect(() => createVault([k1]).open("garbage", at)).toThrow(/not a vault ciphertext/);
  });
});
