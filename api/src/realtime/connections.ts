import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Viewer } from "../auth/viewer.ts";
import { isRoleName, type RoleName } from "../auth/roles.ts";
import type { Logger } from "../logger.ts";
import type { AccessChange, Realtime } from "./pubsub.ts";

// Every long-lived connection of this process (graphql-ws sockets and SSE streams), by the
// principal it acts for, so that:
// - a change of someone's authority ("access:changed", published on any replica and carried by
//   the pub/sub to every replica) ends that principal's connections here at once;
// - a session that simply expires, or a change whose event was lost (Redis down), is caught by a
//   periodic re-check: three batched queries per interval for the whole process, whatever the
//   number of connections (and nothing read per event: the fan-out stays as it was);
// - one user or API key cannot hold more than MAX_CONNECTIONS_PER_PRINCIPAL of them.
// The registry is per process: the limit holds per replica (N replicas allow N times as many in
// total), while closing on an access change holds on every replica through the pub/sub.

/** graphql-ws close codes used here (WebSocket close reasons are limited to 123 bytes). */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_TOO_MANY = 4429;

/** Why a connection ends: a WebSocket closes with this code and reason; an SSE stream just ends. */
export type Ending = { code: typeof CLOSE_UNAUTHORIZED | typeof CLOSE_FORBIDDEN; reason: string };

export const ENDINGS = {
  sessionEnded: { code: CLOSE_UNAUTHORIZED, reason: "Session ended (signed out or expired); sign in again" },
  apiKeyRevoked: { code: CLOSE_UNAUTHORIZED, reason: "API key revoked or expired" },
  notAMember: { code: CLOSE_FORBIDDEN, reason: "No longer a member of this workspace" },
  roleChanged: { code: CLOSE_FORBIDDEN, reason: "Your role or workspace changed; reconnect to continue with it" },
  membershipChanged: { code: CLOSE_FORBIDDEN, reason: "Your membership changed (removed or new role); reconnect" },
} as const satisfies Record<string, Ending>;

/** A registered connection, as its transport holds it. */
export type ConnectionLease = {
  readonly kind: ConnectionKind;
  /** The viewer the connection acts with now. */
  readonly viewer: Viewer;
  /** True once the connection was ended (by the registry or released). */
  readonly ended: boolean;
  /** The viewer was resolved again (per operation): re-index it. */
  update(viewer: Viewer): void;
  /** Ends the connection (closes the socket / ends the stream) and releases its place. */
  end(ending: Ending): void;
  /** The transport is gone: releases its place without calling back. Idempotent. */
  release(): void;
};

export type ConnectionKind = "websocket" | "sse";

/**
 * The registry's record of a connection, handed to the transport as its lease. One exists per
 * open socket or stream (thousands of idle dashboards), so it is a plain class instance: no
 * closures or accessors of its own, and the principal is derived from the viewer when needed
 * rather than kept as another string.
 */
type Entry = {
  kind: ConnectionKind;
  viewer: Viewer;
  /** When the viewer was last resolved (a re-check started earlier does not judge it). */
  resolvedAt: number;
  ended: boolean;
  onEnd: (ending: Ending) => void;
};

/** The limit key of a viewer: "per user or API key". */
export function principalOf(viewer: Viewer): string {
  return viewer.via === "apiKey" ? `key:${viewer.apiKeyId}` : `user:${viewer.userId}`;
}

const RANK: Record<RoleName, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Does an access change concern this viewer? Every principal field it names must match. */
export function concerns(change: AccessChange, viewer: Viewer): boolean {
  if (!change.userId && !change.sessionId && !change.apiKeyId && !change.workspaceId) return false;
  // "session" ends sessions only (a user's API keys live on); "apiKey" ends that key only.
  if (change.kind === "session" && viewer.via !== "session") return false;
  if (change.kind === "apiKey" && viewer.via !== "apiKey") return false;
  if (change.userId !== undefined && change.userId !== viewer.userId) return false;
  if (change.sessionId !== undefined && change.sessionId !== viewer.sessionId) return false;
  if (change.apiKeyId !== undefined && change.apiKeyId !== viewer.apiKeyId) return false;
  if (change.workspaceId !== undefined && change.workspaceId !== viewer.workspaceId) return false;
  return true;
}

function endingFor(change: AccessChange): Ending {
  if (change.kind === "session") return ENDINGS.sessionEnded;
  if (change.kind === "apiKey") return ENDINGS.apiKeyRevoked;
  return ENDINGS.membershipChanged;
}

/** Default interval of the re-check that catches expired sessions and keys (and lost events). */
export const RECHECK_INTERVAL_MS = 60_000;
/** Ids per query of the re-check (bounded IN lists). */
const RECHECK_BATCH = 1000;

export type ConnectionRegistry = ReturnType<typeof createConnectionRegistry>;

export function createConnectionRegistry({
  prisma,
  realtime,
  logger,
  maxPerPrincipal,
  recheckIntervalMs = RECHECK_INTERVAL_MS,
}: {
  prisma: PrismaClient;
  realtime: Realtime;
  logger: Logger;
  maxPerPrincipal: number;
  recheckIntervalMs?: number;
}) {
  const entries = new Set<Entry>();
  const counts = new Map<string, number>();
  // Indexes for the lookups an access change needs; a change naming only a workspace scans.
  const byUser = new Map<string, Set<Entry>>();
  const bySession = new Map<string, Set<Entry>>();
  const byKey = new Map<string, Set<Entry>>();

  const add = (index: Map<string, Set<Entry>>, key: string | undefined, entry: Entry) => {
    if (!key) return;
    let set = index.get(key);
    if (!set) index.set(key, (set = new Set()));
    set.add(entry);
  };
  const remove = (index: Map<string, Set<Entry>>, key: string | undefined, entry: Entry) => {
    if (!key) return;
    const set = index.get(key);
    if (set?.delete(entry) && set.size === 0) index.delete(key);
  };
  const indexEntry = (entry: Entry) => {
    add(byUser, entry.viewer.userId, entry);
    add(bySession, entry.viewer.sessionId, entry);
    add(byKey, entry.viewer.apiKeyId, entry);
  };
  const unindexEntry = (entry: Entry) => {
    remove(byUser, entry.viewer.userId, entry);
    remove(bySession, entry.viewer.sessionId, entry);
    remove(byKey, entry.viewer.apiKeyId, entry);
  };
  const count = (principal: string, delta: number) => {
    const next = (counts.get(principal) ?? 0) + delta;
    if (next <= 0) counts.delete(principal);
    else counts.set(principal, next);
  };

  const release = (entry: Entry) => {
    if (entry.ended) return;
    entry.ended = true;
    entries.delete(entry);
    unindexEntry(entry);
    count(principalOf(entry.viewer), -1);
  };
  const end = (entry: Entry, ending: Ending) => {
    if (entry.ended) return;
    release(entry);
    try {
      entry.onEnd(ending);
    } catch (error) {
      logger.warn({ err: error, kind: entry.kind }, "could not end a connection");
    }
  };

  // Declared here for the registry's indexes and counts; its methods live on the prototype.
  class Lease implements Entry, ConnectionLease {
    resolvedAt = Date.now();
    ended = false;

    constructor(
      readonly kind: ConnectionKind,
      public viewer: Viewer,
      readonly onEnd: (ending: Ending) => void,
    ) {}

    update(next: Viewer): void {
      if (this.ended) return;
      const previous = principalOf(this.viewer);
      unindexEntry(this);
      this.viewer = next;
      this.resolvedAt = Date.now();
      indexEntry(this);
      const nextPrincipal = principalOf(next);
      if (nextPrincipal !== previous) {
        count(previous, -1);
        count(nextPrincipal, 1);
      }
    }

    end(ending: Ending): void {
      end(this, ending);
    }

    release(): void {
      release(this);
    }
  }

  /**
   * Registers a connection for `viewer`, or returns null when its principal already holds
   * `maxPerPrincipal` of them (the caller refuses: close 4429, HTTP 429). `onEnd` is called at
   * most once, when the registry ends the connection; the transport calls `release()` when it
   * goes away by itself.
   */
  function open(viewer: Viewer, kind: ConnectionKind, onEnd: (ending: Ending) => void): ConnectionLease | null {
    const principal = principalOf(viewer);
    if ((counts.get(principal) ?? 0) >= maxPerPrincipal) return null;
    const entry = new Lease(kind, viewer, onEnd);
    entries.add(entry);
    indexEntry(entry);
    count(principal, 1);
    return entry;
  }

  /** Ends every connection the change concerns; returns how many. */
  function apply(change: AccessChange): number {
    const candidates = change.apiKeyId ? byKey.get(change.apiKeyId) : change.sessionId ? bySession.get(change.sessionId) : change.userId ? byUser.get(change.userId) : entries;
    if (!candidates) return 0;
    const ending = endingFor(change);
    let ended = 0;
    for (const entry of [...candidates]) {
      if (!concerns(change, entry.viewer)) continue;
      end(entry, ending);
      ended++;
    }
    if (ended > 0) logger.info({ kind: change.kind, ended }, "ended connections after an access change");
    return ended;
  }

  /**
   * Checks every open connection against the database in a few batched queries: sessions that
   * ended or expired, API keys revoked, disabled or expired, memberships removed or whose role
   * changed. Returns how many connections it ended.
   */
  async function recheck(): Promise<number> {
    const startedAt = Date.now();
    const snapshot = [...entries];
    if (snapshot.length === 0) return 0;
    const sessionIds = unique(snapshot.map((e) => e.viewer.sessionId));
    const keyIds = unique(snapshot.map((e) => e.viewer.apiKeyId));
    const userIds = unique(snapshot.map((e) => e.viewer.userId));
    const now = new Date();
    const liveSessions = new Set<string>();
    const liveKeys = new Set<string>();
    const roles = new Map<string, string>();
    for (const ids of chunks(sessionIds)) {
      for (const s of await prisma.session.findMany({ where: { id: { in: ids }, expiresAt: { gt: now } }, select: { id: true } })) liveSessions.add(s.id);
    }
    for (const ids of chunks(keyIds)) {
      const keys = await prisma.apikey.findMany({
        where: { id: { in: ids }, AND: [{ OR: [{ enabled: true }, { enabled: null }] }, { OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] }] },
        select: { id: true },
      });
      for (const k of keys) liveKeys.add(k.id);
    }
    for (const ids of chunks(userIds)) {
      for (const m of await prisma.member.findMany({ where: { userId: { in: ids } }, select: { userId: true, organizationId: true, role: true } })) {
        roles.set(`${m.userId}\u0000${m.organizationId}`, m.role);
      }
    }
    let ended = 0;
    for (const entry of snapshot) {
      if (entry.ended || entry.resolvedAt > startedAt) continue;
      const v = entry.viewer;
      const role = roles.get(`${v.userId}\u0000${v.workspaceId}`);
      let ending: Ending | null = null;
      if (v.via === "session" && v.sessionId && !liveSessions.has(v.sessionId)) ending = ENDINGS.sessionEnded;
      else if (v.via === "apiKey" && v.apiKeyId && !liveKeys.has(v.apiKeyId)) ending = ENDINGS.apiKeyRevoked;
      else if (!isRoleName(role)) ending = ENDINGS.notAMember;
      // A session acts with its membership's role; a key with at most its creator's role, so
      // only a creator's role below what the key acted with changes the key.
      else if (v.via === "session" ? role !== v.role : RANK[role] < RANK[v.role]) ending = ENDINGS.roleChanged;
      if (ending) {
        end(entry, ending);
        ended++;
      }
    }
    if (ended > 0) logger.info({ ended }, "ended connections whose access ran out");
    return ended;
  }

  /**
   * Why a viewer that resolved before no longer resolves: its session or key is gone (4401) or
   * its membership is (4403). Only asked when a re-resolution failed.
   */
  async function whyRefused(previous: Viewer): Promise<Ending> {
    const now = Date.now();
    if (previous.via === "apiKey" && previous.apiKeyId) {
      const key = await prisma.apikey.findUnique({ where: { id: previous.apiKeyId }, select: { enabled: true, expiresAt: true } });
      if (!key || key.enabled === false || (key.expiresAt && key.expiresAt.getTime() <= now)) return ENDINGS.apiKeyRevoked;
      return ENDINGS.notAMember;
    }
    if (previous.sessionId) {
      const session = await prisma.session.findUnique({ where: { id: previous.sessionId }, select: { expiresAt: true } });
      if (!session || session.expiresAt.getTime() <= now) return ENDINGS.sessionEnded;
    }
    return ENDINGS.notAMember;
  }

  // Listen to access changes from every replica (the pub/sub carries them through Redis).
  const changes = realtime.subscribe("access:changed")[Symbol.asyncIterator]();
  let closed = false;
  void (async () => {
    while (!closed) {
      let next: IteratorResult<AccessChange>;
      try {
        next = await changes.next();
      } catch (error) {
        logger.error({ err: error }, "the access-change stream failed");
        return;
      }
      if (next.done) return;
      try {
        apply(next.value);
      } catch (error) {
        logger.error({ err: error }, "could not apply an access change");
      }
    }
  })();

  let rechecking = false;
  const timer = setInterval(() => {
    if (rechecking || entries.size === 0) return;
    rechecking = true;
    recheck()
      .catch((error) => logger.warn({ err: error }, "could not re-check open connections"))
      .finally(() => (rechecking = false));
  }, recheckIntervalMs);
  timer.unref();

  return {
    open,
    apply,
    recheck,
    whyRefused,
    /** Open connections, in total or of one viewer's principal. */
    count(viewer?: Viewer): number {
      return viewer ? (counts.get(principalOf(viewer)) ?? 0) : entries.size;
    },
    stats(): { connections: number; websockets: number; streams: number; principals: number } {
      let websockets = 0;
      for (const e of entries) if (e.kind === "websocket") websockets++;
      return { connections: entries.size, websockets, streams: entries.size - websockets, principals: counts.size };
    },
    maxPerPrincipal,
    async close() {
      closed = true;
      clearInterval(timer);
      await changes.return?.();
    },
  };
}

function unique(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => !!v))];
}

function chunks<T>(values: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += RECHECK_BATCH) out.push(values.slice(i, i + RECHECK_BATCH));
  return out;
}
