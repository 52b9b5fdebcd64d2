import type { IncomingMessage, ServerResponse } from "node:http";
import type { Auth } from "../auth/auth.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { bearerToken, resolveViewer, type Viewer } from "../auth/viewer.ts";
import type { ApiKeyPermission } from "../auth/key-permissions.ts";

// The callers of the routes that hand a connection's power to another service (the proxy, the
// credentials endpoint): an API key with the route's permission, never a cookie session, so a
// page in a browser can never reach a provider token or drive the proxy with a person's cookie.

export type KeyCallerResult = { ok: true; viewer: Viewer } | { ok: false; status: number; body: { error: string; message: string }; headers?: Record<string, string> };

export function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) headers.set(name, value.join(", "));
  }
  return headers;
}

export async function keyCaller({ auth, prisma, req, need }: { auth: Auth; prisma: PrismaClient; req: IncomingMessage; need: ApiKeyPermission }): Promise<KeyCallerResult> {
  const headers = headersOf(req);
  if (!bearerToken(headers.get("authorization"))) {
    return {
      ok: false,
      status: 401,
      body: { error: "unauthenticated", message: `Send an API key with the ${need} permission as Authorization: Bearer <key>; sessions are not accepted here.` },
      headers: { "www-authenticate": 'Bearer realm="switchboard"' },
    };
  }
  // Only the key: whatever cookie came along is not looked at.
  headers.delete("cookie");
  try {
    const viewer = await resolveViewer({ auth, prisma, headers, need });
    if (!viewer) return { ok: false, status: 401, body: { error: "unauthenticated", message: "The API key is not valid (revoked, expired or mistyped)." }, headers: { "www-authenticate": 'Bearer realm="switchboard", error="invalid_token"' } };
    return { ok: true, viewer };
  } catch (error) {
    const ext = (error as { extensions?: { code?: string; http?: { status?: number; headers?: Record<string, string> } } }).extensions;
    if (ext?.http?.status) return { ok: false, status: ext.http.status, body: { error: (ext.code ?? "forbidden").toLowerCase(), message: (error as Error).message }, headers: ext.http.headers };
    throw error;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
