import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Auth } from "./auth.ts";
import { createGraphQLError } from "graphql-yoga";
import { isRoleName, type RoleName } from "./roles.ts";
import { CLIENT_ADDRESS_HEADER, throttleSubject } from "./client-address.ts";
import { tooManyAttemptsMessage, type Blocked } from "./throttle.ts";
import { effectivePermissions, type ApiKeyPermission } from "./key-permissions.ts";

/** Who is calling, in which workspace, with which role. Every GraphQL resolver starts here. */
export type Viewer = {
  userId: string;
  workspaceId: string;
  role: RoleName;
  via: "session" | "apiKey";
  apiKeyId?: string;
  /** via apiKey: what the key may do now (its stored permissions that its current role still allows) */
  keyPermissions?: ApiKeyPermission[];
  /** The better-auth session this viewer came from (via session). */
  sessionId?: string;
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
export async function resolveViewer({
  auth,
  prisma,
  headers,
  onSetCookie,
  countKeyFailure = true,
  need = "read",
}: {
  auth: Auth;
  prisma: PrismaClient;
  headers: Headers;
  /** Receives better-auth's Set-Cookie headers when it renewed the session, for the response to carry. */
  onSetCookie?: (header: string) => void;
  /**
   * Whether an invalid API key counts against the client's address (the default). A re-check of
   * a key that was valid when a socket opened (now revoked) is no guess: pass false.
   */
  countKeyFailure?: boolean;
  /** What an API key must be allowed to do here (default read: the GraphQL API); refused with 403 otherwise. */
  need?: ApiKeyPermission;
}): Promise<Viewer | null> {
  const token = bearerToken(headers.get("authorization"));
  if (token) {
    const viewer = await viewerFromBearer({ auth, prisma, headers, key: token, countFailure: countKeyFailure });
    if (viewer && !viewer.keyPermissions?.includes(need)) throw keyPermissionError(need, viewer.keyPermissions ?? []);
    return viewer;
  }
  return viewerFromSessionCookie({ auth, prisma, headers, onSetCookie });
}

/** A valid key without the permission a route needs: HTTP 403, saying which permission. */
export function keyPermissionError(need: ApiKeyPermission, has: readonly ApiKeyPermission[]) {
  const what = { read: "read the GraphQL API", proxy: "call providers through the proxy", credentials: "read connection credentials" }[need];
  return createGraphQLError(`This API key may not ${what}: it needs the ${need} permission (it has: ${has.length ? has.join(", ") : "none that its role still allows"}).`, {
    extensions: { code: "FORBIDDEN", reason: "key_permission", permission: need, http: { status: 403 } },
  });
}

/**
 * An API key, throttled per client address: invalid keys are counted, and an address past its
 * limit is refused (HTTP 429 with Retry-After; over graphql-ws the socket is refused) before
 * any key it sends is accepted. The check runs beside the key's verification, so valid keys
 * wait for nothing more than one primary-key read in parallel.
 */
async function viewerFromBearer({ auth, prisma, headers, key, countFailure }: { auth: Auth; prisma: PrismaClient; headers: Headers; key: string; countFailure: boolean }): Promise<Viewer | null> {
  const address = headers.get(CLIENT_ADDRESS_HEADER);
  const subject = address ? throttleSubject(address) : null;
  const throttle = auth.switchboard.throttle;
  const [blocked, viewer] = await Promise.all([subject ? throttle.check("api-key:address", subject) : null, viewerFromApiKey({ auth, prisma, key })]);
  if (blocked) throw tooManyAttemptsError(blocked);
  if (viewer || !subject || !countFailure) return viewer;
  const refused = await throttle.take("api-key:address", subject);
  if (refused) throw tooManyAttemptsError(refused);
  return null;
}

/** A GraphQL error yoga answers as HTTP 429 with Retry-After (it is not masked). */
export function tooManyAttemptsError(blocked: Blocked) {
  return createGraphQLError(tooManyAttemptsMessage(blocked), {
    extensions: { code: "TOO_MANY_REQUESTS", retryAfter: blocked.retryAfter, http: { status: 429, headers: { "Retry-After": String(blocked.retryAfter) } } },
  });
}

/**
 * The session cookie on the hot path: the cookie's signature is checked here exactly as
 * better-auth checks it (better-call's `getSignedCookie`: `<token>.<base64 HMAC-SHA256 of the
 * token with the auth secret>`, same cookie name, same secret from `auth.$context`), then ONE
 * query reads the session, its user and the membership it acts with. Anything out of the
 * ordinary (an expired session, which better-auth deletes; a session due for its sliding
 * renewal, which better-auth extends) goes through better-auth's own `getSession`, so those
 * rules stay better-auth's. Nothing is cached: revocation (sign-out, removal, role change)
 * takes effect on the next request, on every replica.
 */
async function viewerFromSessionCookie({ auth, prisma, headers, onSetCookie }: { auth: Auth; prisma: PrismaClient; headers: Headers; onSetCookie?: (header: string) => void }): Promise<Viewer | null> {
  const cookieHeader = headers.get("cookie");
  if (!cookieHeader) return null;
  const ctx = await auth.$context;
  const cookies = parseCookieHeader(cookieHeader);
  const token = verifySignedCookie(cookies.get(ctx.authCookies.sessionToken.name), ctx.secret);
  if (!token) return null;
  const rows = await prisma.$queryRaw<SessionRow[]>`
    SELECT s."id" AS "sessionId", s."userId", s."expiresAt", m."organizationId", m."role"
    FROM "session" s
    JOIN "user" u ON u."id" = s."userId"
    LEFT JOIN LATERAL (
      SELECT mm."organizationId", mm."role" FROM "membership" mm
      WHERE mm."userId" = s."userId"
        AND (s."activeOrganizationId" IS NULL OR s."activeOrganizationId" = '' OR mm."organizationId" = s."activeOrganizationId")
      ORDER BY mm."createdAt" ASC
      LIMIT 1
    ) m ON TRUE
    WHERE s."token" = ${token}`;
  const row = rows[0];
  if (!row) return null; // no such session (signed out) or its user is gone: better-auth answers null too
  const expiresAt = new Date(row.expiresAt).getTime();
  const { expiresIn, updateAge } = ctx.sessionConfig;
  const expired = !(expiresAt >= Date.now());
  const dueForRenewal = expiresAt - expiresIn * 1000 + updateAge * 1000 <= Date.now() && !verifySignedCookie(cookies.get(ctx.authCookies.dontRememberToken.name), ctx.secret);
  if (expired || dueForRenewal) return viewerFromBetterAuthSession({ auth, prisma, headers, onSetCookie });
  if (!row.organizationId || !isRoleName(row.role)) return null;
  return { userId: row.userId, workspaceId: row.organizationId, role: row.role, via: "session", sessionId: row.sessionId };
}

type SessionRow = { sessionId: string; userId: string; expiresAt: Date | string; organizationId: string | null; role: string | null };

/** better-auth's full session check (deletes expired sessions, extends due ones), then the membership. */
async function viewerFromBetterAuthSession({ auth, prisma, headers, onSetCookie }: { auth: Auth; prisma: PrismaClient; headers: Headers; onSetCookie?: (header: string) => void }): Promise<Viewer | null> {
  const answer = await auth.api.getSession({ headers, returnHeaders: true }).catch(() => null);
  // A renewed session comes with a new cookie (a later expiry): without it the browser's cookie
  // would still expire a week after sign-in however active the person is.
  for (const cookie of answer?.headers.getSetCookie() ?? []) onSetCookie?.(cookie);
  const session = answer?.response;
  if (!session) return null;
  const activeId = (session.session as { activeOrganizationId?: string | null }).activeOrganizationId ?? undefined;
  const membership = await prisma.member.findFirst({
    where: { userId: session.user.id, ...(activeId ? { organizationId: activeId } : {}) },
    orderBy: { createdAt: "asc" },
    select: { organizationId: true, role: true },
  });
  if (!membership || !isRoleName(membership.role)) return null;
  return { userId: session.user.id, workspaceId: membership.organizationId, role: membership.role, via: "session", sessionId: session.session.id };
}

/** A Cookie header as better-call parses it: first occurrence wins, quotes stripped, URI-decoded when valid. */
export function parseCookieHeader(header: string): Map<string, string> {
  const cookies = new Map<string, string>();
  let index = 0;
  while (index < header.length) {
    const eq = header.indexOf("=", index);
    if (eq === -1) break;
    let end = header.indexOf(";", index);
    if (end === -1) end = header.length;
    else if (end < eq) {
      index = header.lastIndexOf(";", eq - 1) + 1;
      continue;
    }
    const key = header.slice(index, eq).trim();
    if (!cookies.has(key)) {
      let value = header.slice(eq + 1, end).trim();
      if (value.charCodeAt(0) === 34) value = value.slice(1, -1);
      if (value.includes("%")) {
        try {
          value = decodeURIComponent(value);
        } catch {
          // kept as sent, like better-call
        }
      }
      cookies.set(key, value);
    }
    index = end + 1;
  }
  return cookies;
}

const SIGNATURE = /^[A-Za-z0-9+/]{43}=$/;

/**
 * The value of a cookie signed by better-call (`value.signature`, the signature a standard
 * base64 HMAC-SHA256 of the value with the secret), or null when it is missing or forged.
 */
export function verifySignedCookie(raw: string | undefined, secret: string): string | null {
  if (!raw) return null;
  const dot = raw.lastIndexOf(".");
  if (dot < 1) return null;
  const value = raw.slice(0, dot);
  const signature = raw.slice(dot + 1);
  if (!SIGNATURE.test(signature)) return null;
  const expected = createHmac("sha256", secret).update(value).digest();
  const given = Buffer.from(signature, "base64");
  return given.length === expected.length && timingSafeEqual(given, expected) ? value : null;
}

/** How often a key's lastRequest (Settings' "last used") is written: at most once a minute per key. */
const LAST_USED_EVERY_MS = 60_000;

/** Keys whose lastRequest this process is writing, or wrote less than LAST_USED_EVERY_MS ago. */
const lastUsedWrites = new Map<string, number>();

/**
 * Writes a key's lastRequest once, however many calls read the stale value meanwhile: every
 * call that arrives before the write commits sees the old time, and each used to send its own
 * UPDATE of the same row, which Postgres runs one after another on the row's lock, each holding
 * a connection of the pool the proxy's key statement also needs (tests/integration/proxy.test.ts:
 * twenty concurrent calls with a new key wrote the row twice before). The UPDATE also skips a
 * row another replica has just written.
 */
function noteKeyUsed(prisma: PrismaClient, id: string): void {
  const now = Date.now();
  const last = lastUsedWrites.get(id);
  if (last !== undefined && now - last < LAST_USED_EVERY_MS) return;
  lastUsedWrites.set(id, now);
  // Forget keys not written for a while (revoked keys, keys no longer used here).
  if (lastUsedWrites.size > 10_000) for (const [key, at] of lastUsedWrites) if (now - at >= LAST_USED_EVERY_MS) lastUsedWrites.delete(key);
  void prisma.apikey
    .updateMany({ where: { id, OR: [{ lastRequest: null }, { lastRequest: { lt: new Date(now - LAST_USED_EVERY_MS / 2) } }] }, data: { lastRequest: new Date(now) } })
    .catch(() => lastUsedWrites.delete(id));
}

/**
 * An API key on the hot path, like the session cookie below: the key is hashed as the api-key
 * plugin hashes it (SHA-256, base64url without padding: its `defaultKeyHasher`) and ONE query
 * reads the key, its creator's membership and its permissions. The plugin's own verification
 * writes the key's row on every request (usage counters, lastRequest), which made every keyed
 * request wait for a write; here "last used" is written at most once a minute, in the
 * background. Keys this path does not handle (a usage limit, an expired key the plugin deletes)
 * go through the plugin's verifyApiKey as before. Nothing is cached: a revoked key, a removed
 * creator or a demotion takes effect on the next request, on every replica.
 */
/** How an API key is looked up: the SHA-256 of the key, base64url (better-auth's api-key plugin stores it so). */
export function hashApiKey(key: string): string | null {
  if (key.length > 200) return null;
  return createHash("sha256").update(key).digest("base64url");
}

/** The key's columns and its creator's role in the key's workspace, as one statement reads them. */
export type ApiKeyRow = { id: string; workspaceId: string; userId: string | null; keyRole: string | null; memberRole: string | null; access: string[]; enabled: boolean | null; expiresAt: Date | null; remaining: number | null; lastRequest: Date | null };

async function viewerFromApiKey({ auth, prisma, key }: { auth: Auth; prisma: PrismaClient; key: string }): Promise<Viewer | null> {
  const hashed = hashApiKey(key);
  if (!hashed) return null;
  const rows = await prisma.$queryRaw<ApiKeyRow[]>`
    SELECT k."id", k."referenceId" AS "workspaceId", k."createdById" AS "userId", k."role" AS "keyRole", m."role" AS "memberRole", k."access",
           k."enabled", k."expiresAt", k."remaining", k."lastRequest"
    FROM "api_key" k
    LEFT JOIN "membership" m ON m."userId" = k."createdById" AND m."organizationId" = k."referenceId"
    WHERE k."key" = ${hashed}`;
  return viewerFromApiKeyRow({ auth, prisma, key, row: rows[0] ?? null });
}

/**
 * The rules for a key's row (the GraphQL API's lookup and the proxy's, which reads the key with
 * the connection in one statement): a key with a usage limit or an expiry goes through
 * better-auth's plugin; a disabled key, a key without a creator or whose creator left the
 * workspace is no key; otherwise it acts with the weaker of its role and its creator's current
 * role, and the permissions that role still allows.
 */
export async function viewerFromApiKeyRow({ auth, prisma, key, row }: { auth: Auth; prisma: PrismaClient; key: string; row: ApiKeyRow | null }): Promise<Viewer | null> {
  if (!row) return null;
  if (row.remaining !== null || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return viewerFromApiKeyByPlugin({ auth, prisma, key });
  if (row.enabled === false) return null;
  // The creator and role come from the key's own columns, written by the server when it made
  // the key (auth/api-keys.ts), never from its metadata, which a client could once write. A key
  // acts with at most its creator's current role in the workspace, and dies with the membership.
  if (!row.userId || !isRoleName(row.keyRole) || !isRoleName(row.memberRole)) return null;
  if (!row.lastRequest || Date.now() - row.lastRequest.getTime() > LAST_USED_EVERY_MS) noteKeyUsed(prisma, row.id);
  const role = weaker(row.keyRole, row.memberRole);
  return { userId: row.userId, workspaceId: row.workspaceId, role, via: "apiKey", apiKeyId: row.id, keyPermissions: effectivePermissions(row.access, role) };
}

async function viewerFromApiKeyByPlugin({ auth, prisma, key }: { auth: Auth; prisma: PrismaClient; key: string }): Promise<Viewer | null> {
  const result = await auth.api.verifyApiKey({ body: { key } }).catch(() => null);
  if (!result?.valid || !result.key) return null;
  const rows = await prisma.$queryRaw<{ userId: string; keyRole: string | null; memberRole: string; access: string[] }[]>`
    SELECT k."createdById" AS "userId", k."role" AS "keyRole", m."role" AS "memberRole", k."access"
    FROM "api_key" k
    JOIN "membership" m ON m."userId" = k."createdById" AND m."organizationId" = k."referenceId"
    WHERE k."id" = ${result.key.id} AND k."referenceId" = ${result.key.referenceId}`;
  const row = rows[0];
  if (!row || !isRoleName(row.keyRole) || !isRoleName(row.memberRole)) return null;
  const role = weaker(row.keyRole, row.memberRole);
  return { userId: row.userId, workspaceId: result.key.referenceId, role, via: "apiKey", apiKeyId: result.key.id, keyPermissions: effectivePermissions(row.access, role) };
}

const RANK: Record<RoleName, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
function weaker(a: RoleName, b: RoleName): RoleName {
  return RANK[a] <= RANK[b] ? a : b;
}
