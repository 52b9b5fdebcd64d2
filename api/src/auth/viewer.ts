import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Auth } from "./auth.ts";
import { isRoleName, type RoleName } from "./roles.ts";

/** Who is calling, in which workspace, with which role. Every GraphQL resolver starts here. */
export type Viewer = {
  userId: string;
  workspaceId: string;
  role: RoleName;
  via: "session" | "apiKey";
  apiKeyId?: string;
};

type Headers = globalThis.Headers;

export function bearerToken(authorization: string | null | undefined): string | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1]! : null;
}

/**
 * Resolves the caller from a session cookie or an API key. Returns null for anonymous or
 * invalid credentials; the caller turns that into 401. A membership is re-read on every call,
 * so removing someone from a workspace takes effect at once.
 */
export async function resolveViewer({ auth, prisma, headers }: { auth: Auth; prisma: PrismaClient; headers: Headers }): Promise<Viewer | null> {
  const token = bearerToken(headers.get("authorization"));
  if (token) return viewerFromApiKey({ auth, prisma, key: token });

  const session = await auth.api.getSession({ headers }).catch(() => null);
  if (!session) return null;
  const activeId = (session.session as { activeOrganizationId?: string | null }).activeOrganizationId ?? undefined;
  const membership = await prisma.member.findFirst({
    where: { userId: session.user.id, ...(activeId ? { organizationId: activeId } : {}) },
    orderBy: { createdAt: "asc" },
    select: { organizationId: true, role: true },
  });
  if (!membership || !isRoleName(membership.role)) return null;
  return { userId: session.user.id, workspaceId: membership.organizationId, role: membership.role, via: "session" };
}

async function viewerFromApiKey({ auth, prisma, key }: { auth: Auth; prisma: PrismaClient; key: string }): Promise<Viewer | null> {
  const result = await auth.api.verifyApiKey({ body: { key } }).catch(() => null);
  if (!result?.valid || !result.key) return null;
  const metadata = (typeof result.key.metadata === "string" ? JSON.parse(result.key.metadata) : result.key.metadata) as { createdBy?: string; role?: string } | null;
  const createdBy = metadata?.createdBy;
  if (!createdBy) return null;
  // A key acts with the role it was created with, but never beyond its creator's current role
  // in the workspace, and it dies with the creator's membership.
  const membership = await prisma.member.findFirst({
    where: { userId: createdBy, organizationId: result.key.referenceId },
    select: { role: true },
  });
  if (!membership || !isRoleName(membership.role)) return null;
  const keyRole = isRoleName(metadata?.role) ? metadata.role : "member";
  return { userId: createdBy, workspaceId: result.key.referenceId, role: weaker(keyRole, membership.role), via: "apiKey", apiKeyId: result.key.id };
}

const RANK: Record<RoleName, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
function weaker(a: RoleName, b: RoleName): RoleName {
  return RANK[a] <= RANK[b] ? a : b;
}
