import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

// Issue 13 item 9: the audit log filters by action (exact or prefix), actor and dates, pages
// with `before`, lists its distinct actions, and never shows another workspace's events.

describe("audit log filters", () => {
  let t: TestApp;
  let owner: Awaited<ReturnType<TestApp["signUp"]>>;
  let other: Awaited<ReturnType<TestApp["signUp"]>>;
  const day = (n: number) => new Date(Date.UTC(2026, 10, n, 12));

  beforeAll(async () => {
    t = await startTestApp({ database: "pglite" });
    owner = await t.signUp({ name: "Olga" });
    other = await t.signUp({ name: "Otto" });
    const prisma = t.app.db.prisma;
    // Stored directly with chosen times, so the date filters have something to cut.
    await prisma.auditEvent.deleteMany({ where: { workspaceId: { in: [owner.workspaceId, other.workspaceId] } } });
    const rows = [
      { action: "webhook.created", actorUserId: owner.userId, createdAt: day(1) },
      { action: "webhook.deleted", actorUserId: owner.userId, createdAt: day(2) },
      { action: "member.invited", actorUserId: owner.userId, createdAt: day(3) },
      { action: "integration.tested", actorUserId: "user-who-left", createdAt: day(4) },
      { action: "integration.tested", actorUserId: null, actorApiKeyId: "key-1", createdAt: day(5) },
      { action: "webhooks_other.thing", actorUserId: owner.userId, createdAt: day(6) },
    ];
    for (const r of rows) await prisma.auditEvent.create({ data: { workspaceId: owner.workspaceId, ...r } });
    await prisma.auditEvent.create({ data: { workspaceId: other.workspaceId, action: "webhook.created", actorUserId: other.userId, createdAt: day(1) } });
  });
  afterAll(() => t?.close());

  const list = async (args: string, variables: Record<string, unknown> = {}) => {
    const types: Record<string, string> = { a: "String", u: "ID", k: "ID", from: "DateTime", to: "DateTime", before: "DateTime", first: "Int" };
    const declared = Object.keys(variables).map((v) => `$${v}: ${types[v]}`).join(", ");
    const res = await t.gql(`query(${declared}) { auditEvents(${args}) { action actorUserId actorApiKeyId createdAt } }`, {
      cookie: owner.cookie,
      variables,
    });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.auditEvents as { action: string; actorUserId: string | null; createdAt: string }[];
  };
  const actions = (rows: { action: string }[]) => rows.map((r) => r.action);

  it("filters by exact action and by prefix", async () => {
    expect(actions(await list("action: $a", { a: "integration.tested" }))).toEqual(["integration.tested", "integration.tested"]);
    expect(actions(await list("action: $a", { a: "webhook.*" }))).toEqual(["webhook.deleted", "webhook.created"]);
    expect(actions(await list("action: $a", { a: "webhook." }))).toEqual(["webhook.deleted", "webhook.created"]);
    // Without "*" or ".", a prefix is not a match.
    expect(await list("action: $a", { a: "webhook" })).toEqual([]);
  });

  it("filters by actor (user or API key) and by dates, and pages with before", async () => {
    expect(actions(await list("actorUserId: $u", { u: owner.userId }))).toEqual(["webhooks_other.thing", "member.invited", "webhook.deleted", "webhook.created"]);
    expect((await list("actorApiKeyId: $k", { k: "key-1" })).map((r) => r.createdAt)).toEqual([day(5).toISOString()]);
    expect(actions(await list("from: $from, to: $to", { from: day(2).toISOString(), to: day(4).toISOString() }))).toEqual(["member.invited", "webhook.deleted"]);
    const first = await list("actorUserId: $u, first: $first", { u: owner.userId, first: 2 });
    expect(actions(first)).toEqual(["webhooks_other.thing", "member.invited"]);
    const next = await list("actorUserId: $u, first: $first, before: $before", { u: owner.userId, first: 2, before: first[1]!.createdAt });
    expect(actions(next)).toEqual(["webhook.deleted", "webhook.created"]);
    // before and to together: the earlier bound wins.
    expect(actions(await list("to: $to, before: $before", { to: day(5).toISOString(), before: day(3).toISOString() }))).toEqual(["webhook.deleted", "webhook.created"]);
  });

  it("lists the workspace's distinct actions for the filter, and only its own", async () => {
    const res = await t.gql(`{ auditActions }`, { cookie: owner.cookie });
    expect(res.body.data.auditActions).toEqual(["integration.tested", "member.invited", "webhook.created", "webhook.deleted", "webhooks_other.thing"]);
    const theirs = await t.gql(`{ auditActions auditEvents(actorUserId: "${owner.userId}") { action } }`, { cookie: other.cookie });
    expect(theirs.body.data).toEqual({ auditActions: ["webhook.created"], auditEvents: [] });
  });

  it("refuses over-long filters as bad input", async () => {
    const res = await t.gql(`query($a: String) { auditEvents(action: $a) { id } }`, { cookie: owner.cookie, variables: { a: "x".repeat(101) } });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});
