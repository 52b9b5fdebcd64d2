import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { isRoleName, type RoleName } from "../../auth/roles.ts";

/** Who changes the workspace: a member acting through a session or through one of their API keys. */
export type Actor = { userId: string; role: RoleName; apiKeyId?: string };

/** A change the caller can understand and maybe fix; the message says what happened. */
export class MemberError extends Error {
  constructor(
    readonly code: "FORBIDDEN" | "NOT_FOUND" | "BAD_USER_INPUT",
    message: string,
  ) {
    super(message);
    this.name = "MemberError";
  }
}

export const ROLE_RANK: Record<RoleName, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Exactly one of the four roles; a list such as "member,admin" (or anything else) is refused. */
export function parseRole(value: unknown): RoleName {
  if (!isRoleName(value)) throw new MemberError("BAD_USER_INPUT", "A role is one of owner, admin, member or viewer.");
  return value;
}

/** Nobody gives a role above their own (so only owners make owners). */
export function assertMayGive(actor: Actor, role: RoleName): void {
  if (ROLE_RANK[role] > ROLE_RANK[actor.role]) throw new MemberError("FORBIDDEN", "You cannot give a role above your own.");
}

const emailSchema = z.email().max(254);

export function parseEmail(value: string): string {
  const email = value.trim().toLowerCase();
  if (!emailSchema.safeParse(email).success) throw new MemberError("BAD_USER_INPUT", "Enter a valid email address.");
  return email;
}

/** Invitations last a week. */
export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

/** 256 random bits, base64url (43 characters). */
export function newInvitationToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashInvitationToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Whether a string can be a token we issued (anything else is not looked up). */
export function isInvitationTokenShaped(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

export function acceptUrlFor(publicUrl: string, token: string): string {
  return `${publicUrl}/invite/${token}`;
}

type LockTx = { $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number> };

/**
 * Serialises membership changes of one workspace (role changes, removals, invitations,
 * acceptances): two admins demoting the last two owners at once cannot both pass the
 * "at least one owner" check.
 */
export async function lockWorkspace(tx: LockTx, workspaceId: string): Promise<void> {
  await tx.$executeRaw`SELECT 1 FROM "workspace" WHERE "id" = ${workspaceId} FOR UPDATE`;
}
