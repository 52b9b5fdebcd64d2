import { createHash, randomBytes } from "node:crypto";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Vault } from "../vault/vault.ts";
import { sameOriginPath } from "../../http/same-origin-path.ts";

// OAuth state: 256 random bits, stored only as a SHA-256 hash, with the workspace, user,
// provider, the PKCE verifier (sealed by the vault) and a same-origin returnTo. It expires in
// 10 minutes, is consumed atomically once, and is bound to the browser that started the flow
// through an httpOnly cookie whose hash is stored beside it.

export const STATE_TTL_MS = 10 * 60 * 1000;
export const BINDING_COOKIE = "switchboard_oauth";
export const BINDING_COOKIE_PATH = "/api/integrations/oauth";

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

export type CreatedState = { state: string; binding: string; codeVerifier: string | null; id: string };

export async function createOAuthState({
  prisma,
  vault,
  workspaceId,
  userId,
  providerId,
  codeVerifier,
  returnTo,
  org = null,
  integrationId = null,
  binding,
  now = Date.now(),
}: {
  prisma: PrismaClient;
  vault: Vault;
  workspaceId: string;
  userId: string;
  providerId: string;
  codeVerifier: string | null;
  returnTo: string | null;
  /** The org chosen at Connect (Salesforce), already validated. */
  org?: string | null;
  /** Reconnect: the connection to renew, already checked to be this workspace's and provider's. */
  integrationId?: string | null;
  /** Reuse the browser's existing binding value when it has one (several tabs at once). */
  binding?: string;
  now?: number;
}): Promise<CreatedState> {
  const state = randomToken(32);
  const bindingValue = binding && /^[A-Za-z0-9_-]{43}$/.test(binding) ? binding : randomToken(32);
  const id = crypto.randomUUID();
  await prisma.oAuthState.create({
    data: {
      id,
      stateHash: sha256(state),
      workspaceId,
      userId,
      providerId,
      codeVerifierEnc: codeVerifier ? vault.seal(codeVerifier, { table: "oauth_state", rowId: id, field: "codeVerifier" }) : null,
      keyId: codeVerifier ? vault.activeKeyId : null,
      browserBindingHash: sha256(bindingValue),
      returnTo: sameOriginPath(returnTo),
      org,
      integrationId,
      createdAt: new Date(now),
      expiresAt: new Date(now + STATE_TTL_MS),
    },
  });
  return { state, binding: bindingValue, codeVerifier, id };
}

export type StateProblem = "state_missing" | "state_invalid" | "state_expired" | "state_used" | "state_wrong_provider" | "state_wrong_browser" | "state_wrong_user";

export type ConsumedState =
  | { ok: true; id: string; workspaceId: string; userId: string; providerId: string; codeVerifier: string | null; returnTo: string | null; org: string | null; integrationId: string | null }
  | { ok: false; problem: StateProblem; returnTo?: string | null };

/**
 * Consumes a state exactly once: of two callbacks arriving together, one wins the conditional
 * UPDATE and the other sees `state_used`. Every check happens before any token request.
 */
export async function consumeOAuthState({
  prisma,
  vault,
  state,
  providerId,
  binding,
  userId,
  now = Date.now(),
}: {
  prisma: PrismaClient;
  vault: Vault;
  state: string | null | undefined;
  providerId: string;
  binding: string | null | undefined;
  /** The signed-in user of the callback request, when there is one. */
  userId: string | null;
  now?: number;
}): Promise<ConsumedState> {
  if (!state) return { ok: false, problem: "state_missing" };
  if (state.length > 128) return { ok: false, problem: "state_invalid" };
  const row = await prisma.oAuthState.findUnique({ where: { stateHash: sha256(state) } });
  if (!row) return { ok: false, problem: "state_invalid" };
  if (row.consumedAt) return { ok: false, problem: "state_used", returnTo: row.returnTo };
  if (row.expiresAt.getTime() <= now) return { ok: false, problem: "state_expired", returnTo: row.returnTo };
  if (row.providerId !== providerId) return { ok: false, problem: "state_wrong_provider" };
  if (!binding || sha256(binding) !== row.browserBindingHash) return { ok: false, problem: "state_wrong_browser" };
  if (userId && userId !== row.userId) return { ok: false, problem: "state_wrong_user" };
  const claimed = await prisma.oAuthState.updateMany({
    where: { id: row.id, consumedAt: null, expiresAt: { gt: new Date(now) } },
    data: { consumedAt: new Date(now) },
  });
  if (claimed.count !== 1) return { ok: false, problem: "state_used", returnTo: row.returnTo };
  const codeVerifier = row.codeVerifierEnc ? vault.open(row.codeVerifierEnc, { table: "oauth_state", rowId: row.id, field: "codeVerifier" }) : null;
  // The verifier is needed once; nothing of it stays behind.
  await prisma.oAuthState.update({ where: { id: row.id }, data: { codeVerifierEnc: null } });
  return { ok: true, id: row.id, workspaceId: row.workspaceId, userId: row.userId, providerId: row.providerId, codeVerifier, returnTo: row.returnTo, org: row.org, integrationId: row.integrationId };
}

/** Expired or consumed states older than a day are of no use; called from time to time. */
export async function pruneOAuthStates({ prisma, now = Date.now() }: { prisma: PrismaClient; now?: number }): Promise<number> {
  const { count } = await prisma.oAuthState.deleteMany({ where: { expiresAt: { lt: new Date(now - 24 * 60 * 60 * 1000) } } });
  return count;
}
