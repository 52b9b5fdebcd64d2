import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { REDIS_URL, requireRedis } from "../support/redis.ts";
import { startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { openSse, rawSocket, waitUntil, type RawSocket, type SseStream } from "../support/live.ts";
import { publishAccessChange, type AccessChange } from "@switchboard/api/realtime";

// Issue 12, item 3: an open graphql-ws socket or SSE stream follows the current truth.
// Found as: a removed member kept reading the workspace and receiving its events on a socket
// opened before the removal; a demoted admin kept acting as admin on it; a signed-out session
// and a revoked API key kept working on theirs (authentication happened once, at
// connection_init). Here, for each of removal, demotion, sign-out and key revocation, with a
// socket and an SSE stream open on each of two replicas: after the change (and its
// "access:changed" event, published on the other replica) every one of them closes within a
// second, and nothing more is received. And without any event, the next operation on a socket
// is judged by the database as it is now.

const enabled = await requirePostgres();
const redis = await requireRedis("the cross-replica socket tests");

const SUBSCRIPTION = "subscription { healthStatus { integrationId kind } }";

function event(workspaceId: string, integrationId: string) {
  return { integrationId, workspaceId, providerId: "slack", status: "CONNECTED" as const, healthStatus: "HEALTHY" as const, healthMessage: null, errorCode: null, checkedAt: new Date().toISOString(), kind: "check" };
}

type Person = Awaited<ReturnType<TestApp["signUp"]>>;

/** Makes `person` a member of `workspaceId` with `role`, acting there (as an accepted invitation would). */
async function join(t: TestApp, person: Person, workspaceId: string, role: string): Promise<string> {
  const id = randomUUID();
  await t.app.db.prisma.member.create({ data: { id, organizationId: workspaceId, userId: person.userId, role, createdAt: new Date() } });
  await t.app.db.prisma.session.updateMany({ where: { userId: person.userId }, data: { activeOrganizationId: workspaceId } });
  return id;
}

async function sessionIdOf(t: TestApp, person: Person): Promise<string> {
  return (await t.app.db.prisma.session.findFirstOrThrow({ where: { userId: person.userId }, orderBy: { createdAt: "desc" } })).id;
}

async function createKey(t: TestApp, person: Person, name: string): Promise<{ id: string; key: string }> {
  const res = await t.gql(`mutation($name: String!) { createApiKey(name: $name) { id key } }`, { cookie: person.cookie, variables: { name } });
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data.createApiKey;
}

const marker = (s: RawSocket, id: string) => s.results(id).map((p) => p.data?.healthStatus?.integrationId as string);
const sseMarkers = (s: SseStream) => s.events.map((e) => e.data?.healthStatus?.integrationId as string);

describe.skipIf(!enabled || !redis)("access changes close sockets and SSE streams on every replica", () => {
  let a: TestApp;
  let b: TestApp;
  let owner: Person;
  let workspaceId: string;
  beforeAll(async () => {
    const secrets = testSecrets();
    a = await startTestApp({ database: "postgres", env: { REDIS_URL, ...secrets } });
    b = await startTestApp({ database: "postgres", databaseUrl: a.db!.url, env: { REDIS_URL, ...secrets, PUBLIC_URL: a.origin } });
    owner = await a.signUp({ name: "Olivia" });
    workspaceId = owner.workspaceId;
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  /**
   * Opens a socket and an SSE stream on each replica for `auth`, subscribed to the workspace's
   * health events, and waits until all four receive them. The owner's own socket (same
   * workspace, another principal) is opened too: it must stay.
   */
  async function openEverywhere(auth: { cookie?: string; authorization?: string }) {
    const sockets = [rawSocket(a.url, { ...auth, origin: a.origin }), rawSocket(b.url, { ...auth, origin: a.origin })];
    await Promise.all(sockets.map((s) => s.ready));
    for (const s of sockets) s.subscribe("events", SUBSCRIPTION);
    const streams = await Promise.all([openSse(a.url, auth, SUBSCRIPTION), openSse(b.url, auth, SUBSCRIPTION)]);
    for (const s of streams) expect(s.status).toBe(200);
    const bystander = rawSocket(a.url, { cookie: owner.cookie, origin: a.origin });
    await bystander.ready;
    bystander.subscribe("events", SUBSCRIPTION);
    // graphql-ws does not acknowledge a subscribe: publish until every stream has an event.
    const probe = setInterval(() => b.app.realtime.publish("health:workspace", workspaceId, event(workspaceId, "probe")), 50);
    await waitUntil(() => sockets.every((s) => s.results("events").length > 0) && streams.every((s) => s.events.length > 0) && bystander.results("events").length > 0, 10_000, "every subscription live").finally(() => clearInterval(probe));
    return { sockets, streams, bystander };
  }

  /**
   * Makes the change in the database, then publishes its access change from replica B (as the
   * code that makes the change does), and checks that within a second every socket closed with
   * `code` and every stream ended on both replicas, that nothing more arrives, and that the
   * bystander keeps receiving.
   */
  async function expectClosedEverywhere(
    opened: Awaited<ReturnType<typeof openEverywhere>>,
    change: () => Promise<void>,
    access: Omit<AccessChange, "at">,
    code: number,
    reason: RegExp,
  ) {
    const { sockets, streams, bystander } = opened;
    await change();
    const published = Date.now();
    publishAccessChange(b.app.realtime, access);
    await waitUntil(() => sockets.every((s) => s.closed() !== null) && streams.every((s) => s.ended() !== null), 1000, "every socket and stream to close within a second");
    for (const s of sockets) {
      expect(s.closed()!.code).toBe(code);
      expect(s.closed()!.reason).toMatch(reason);
      expect(s.closed()!.at - published).toBeLessThan(1000);
    }
    for (const s of streams) {
      expect(s.ended()!.at - published).toBeLessThan(1000);
      expect(s.ended()!.completed).toBe(true);
    }
    // Nothing more reaches them, from either replica; the owner's socket still receives.
    const before = { sockets: sockets.map((s) => s.results("events").length), streams: streams.map((s) => s.events.length) };
    a.app.realtime.publish("health:workspace", workspaceId, event(workspaceId, "after-from-a"));
    b.app.realtime.publish("health:workspace", workspaceId, event(workspaceId, "after-from-b"));
    await waitUntil(() => marker(bystander, "events").includes("after-from-a") && marker(bystander, "events").includes("after-from-b"), 5000, "the bystander's events");
    await new Promise((r) => setTimeout(r, 200));
    expect(sockets.map((s) => s.results("events").length)).toEqual(before.sockets);
    expect(streams.map((s) => s.events.length)).toEqual(before.streams);
    for (const s of sockets) expect(marker(s, "events")).not.toContain("after-from-a");
    for (const s of streams) expect(sseMarkers(s)).not.toContain("after-from-b");
    expect(bystander.closed()).toBeNull();
    bystander.close();
  }

  const registered = (t: TestApp) => t.app.ws.connections.stats().connections;

  it("removal: a removed member's sockets and streams close with 4403", async () => {
    const mia = await a.signUp({ name: "Mia" });
    const membershipId = await join(a, mia, workspaceId, "member");
    const opened = await openEverywhere({ cookie: mia.cookie });
    await expectClosedEverywhere(
      opened,
      async () => void (await a.app.db.prisma.member.delete({ where: { id: membershipId } })),
      { kind: "membership", userId: mia.userId, workspaceId },
      4403,
      /member|membership/i,
    );
    // Reconnecting does not help: the socket is refused at connection_init.
    const again = rawSocket(a.url, { cookie: mia.cookie, origin: a.origin });
    await expect(again.ready).rejects.toMatchObject({ code: 4403 });
  });

  it("demotion: a demoted admin's sockets and streams close with 4403; reconnected, it acts with the new role", async () => {
    const adam = await a.signUp({ name: "Adam" });
    const membershipId = await join(a, adam, workspaceId, "admin");
    const opened = await openEverywhere({ cookie: adam.cookie });
    await expectClosedEverywhere(
      opened,
      async () => void (await a.app.db.prisma.member.update({ where: { id: membershipId }, data: { role: "viewer" } })),
      { kind: "membership", userId: adam.userId, workspaceId },
      4403,
      /role|membership/i,
    );
    const again = rawSocket(b.url, { cookie: adam.cookie, origin: a.origin });
    await again.ready;
    expect(await again.request("who", "{ viewer { role } }")).toEqual({ data: { viewer: { role: "VIEWER" } } });
    const hook = await again.request("hook", `mutation { createWebhookEndpoint(url: "https://hooks.example.test/x") { endpoint { id } } }`);
    expect(JSON.stringify(hook)).toMatch(/FORBIDDEN/);
    again.close();
  });

  it("sign-out: the session's sockets and streams close with 4401", async () => {
    const sam = await a.signUp({ name: "Sam" });
    await join(a, sam, workspaceId, "admin");
    const sessionId = await sessionIdOf(a, sam);
    const opened = await openEverywhere({ cookie: sam.cookie });
    await expectClosedEverywhere(
      opened,
      async () => {
        const res = await fetch(`${a.url}/api/auth/sign-out`, { method: "POST", headers: { cookie: sam.cookie, origin: a.origin, "content-type": "application/json" }, body: "{}" });
        expect(res.status).toBe(200);
        expect(await a.app.db.prisma.session.count({ where: { id: sessionId } })).toBe(0);
      },
      { kind: "session", sessionId, userId: sam.userId },
      4401,
      /session/i,
    );
  });

  it("key revocation: the key's sockets and streams close with 4401; the creator's session is untouched", async () => {
    const kim = await a.signUp({ name: "Kim" });
    await join(a, kim, workspaceId, "admin");
    const key = await createKey(a, kim, "socket");
    const kimSocket = rawSocket(a.url, { cookie: kim.cookie, origin: a.origin });
    await kimSocket.ready;
    const opened = await openEverywhere({ authorization: `Bearer ${key.key}` });
    await expectClosedEverywhere(
      opened,
      async () => void (await a.app.db.prisma.apikey.delete({ where: { id: key.id } })),
      { kind: "apiKey", apiKeyId: key.id, workspaceId },
      4401,
      /API key/i,
    );
    expect(kimSocket.closed()).toBeNull();
    expect(await kimSocket.request("who", "{ viewer { role authenticatedWith } }")).toEqual({ data: { viewer: { role: "ADMIN", authenticatedWith: "session" } } });
    kimSocket.close();
    const again = rawSocket(b.url, { authorization: `Bearer ${key.key}` });
    await expect(again.ready).rejects.toMatchObject({ code: 4403 });
  });

  it("the product's own paths publish the change: removeMember, updateMemberRole, revokeApiKey and sign-out close everything with no event sent by the test", async () => {
    const closesWithin = async (opened: Awaited<ReturnType<typeof openEverywhere>>, change: () => Promise<void>, code: number) => {
      const started = Date.now();
      await change();
      await waitUntil(() => opened.sockets.every((s) => s.closed() !== null) && opened.streams.every((s) => s.ended() !== null), 1500, "every socket and stream to close");
      for (const s of opened.sockets) expect(s.closed()!.code).toBe(code);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(opened.bystander.closed()).toBeNull();
      opened.bystander.close();
    };
    const gql = async (query: string, variables: Record<string, unknown>) => {
      const res = await a.gql(query, { cookie: owner.cookie, variables });
      expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    };
    const rita = await a.signUp({ name: "Rita" });
    const ritaMembership = await join(a, rita, workspaceId, "member");
    await closesWithin(await openEverywhere({ cookie: rita.cookie }), () => gql(`mutation($id: ID!) { removeMember(id: $id) }`, { id: ritaMembership }), 4403);
    const dan = await a.signUp({ name: "Dan" });
    const danMembership = await join(a, dan, workspaceId, "admin");
    await closesWithin(await openEverywhere({ cookie: dan.cookie }), () => gql(`mutation($id: ID!) { updateMemberRole(id: $id, role: VIEWER) { id } }`, { id: danMembership }), 4403);
    const kit = await a.signUp({ name: "Kit" });
    await join(a, kit, workspaceId, "admin");
    const key = await createKey(a, kit, "revoked-by-owner");
    await closesWithin(await openEverywhere({ authorization: `Bearer ${key.key}` }), () => gql(`mutation($id: ID!) { revokeApiKey(id: $id) }`, { id: key.id }), 4401);
    const sol = await a.signUp({ name: "Sol" });
    await join(a, sol, workspaceId, "member");
    await closesWithin(
      await openEverywhere({ cookie: sol.cookie }),
      async () => void expect((await fetch(`${a.url}/api/auth/sign-out`, { method: "POST", headers: { cookie: sol.cookie, origin: a.origin, "content-type": "application/json" }, body: "{}" })).status).toBe(200),
      4401,
    );
  });

  it("the registries of both replicas hold nothing of the closed connections", async () => {
    await waitUntil(() => registered(a) === 0 && registered(b) === 0, 5000, "both registries to empty");
  });
});

describe.skipIf(!enabled)("each operation on a socket runs with the membership and role as they are now", () => {
  let t: TestApp;
  let owner: Person;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    owner = await t.signUp({ name: "Olga" });
  });
  afterAll(() => t?.close());

  // No access-change event is published here: the database alone decides, at the next operation.

  it("a role changed in the database applies to the next operation on the same socket", async () => {
    const ada = await t.signUp({ name: "Ada" });
    const membershipId = await join(t, ada, owner.workspaceId, "admin");
    const s = rawSocket(t.url, { cookie: ada.cookie, origin: t.origin });
    await s.ready;
    expect(await s.request("1", "{ viewer { role } }")).toEqual({ data: { viewer: { role: "ADMIN" } } });
    await t.app.db.prisma.member.update({ where: { id: membershipId }, data: { role: "viewer" } });
    expect(await s.request("2", "{ viewer { role } }")).toEqual({ data: { viewer: { role: "VIEWER" } } });
    const created = await s.request("3", `mutation { createApiKey(name: "after demotion") { id } }`);
    expect(created.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await t.app.db.prisma.apikey.count({ where: { name: "after demotion" } })).toBe(0);
    // Promoted again: the next operation has the new role too.
    await t.app.db.prisma.member.update({ where: { id: membershipId }, data: { role: "owner" } });
    expect(await s.request("4", "{ viewer { role } }")).toEqual({ data: { viewer: { role: "OWNER" } } });
    expect(s.closed()).toBeNull();
    s.close();
  });

  it("a role change while a subscription runs closes the socket at the next subscribe (4403), and the old subscription receives nothing more", async () => {
    const ari = await t.signUp({ name: "Ari" });
    const membershipId = await join(t, ari, owner.workspaceId, "admin");
    const s = rawSocket(t.url, { cookie: ari.cookie, origin: t.origin });
    await s.ready;
    s.subscribe("events", SUBSCRIPTION);
    const probe = setInterval(() => t.app.realtime.publish("health:workspace", owner.workspaceId, event(owner.workspaceId, "probe")), 50);
    await waitUntil(() => s.results("events").length > 0, 5000, "the subscription").finally(() => clearInterval(probe));
    await t.app.db.prisma.member.update({ where: { id: membershipId }, data: { role: "viewer" } });
    s.subscribe("second", SUBSCRIPTION);
    await waitUntil(() => s.closed() !== null, 1000, "the socket to close");
    expect(s.closed()).toMatchObject({ code: 4403, reason: expect.stringMatching(/role/i) });
    const count = s.results("events").length;
    t.app.realtime.publish("health:workspace", owner.workspaceId, event(owner.workspaceId, "after"));
    await new Promise((r) => setTimeout(r, 200));
    expect(s.results("events")).toHaveLength(count);
    expect(s.results("second")).toEqual([]);
  });

  it("a removed member's next subscribe is refused and the socket closes (4403)", async () => {
    const rui = await t.signUp({ name: "Rui" });
    const membershipId = await join(t, rui, owner.workspaceId, "member");
    const s = rawSocket(t.url, { cookie: rui.cookie, origin: t.origin });
    await s.ready;
    expect(await s.request("1", "{ viewer { role } }")).toEqual({ data: { viewer: { role: "MEMBER" } } });
    await t.app.db.prisma.member.delete({ where: { id: membershipId } });
    s.subscribe("2", "{ integrations { nodes { id } } }");
    await waitUntil(() => s.closed() !== null, 1000, "the socket to close");
    expect(s.closed()).toMatchObject({ code: 4403, reason: expect.stringMatching(/no longer a member/i) });
    expect(s.results("2")).toEqual([]);
  });

  it("a signed-out session's next subscribe is refused and the socket closes (4401)", async () => {
    const sol = await t.signUp({ name: "Sol" });
    const s = rawSocket(t.url, { cookie: sol.cookie, origin: t.origin });
    await s.ready;
    const res = await fetch(`${t.url}/api/auth/sign-out`, { method: "POST", headers: { cookie: sol.cookie, origin: t.origin, "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(200);
    s.subscribe("1", "{ viewer { role } }");
    await waitUntil(() => s.closed() !== null, 1000, "the socket to close");
    expect(s.closed()).toMatchObject({ code: 4401, reason: expect.stringMatching(/session/i) });
    expect(s.results("1")).toEqual([]);
  });

  it("a revoked key's next subscribe is refused and the socket closes (4401)", async () => {
    const key = await createKey(t, owner, "revoked-later");
    const s = rawSocket(t.url, { authorization: `Bearer ${key.key}` });
    await s.ready;
    expect(await s.request("1", "{ viewer { authenticatedWith } }")).toEqual({ data: { viewer: { authenticatedWith: "apiKey" } } });
    await t.app.db.prisma.apikey.delete({ where: { id: key.id } });
    s.subscribe("2", "{ viewer { role } }");
    await waitUntil(() => s.closed() !== null, 1000, "the socket to close");
    expect(s.closed()).toMatchObject({ code: 4401, reason: expect.stringMatching(/API key/i) });
    expect(s.results("2")).toEqual([]);
  });

  it("a session that simply expires loses its socket and its stream at the periodic re-check", async () => {
    const eve = await t.signUp({ name: "Eve" });
    const s = rawSocket(t.url, { cookie: eve.cookie, origin: t.origin });
    await s.ready;
    s.subscribe("events", SUBSCRIPTION);
    const stream = await openSse(t.url, { cookie: eve.cookie }, SUBSCRIPTION);
    expect(stream.status).toBe(200);
    const probe = setInterval(() => t.app.realtime.publish("health:workspace", eve.workspaceId, event(eve.workspaceId, "probe")), 50);
    await waitUntil(() => s.results("events").length > 0 && stream.events.length > 0, 5000, "both live").finally(() => clearInterval(probe));
    // The client is idle (no operation to re-resolve); the session runs out.
    await t.app.db.prisma.session.updateMany({ where: { userId: eve.userId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    // What the registry's timer (every 60 s) runs:
    expect(await t.app.ws.connections.recheck()).toBe(2);
    await waitUntil(() => s.closed() !== null && stream.ended() !== null, 1000, "the socket and the stream to end");
    expect(s.closed()).toMatchObject({ code: 4401, reason: expect.stringMatching(/session/i) });
    const counts = [s.results("events").length, stream.events.length];
    t.app.realtime.publish("health:workspace", eve.workspaceId, event(eve.workspaceId, "after"));
    await new Promise((r) => setTimeout(r, 200));
    expect([s.results("events").length, stream.events.length]).toEqual(counts);
  });
});
