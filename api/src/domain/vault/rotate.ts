import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Vault } from "./vault.ts";

export type RotationResult = { integrations: number; oauthStates: number; webhookEndpoints: number; alreadyCurrent: number };

/**
 * Re-seals every stored secret with the active key (the first of ENCRYPTION_KEYS). Safe while
 * the app runs: each row is updated only if its ciphertext is still the one that was read, so a
 * refresh that stored new tokens meanwhile is never overwritten (that row is read again).
 * A ciphertext under a key that is not in the ring stops the rotation with its row named.
 */
export async function rotateEncryptionKey({ prisma, vault, batchSize = 200 }: { prisma: PrismaClient; vault: Vault; batchSize?: number }): Promise<RotationResult> {
  const result: RotationResult = { integrations: 0, oauthStates: 0, webhookEndpoints: 0, alreadyCurrent: 0 };
  const active = vault.activeKeyId;

  for (let attempt = 0; attempt < 5; attempt++) {
    const rows = await prisma.integration.findMany({
      where: { OR: [{ accessTokenEnc: { not: null } }, { refreshTokenEnc: { not: null } }], NOT: { tokenKeyId: active } },
      select: { id: true, accessTokenEnc: true, refreshTokenEnc: true },
      take: batchSize,
    });
    if (rows.length === 0) break;
    let raced = 0;
    for (const row of rows) {
      const at = (field: string) => ({ table: "integration", rowId: row.id, field });
      const accessTokenEnc = row.accessTokenEnc ? vault.reseal(row.accessTokenEnc, at("accessToken")) : null;
      const refreshTokenEnc = row.refreshTokenEnc ? vault.reseal(row.refreshTokenEnc, at("refreshToken")) : null;
      const { count } = await prisma.integration.updateMany({
        where: { id: row.id, accessTokenEnc: row.accessTokenEnc, refreshTokenEnc: row.refreshTokenEnc },
        data: { accessTokenEnc, refreshTokenEnc, tokenKeyId: active },
      });
      if (count === 1) result.integrations++;
      else raced++;
    }
    if (raced === 0 && rows.length < batchSize) break;
  }

  const states = await prisma.oAuthState.findMany({ where: { codeVerifierEnc: { not: null }, NOT: { keyId: active } }, select: { id: true, codeVerifierEnc: true } });
  for (const row of states) {
    const sealed = vault.reseal(row.codeVerifierEnc!, { table: "oauth_state", rowId: row.id, field: "codeVerifier" });
    const { count } = await prisma.oAuthState.updateMany({ where: { id: row.id, codeVerifierEnc: row.codeVerifierEnc }, data: { codeVerifierEnc: sealed, keyId: active } });
    result.oauthStates += count;
  }

  const hooks = await prisma.webhookEndpoint.findMany({ where: { NOT: { keyId: active } }, select: { id: true, secretEnc: true } });
  for (const row of hooks) {
    const sealed = vault.reseal(row.secretEnc, { table: "webhook_endpoint", rowId: row.id, field: "secret" });
    const { count } = await prisma.webhookEndpoint.updateMany({ where: { id: row.id, secretEnc: row.secretEnc }, data: { secretEnc: sealed, keyId: active } });
    result.webhookEndpoints += count;
  }
  result.alreadyCurrent = await prisma.integration.count({ where: { tokenKeyId: active } });
  return result;
}
