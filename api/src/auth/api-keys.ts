import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Auth } from "./auth.ts";
import { can, isRoleName, type RoleName } from "./roles.ts";

const ROLE_ORDER: RoleName[] = ["viewer", "member", "admin", "owner"];
import { recordAudit } from "../domain/integrations/audit.ts";
import { publishAccessChange, type Realtime } from "../realtime/pubsub.ts";
import { API_KEY_PERMISSIONS, permissionsAllowedFor, type ApiKeyPermission } from "./key-permissions.ts";

export class ApiKeyError extends Error {
  constructor(
    readonly code: "FORBIDDEN" | "INVALID_NAME" | "NOT_A_MEMBER" | "NOT_FOUND",
    message: string,
  ) {
    super(message);
    this.name = "ApiKeyError";
  }
}

export type CreatedApiKey = { id: string; name: string; start: string | null; createdAt: Date; key: string; permissions: ApiKeyPermission[]; role: RoleName };

/**
 * Creates a workspace API key on behalf of a member who may manage keys. The server records who
 * created it and the role it acts with (the creator's role now) in the key's own columns; no
 * client ever writes them, and the key's `metadata` is never read for authority. The key acts
 * with at most its creator's role of the moment and dies with their membership (viewer.ts).
 * The plaintext key is returned once; only its hash is stored.
 */
export async function createWorkspaceApiKey({
  auth,
  prisma,
  userId,
  workspaceId,
  name,
  role: requestedRole,
  permissions: wanted = ["read"],
  actorApiKeyId,
}: {
  auth: Auth;
  prisma: PrismaClient;
  userId: string;
  workspaceId: string;
  name: string;
  /** A weaker role for the key than its creator's (server-side callers only; never above the creator's). */
  role?: RoleName;
  /** What the key may do (parsePermissions); never more than its role allows. Default: read. */
  permissions?: ApiKeyPermission[];
  /** When a key creates another key, the audit row names it. */
  actorApiKeyId?: string;
}): Promise<CreatedApiKey> {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 32) throw new ApiKeyError("INVALID_NAME", "An API key name must be 1 to 32 characters.");
  const membership = await prisma.member.findFirst({ where: { userId, organizationId: workspaceId }, select: { role: true } });
  if (!membership || !isRoleName(membership.role)) throw new ApiKeyError("NOT_A_MEMBER", "You are not a member of this workspace.");
  if (!can(membership.role, { apiKey: ["create"] })) throw new ApiKeyError("FORBIDDEN", "Only workspace owners and admins can create API keys.");
  const role = requestedRole && ROLE_ORDER.indexOf(requestedRole) < ROLE_ORDER.indexOf(membership.role) ? requestedRole : membership.role;
  const permissions = API_KEY_PERMISSIONS.filter((p) => wanted.includes(p));
  const allowed = permissionsAllowedFor(role);
  const beyond = permissions.filter((p) => !allowed.includes(p));
  if (beyond.length) throw new ApiKeyError("FORBIDDEN", `A key acting as ${role} cannot have the ${beyond.join(" and ")} permission${beyond.length > 1 ? "s" : ""} (it may have: ${allowed.join(", ")}).`);
  if (permissions.length === 0) throw new ApiKeyError("INVALID_NAME", "Give at least one permission: read, proxy or credentials.");
  // The library stores the hashed key; the creator and role are set right after, in our own
  // columns. Until then the row has no creator, and a key without one is refused.
  const created = await auth.api.createApiKey({ body: { name: trimmed, organizationId: workspaceId, userId } });
  try {
    await prisma.$transaction(async (tx) => {
      await tx.apikey.update({ where: { id: created.id }, data: { createdById: userId, role, access: permissions } });
      await recordAudit(tx, { workspaceId, actorUserId: userId, actorApiKeyId, action: "api_key.created", targetType: "api_key", targetId: created.id, metadata: { name: trimmed, role, permissions } });
    });
  } catch (error) {
    await prisma.apikey.deleteMany({ where: { id: created.id } });
    throw error;
  }
  return { id: created.id, name: created.name ?? trimmed, start: created.start ?? null, createdAt: new Date(created.createdAt), key: created.key, permissions, role };
}

/** Deletes a key of the workspace; its open sockets hear of it. Throws ApiKeyError NOT_FOUND. */
export async function revokeWorkspaceApiKey({
  prisma,
  realtime,
  workspaceId,
  actor,
  id,
}: {
  prisma: PrismaClient;
  realtime?: Realtime;
  workspaceId: string;
  actor: { userId: string; apiKeyId?: string };
  id: string;
}): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const key = await tx.apikey.findFirst({ where: { id, referenceId: workspaceId }, select: { id: true, name: true } });
    if (!key) throw new ApiKeyError("NOT_FOUND", "No such API key in this workspace.");
    await tx.apikey.delete({ where: { id } });
    await recordAudit(tx, { workspaceId, actorUserId: actor.userId, actorApiKeyId: actor.apiKeyId, action: "api_key.revoked", targetType: "api_key", targetId: id, metadata: { name: key.name } });
  });
  if (realtime) publishAccessChange(realtime, { kind: "apiKey", apiKeyId: id, workspaceId });
}
