import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Auth } from "./auth.ts";
import { can, isRoleName, type RoleName } from "./roles.ts";
import { recordAudit } from "../domain/integrations/audit.ts";

export class ApiKeyError extends Error {
  constructor(readonly code: "FORBIDDEN" | "INVALID_NAME" | "NOT_A_MEMBER", message: string) {
    super(message);
    this.name = "ApiKeyError";
  }
}

export type CreatedApiKey = { id: string; name: string; start: string | null; createdAt: Date; key: string };

/**
 * Creates a workspace API key on behalf of a member who may manage keys. The plaintext key is
 * returned once; only its hash is stored.
 */
export async function createWorkspaceApiKey({
  auth,
  prisma,
  userId,
  workspaceId,
  name,
  role,
}: {
  auth: Auth;
  prisma: PrismaClient;
  userId: string;
  workspaceId: string;
  name: string;
  role?: RoleName;
}): Promise<CreatedApiKey> {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 32) throw new ApiKeyError("INVALID_NAME", "An API key name must be 1 to 32 characters.");
  const membership = await prisma.member.findFirst({ where: { userId, organizationId: workspaceId }, select: { role: true } });
  if (!membership || !isRoleName(membership.role)) throw new ApiKeyError("NOT_A_MEMBER", "You are not a member of this workspace.");
  if (!can(membership.role, { apiKey: ["create"] })) throw new ApiKeyError("FORBIDDEN", "Only workspace owners and admins can create API keys.");
  const created = await auth.api.createApiKey({
    body: { name: trimmed, organizationId: workspaceId, userId, metadata: { createdBy: userId, role: role ?? membership.role } },
  });
  await recordAudit(prisma, { workspaceId, actorUserId: userId, action: "api_key.created", targetType: "api_key", targetId: created.id, metadata: { name: trimmed, role: role ?? membership.role } });
  return { id: created.id, name: created.name ?? trimmed, start: created.start ?? null, createdAt: new Date(created.createdAt), key: created.key };
}
