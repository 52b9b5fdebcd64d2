import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { EncryptionKey } from "../../secrets.ts";

// Token vault: AES-256-GCM from node:crypto, a fresh 96-bit IV per encryption, and additional
// authenticated data that binds each ciphertext to its table, row, field and key id, so a
// ciphertext copied to another row or field, or relabelled with another key id, fails to
// decrypt. Format: v1.<kid>.<iv>.<ciphertext>.<tag> (base64url parts).

export type SealedFor = { table: string; rowId: string; field: string };

export class VaultError extends Error {
  constructor(
    readonly code: "UNKNOWN_KEY" | "MALFORMED" | "TAMPERED" | "NO_KEYS",
    message: string,
  ) {
    super(message);
    this.name = "VaultError";
  }
}

const VERSION = "v1";

function aad(kid: string, to: SealedFor): Buffer {
  return Buffer.from(`switchboard:${VERSION}:${to.table}:${to.rowId}:${to.field}:${kid}`, "utf8");
}

export type Vault = {
  /** The id of the key new ciphertexts use. */
  activeKeyId: string;
  seal(plaintext: string, to: SealedFor): string;
  open(sealed: string, from: SealedFor): string;
  /** The key id a ciphertext was sealed with, without decrypting it. */
  keyIdOf(sealed: string): string;
  /** Re-seals with the active key; returns the input when it already uses it. */
  reseal(sealed: string, at: SealedFor): string;
};

export function createVault(keys: EncryptionKey[]): Vault {
  if (keys.length === 0) throw new VaultError("NO_KEYS", "no encryption keys configured");
  const ring = new Map(keys.map((k) => [k.id, k.key]));
  const active = keys[0]!;

  function parse(sealed: string) {
    const parts = sealed.split(".");
    if (parts.length !== 5 || parts[0] !== VERSION) throw new VaultError("MALFORMED", "not a vault ciphertext");
    const [, kid, iv, data, tag] = parts as [string, string, string, string, string];
    return { kid, iv: Buffer.from(iv, "base64url"), data: Buffer.from(data, "base64url"), tag: Buffer.from(tag, "base64url") };
  }

  const vault: Vault = {
    activeKeyId: active.id,
    seal(plaintext, to) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", active.key, iv);
      cipher.setAAD(aad(active.id, to));
      const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return [VERSION, active.id, iv.toString("base64url"), data.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
    },
    open(sealed, from) {
      const { kid, iv, data, tag } = parse(sealed);
      const key = ring.get(kid);
      // Loud on purpose: a missing key means data this deployment can no longer read.
      if (!key) throw new VaultError("UNKNOWN_KEY", `ciphertext uses key id "${kid}", which is not in ENCRYPTION_KEYS`);
      if (iv.length !== 12 || tag.length !== 16) throw new VaultError("MALFORMED", "not a vault ciphertext");
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, iv);
        decipher.setAAD(aad(kid, from));
        decipher.setAuthTag(tag);
        // GCM is a stream mode: update() returns the whole plaintext and final() only checks
        // the tag (it throws when authentication fails, before anything is returned).
        const plaintext = decipher.update(data);
        decipher.final();
        return plaintext.toString("utf8");
      } catch {
        throw new VaultError("TAMPERED", `ciphertext of ${from.table}.${from.field} failed authentication`);
      }
    },
    keyIdOf(sealed) {
      return parse(sealed).kid;
    },
    reseal(sealed, at) {
      if (vault.keyIdOf(sealed) === active.id) return sealed;
      return vault.seal(vault.open(sealed, at), at);
    },
  };
  return vault;
}
