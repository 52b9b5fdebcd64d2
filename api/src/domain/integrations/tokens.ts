import type { Vault } from "../vault/vault.ts";

// Where each secret of an integration row lives and what it is bound to: a ciphertext only
// opens on the row and field it was sealed for.

export type StoredTokens = { accessTokenEnc: string | null; refreshTokenEnc: string | null };

export function sealTokens(vault: Vault, rowId: string, tokens: { accessToken: string; refreshToken?: string | null }) {
  return {
    accessTokenEnc: vault.seal(tokens.accessToken, { table: "integration", rowId, field: "accessToken" }),
    refreshTokenEnc: tokens.refreshToken ? vault.seal(tokens.refreshToken, { table: "integration", rowId, field: "refreshToken" }) : null,
    tokenKeyId: vault.activeKeyId,
  };
}

export function openTokens(vault: Vault, row: { id: string } & StoredTokens): { accessToken: string; refreshToken?: string } | null {
  if (!row.accessTokenEnc) return null;
  return {
    accessToken: vault.open(row.accessTokenEnc, { table: "integration", rowId: row.id, field: "accessToken" }),
    refreshToken: row.refreshTokenEnc ? vault.open(row.refreshTokenEnc, { table: "integration", rowId: row.id, field: "refreshToken" }) : undefined,
  };
}
