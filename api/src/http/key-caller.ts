import type { IncomingMessage, ServerResponse } from "node:http";
import type { Auth } from "../auth/auth.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Queryable } from "../db/index.ts";
import { bearerToken, hashApiKey, keyPermissionError, resolveViewer, tooManyAttemptsError, viewerFromApiKeyRow, type ApiKeyRow, type Viewer } from "../auth/viewer.ts";
import type { ApiKeyPermission } from "../auth/key-permissions.ts";
import { CLIENT_ADDRESS_HEADER, throttleSubject } from "../auth/client-address.ts";
import { throttleKey } from "../auth/throttle.ts";

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

function missingKey(need: ApiKeyPermission): KeyCallerResult & { ok: false } {
  return {
    ok: false,
    status: 401,
    body: { error: "unauthenticated", message: `Send an API key with the ${need} permission as Authorization: Bearer <key>; sessions are not accepted here.` },
    headers: { "www-authenticate": 'Bearer realm="switchboard"' },
  };
}

const INVALID_KEY = { error: "unauthenticated", message: "The API key is not valid (revoked, expired or mistyped)." };
const INVALID_KEY_HEADERS = { "www-authenticate": 'Bearer realm="switchboard", error="invalid_token"' };

/** A thrown viewer error (429 throttled, 403 permission) as the route's JSON answer. */
function refusalOf(error: unknown): KeyCallerResult & { ok: false } {
  const ext = (error as { extensions?: { code?: string; http?: { status?: number; headers?: Record<string, string> } } }).extensions;
  if (ext?.http?.status) return { ok: false, status: ext.http.status, body: { error: (ext.code ?? "forbidden").toLowerCase(), message: (error as Error).message }, headers: ext.http.headers };
  throw error;
}

/** The columns of a connection the proxy needs to forward a call (its token still sealed). */
export type ProxiedConnection = {
  id: string;
  workspaceId: string;
  providerId: string;
  status: string;
  accessTokenEnc: string | null;
  tokenExpiresAt: Date | null;
  tokenIssuedAt: Date | null;
  tokenGeneration: number;
  providerConfig: unknown;
};

const KEY_CALLER_SQL = `SELECT k."id", k."referenceId" AS "workspaceId", k."createdById" AS "userId", k."role" AS "keyRole", m."role" AS "memberRole", k."access",
            k."enabled", (EXTRACT(EPOCH FROM k."expiresAt") * 1000)::float8 AS "expiresAt", k."remaining", (EXTRACT(EPOCH FROM k."lastRequest") * 1000)::float8 AS "lastRequest",
            (SELECT GREATEST(1, ceil(extract(epoch FROM (t."blockedUntil" - now()))))::int FROM "auth_throttle" t WHERE t."key" = $2 AND t."blockedUntil" > now()) AS "blockedFor",
            i."id" AS "c_id", i."workspaceId" AS "c_workspaceId", i."providerId" AS "c_providerId", i."status"::text AS "c_status", i."accessTokenEnc" AS "c_accessTokenEnc",
            (EXTRACT(EPOCH FROM i."tokenExpiresAt") * 1000)::float8 AS "c_tokenExpiresAt", (EXTRACT(EPOCH FROM i."tokenIssuedAt") * 1000)::float8 AS "c_tokenIssuedAt",
            i."tokenGeneration" AS "c_tokenGeneration", i."providerConfig" AS "c_providerConfig"
     FROM (SELECT 1) AS one
     LEFT JOIN "api_key" k ON k."key" = $1
     LEFT JOIN "membership" m ON m."userId" = k."createdById" AND m."organizationId" = k."referenceId"
     LEFT JOIN "integration" i ON i."id" = $3 AND i."workspaceId" = k."referenceId"`;

const ms = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(Number(value)));

/**
 * The proxy's hot path: the caller's key (hash), its creator's membership, the client address's
 * throttle row and the connection (only in the key's own workspace) in ONE statement, where
 * `keyCaller` plus a connection read sends three. The rules are the GraphQL API's
 * (`viewerFromApiKeyRow`, the throttle of `resolveViewer`): an address that guessed too many keys
 * is refused before any key it sends counts, an invalid key counts against it, a key without
 * `need` is refused with 403. Times come back as epoch milliseconds (Prisma keeps UTC in
 * `timestamp without time zone`, which EXTRACT(EPOCH) reads as UTC whatever the server's zone).
 */
export async function keyCallerWithConnection({
  auth,
  prisma,
  db,
  req,
  need,
  integrationId,
}: {
  auth: Auth;
  prisma: PrismaClient;
  db: Queryable;
  req: IncomingMessage;
  need: ApiKeyPermission;
  /** null when the path names no connection: the key is still checked, the answer is then 404. */
  integrationId: string | null;
}): Promise<{ ok: true; viewer: Viewer; connection: ProxiedConnection | null } | (KeyCallerResult & { ok: false })> {
  const key = bearerToken(typeof req.headers.authorization === "string" ? req.headers.authorization : null);
  if (!key) return missingKey(need);
  const address = req.headers[CLIENT_ADDRESS_HEADER];
  const subject = typeof address === "string" && address ? throttleSubject(address) : null;
  const hashed = hashApiKey(key);
  const rows = await db.query<Record<string, unknown>>(
    KEY_CALLER_SQL,
    [hashed ?? "", subject ? throttleKey("api-key:address", subject) : "", integrationId ?? ""],
    // Prepared once per connection: planning this statement costs ~7 times running it.
    { prepared: "switchboard_key_caller_with_connection" },
  );
  const r = rows[0] ?? {};
  const throttle = auth.switchboard.throttle;
  try {
    if (typeof r.blockedFor === "number") throw tooManyAttemptsError({ scope: "api-key:address", retryAfter: r.blockedFor });
    const row: ApiKeyRow | null =
      hashed && typeof r.id === "string"
        ? {
            id: r.id,
            workspaceId: r.workspaceId as string,
            userId: (r.userId as string | null) ?? null,
            keyRole: (r.keyRole as string | null) ?? null,
            memberRole: (r.memberRole as string | null) ?? null,
            access: (r.access as string[] | null) ?? [],
            enabled: (r.enabled as boolean | null) ?? null,
            expiresAt: ms(r.expiresAt),
            remaining: (r.remaining as number | null) ?? null,
            lastRequest: ms(r.lastRequest),
          }
        : null;
    const viewer = await viewerFromApiKeyRow({ auth, prisma, key, row });
    if (!viewer) {
      if (subject) {
        const refused = await throttle.take("api-key:address", subject);
        if (refused) throw tooManyAttemptsError(refused);
      }
      return { ok: false, status: 401, body: INVALID_KEY, headers: INVALID_KEY_HEADERS };
    }
    if (!viewer.keyPermissions?.includes(need)) throw keyPermissionError(need, viewer.keyPermissions ?? []);
    // A key verified by better-auth's plugin (usage limit, expiry) may name another workspace than
    // the row joined on; the connection counts only when it is the viewer's workspace's.
    const connection: ProxiedConnection | null =
      typeof r.c_id === "string" && r.c_workspaceId === viewer.workspaceId
        ? {
            id: r.c_id,
            workspaceId: r.c_workspaceId as string,
            providerId: r.c_providerId as string,
            status: r.c_status as string,
            accessTokenEnc: (r.c_accessTokenEnc as string | null) ?? null,
            tokenExpiresAt: ms(r.c_tokenExpiresAt),
            tokenIssuedAt: ms(r.c_tokenIssuedAt),
            tokenGeneration: Number(r.c_tokenGeneration ?? 0),
            providerConfig: r.c_providerConfig ?? null,
          }
        : null;
    return { ok: true, viewer, connection };
  } catch (error) {
    return refusalOf(error);
  }
}

export async function keyCaller({ auth, prisma, req, need }: { auth: Auth; prisma: PrismaClient; req: IncomingMessage; need: ApiKeyPermission }): Promise<KeyCallerResult> {
  const headers = headersOf(req);
  if (!bearerToken(headers.get("authorization"))) return missingKey(need);
  // Only the key: whatever cookie came along is not looked at.
  headers.delete("cookie");
  try {
    const viewer = await resolveViewer({ auth, prisma, headers, need });
    if (!viewer) return { ok: false, status: 401, body: INVALID_KEY, headers: INVALID_KEY_HEADERS };
    return { ok: true, viewer };
  } catch (error) {
    return refusalOf(error);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
