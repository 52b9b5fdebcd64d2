import type { IncomingMessage, ServerResponse } from "node:http";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { findInvitationByToken } from "../domain/members/find-invitation.ts";

/**
 * The auth library's routes the product uses; every other path under /api/auth answers 404
 * before the library sees it. Workspace administration, invitations and API keys are GraphQL
 * mutations (authorized and audited there), not these plugins' own endpoints.
 */
export const MOUNTED_AUTH_ROUTES = [
  { method: "POST", path: "/api/auth/sign-up/email" },
  { method: "POST", path: "/api/auth/sign-in/email" },
  { method: "POST", path: "/api/auth/sign-out" },
  { method: "GET", path: "/api/auth/get-session" },
  // The workspace switcher in the web's header (WorkspaceSwitcher.svelte): the caller's own
  // workspaces, and the session's active one (better-auth checks the membership).
  { method: "GET", path: "/api/auth/organization/list" },
  { method: "POST", path: "/api/auth/organization/set-active" },
] as const;

/** Ours, not the library's: what the holder of an invitation token may see before signing in. */
export const INVITATION_LOOKUP_PATH = "/api/auth/invitation";

const mounted = new Set<string>(MOUNTED_AUTH_ROUTES.map((route) => `${route.method} ${route.path}`));

/** Exact method and path; no prefixes, trailing slashes or encodings (HEAD counts as GET). */
export function isMountedAuthRoute(method: string | undefined, path: string): boolean {
  const verb = method === "HEAD" ? "GET" : (method ?? "");
  return mounted.has(`${verb} ${path}`);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "referrer-policy": "no-referrer" });
  res.end(JSON.stringify(body));
}

/**
 * GET /api/auth/invitation?token=…: the invited address, the workspace's name and the role,
 * for the /invite/{token} page to prefill its forms. The token (256 random bits) is the
 * credential; the answer names nothing else. 404 for an unknown, used, revoked or expired token.
 */
export async function serveInvitationLookup(req: IncomingMessage, res: ServerResponse, { prisma }: { prisma: PrismaClient }): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") return json(res, 405, { message: "Use GET" });
  const token = new URL(req.url ?? "/", "http://localhost").searchParams.get("token") ?? "";
  const invitation = await findInvitationByToken({ prisma, token });
  if (!invitation) return json(res, 404, { code: "INVITATION_NOT_FOUND", message: "This invitation link is not valid any more: it was used, revoked, or it expired." });
  json(res, 200, { email: invitation.email, workspaceName: invitation.workspaceName, role: invitation.role.toUpperCase(), expiresAt: invitation.expiresAt.toISOString() });
}
