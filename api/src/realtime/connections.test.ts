import { describe, expect, it } from "vitest";
import { createLogger } from "../logger.ts";
import type { Viewer } from "../auth/viewer.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { createRealtime, publishAccessChange } from "./pubsub.ts";
import { ENDINGS, concerns, createConnectionRegistry, type Ending } from "./connections.ts";

const logger = createLogger({ level: "silent" });

const alice: Viewer = { userId: "u-alice", workspaceId: "w-1", role: "admin", via: "session", sessionId: "s-alice" };
const aliceOtherSession: Viewer = { ...alice, sessionId: "s-alice-2" };
const aliceElsewhere: Viewer = { ...alice, workspaceId: "w-2", role: "owner" };
const aliceKey: Viewer = { userId: "u-alice", workspaceId: "w-1", role: "member", via: "apiKey", apiKeyId: "k-1" };
const bob: Viewer = { userId: "u-bob", workspaceId: "w-1", role: "viewer", via: "session", sessionId: "s-bob" };

/** The rows the re-check reads, held in memory. */
function fakePrisma(rows: { sessions: { id: string; expiresAt: Date }[]; keys: { id: string; enabled: boolean | null; expiresAt: Date | null }[]; members: { userId: string; organizationId: string; role: string }[] }) {
  const now = () => Date.now();
  return {
    rows,
    prisma: {
      session: {
        findMany: async ({ where }: any) => rows.sessions.filter((s) => where.id.in.includes(s.id) && s.expiresAt.getTime() > now()).map((s) => ({ id: s.id })),
        findUnique: async ({ where }: any) => rows.sessions.find((s) => s.id === where.id) ?? null,
      },
      apikey: {
        findMany: async ({ where }: any) => rows.keys.filter((k) => where.id.in.includes(k.id) && k.enabled !== false && (!k.expiresAt || k.expiresAt.getTime() > now())).map((k) => ({ id: k.id })),
        findUnique: async ({ where }: any) => rows.keys.find((k) => k.id === where.id) ?? null,
      },
      member: {
        findMany: async ({ where }: any) => rows.members.filter((m) => where.userId.in.includes(m.userId)),
      },
    } as unknown as PrismaClient,
  };
}

function setup(max = 3, rows = { sessions: [], keys: [], members: [] } as Parameters<typeof fakePrisma>[0]) {
  const realtime = createRealtime();
  const { prisma } = fakePrisma(rows);
  const registry = createConnectionRegistry({ prisma, realtime, logger, maxPerPrincipal: max });
  const ended: { name: string; ending: Ending }[] = [];
  const open = (name: string, viewer: Viewer, kind: "websocket" | "sse" = "websocket") => registry.open(viewer, kind, (ending) => ended.push({ name, ending }));
  return { realtime, registry, ended, open, rows };
}

describe("which access changes concern which connection", () => {
  it("matches every principal field the change names, and nothing on an empty change", () => {
    expect(concerns({ kind: "session", sessionId: "s-alice", at: "" }, alice)).toBe(true);
    expect(concerns({ kind: "session", sessionId: "s-alice", at: "" }, aliceOtherSession)).toBe(false);
    // Every session of a user, but not the user's API keys.
    expect(concerns({ kind: "session", userId: "u-alice", at: "" }, aliceOtherSession)).toBe(true);
    expect(concerns({ kind: "session", userId: "u-alice", at: "" }, aliceKey)).toBe(false);
    expect(concerns({ kind: "apiKey", apiKeyId: "k-1", at: "" }, aliceKey)).toBe(true);
    expect(concerns({ kind: "apiKey", apiKeyId: "k-1", at: "" }, alice)).toBe(false);
    // A membership change in one workspace: the user's sessions and keys there, not elsewhere.
    expect(concerns({ kind: "membership", userId: "u-alice", workspaceId: "w-1", at: "" }, alice)).toBe(true);
    expect(concerns({ kind: "membership", userId: "u-alice", workspaceId: "w-1", at: "" }, aliceKey)).toBe(true);
    expect(concerns({ kind: "membership", userId: "u-alice", workspaceId: "w-1", at: "" }, aliceElsewhere)).toBe(false);
    expect(concerns({ kind: "membership", userId: "u-alice", workspaceId: "w-1", at: "" }, bob)).toBe(false);
    expect(concerns({ kind: "membership", at: "" }, alice)).toBe(false);
  });
});

describe("the connection registry", () => {
  it("ends exactly the concerned connections when an access change is published", async () => {
    const { realtime, registry, ended, open } = setup(10);
    open("alice-ws", alice);
    open("alice-sse", alice, "sse");
    open("alice-2", aliceOtherSession);
    open("alice-key", aliceKey);
    open("alice-elsewhere", aliceElsewhere);
    open("bob", bob);
    await new Promise((r) => setTimeout(r, 10)); // the registry's subscription starts
    publishAccessChange(realtime, { kind: "session", sessionId: "s-alice" });
    await new Promise((r) => setTimeout(r, 10));
    // The session's connections, in whichever workspace they act; not the user's other session.
    expect(ended.map((e) => e.name).sort()).toEqual(["alice-elsewhere", "alice-sse", "alice-ws"]);
    expect(ended[0]!.ending).toEqual(ENDINGS.sessionEnded);
    publishAccessChange(realtime, { kind: "membership", userId: "u-alice", workspaceId: "w-1" });
    await new Promise((r) => setTimeout(r, 10));
    expect(ended.map((e) => e.name).slice(3).sort()).toEqual(["alice-2", "alice-key"]);
    expect(ended.at(-1)!.ending.code).toBe(4403);
    publishAccessChange(realtime, { kind: "apiKey", apiKeyId: "k-1" }); // already ended: nothing twice
    await new Promise((r) => setTimeout(r, 10));
    expect(ended).toHaveLength(5);
    expect(registry.stats()).toEqual({ connections: 1, websockets: 1, streams: 0, principals: 1 });
    await registry.close();
  });

  it("limits connections per user (sessions together) and per API key, sockets and streams together", async () => {
    const { registry, open } = setup(3);
    const leases = [open("1", alice), open("2", aliceOtherSession, "sse"), open("3", aliceElsewhere)];
    expect(leases.every(Boolean)).toBe(true);
    expect(open("4", alice)).toBeNull();
    expect(open("4", alice, "sse")).toBeNull();
    // An API key is its own principal, and so is another user.
    expect(open("key", aliceKey)).not.toBeNull();
    expect(open("bob", bob)).not.toBeNull();
    expect(registry.count(alice)).toBe(3);
    leases[0]!.release();
    leases[0]!.release(); // idempotent
    expect(registry.count(alice)).toBe(2);
    expect(open("5", alice)).not.toBeNull();
    await registry.close();
  });

  it("re-indexes a connection whose viewer was resolved again", async () => {
    const { realtime, registry, ended, open } = setup(3);
    const lease = open("a", alice)!;
    lease.update({ ...alice, workspaceId: "w-2", role: "owner" });
    await new Promise((r) => setTimeout(r, 10));
    publishAccessChange(realtime, { kind: "membership", userId: "u-alice", workspaceId: "w-1" });
    await new Promise((r) => setTimeout(r, 10));
    expect(ended).toEqual([]);
    publishAccessChange(realtime, { kind: "membership", userId: "u-alice", workspaceId: "w-2" });
    await new Promise((r) => setTimeout(r, 10));
    expect(ended.map((e) => e.name)).toEqual(["a"]);
    expect(lease.ended).toBe(true);
    await registry.close();
  });

  it("a lease's place is counted under its principal as it is now, through updates and its release", async () => {
    const { registry, open } = setup(3);
    const lease = open("a", alice)!;
    lease.update(aliceKey);
    expect(lease.viewer).toBe(aliceKey);
    expect(registry.count(alice)).toBe(0);
    expect(registry.count(aliceKey)).toBe(1);
    lease.release();
    expect(registry.count(aliceKey)).toBe(0);
    expect(registry.stats()).toEqual({ connections: 0, websockets: 0, streams: 0, principals: 0 });
    await registry.close();
  });

  it("the periodic re-check ends expired sessions, revoked keys, removed members and changed roles in a few queries", async () => {
    const future = new Date(Date.now() + 60_000);
    const past = new Date(Date.now() - 1000);
    const rows = {
      sessions: [
        { id: "s-alice", expiresAt: future },
        { id: "s-alice-2", expiresAt: past }, // expired, never signed out
        { id: "s-bob", expiresAt: future },
        { id: "s-carol", expiresAt: future },
      ],
      keys: [
        { id: "k-1", enabled: true, expiresAt: null },
        { id: "k-2", enabled: false, expiresAt: null },
        { id: "k-3", enabled: null, expiresAt: null },
      ],
      members: [
        { userId: "u-alice", organizationId: "w-1", role: "admin" },
        { userId: "u-bob", organizationId: "w-1", role: "member" }, // was viewer: promoted
        { userId: "u-dave", organizationId: "w-1", role: "member" }, // key k-3 acted as admin: demoted below it
      ],
    };
    const { registry, ended, open } = setup(10, rows);
    open("alice", alice);
    open("alice-expired", aliceOtherSession);
    open("alice-key", aliceKey); // member key of an admin: stays
    open("disabled-key", { ...aliceKey, apiKeyId: "k-2" });
    open("bob", bob);
    open("carol-removed", { userId: "u-carol", workspaceId: "w-1", role: "member", via: "session", sessionId: "s-carol" });
    open("dave-key", { userId: "u-dave", workspaceId: "w-1", role: "admin", via: "apiKey", apiKeyId: "k-3" });
    await new Promise((r) => setTimeout(r, 5));
    expect(await registry.recheck()).toBe(5);
    const byName = Object.fromEntries(ended.map((e) => [e.name, e.ending]));
    expect(byName).toEqual({
      "alice-expired": ENDINGS.sessionEnded,
      "disabled-key": ENDINGS.apiKeyRevoked,
      bob: ENDINGS.roleChanged,
      "carol-removed": ENDINGS.notAMember,
      "dave-key": ENDINGS.roleChanged,
    });
    expect(registry.count()).toBe(2);
    await registry.close();
  });

  it("says why a viewer no longer resolves: session or key gone (4401), membership gone (4403)", async () => {
    const { registry } = setup(3, { sessions: [{ id: "s-bob", expiresAt: new Date(Date.now() + 60_000) }], keys: [{ id: "k-2", enabled: false, expiresAt: null }], members: [] });
    expect(await registry.whyRefused(alice)).toEqual(ENDINGS.sessionEnded);
    expect(await registry.whyRefused(bob)).toEqual(ENDINGS.notAMember);
    expect(await registry.whyRefused(aliceKey)).toEqual(ENDINGS.apiKeyRevoked);
    expect(await registry.whyRefused({ ...aliceKey, apiKeyId: "k-2" })).toEqual(ENDINGS.apiKeyRevoked);
    await registry.close();
  });

  it("keeps close reasons within the 123 bytes a WebSocket close frame allows", () => {
    for (const ending of Object.values(ENDINGS)) expect(Buffer.byteLength(ending.reason)).toBeLessThanOrEqual(123);
  });
});
