import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, type Database } from "@switchboard/api/db";
import { buildApp } from "@switchboard/api/app";
import { createLogger } from "@switchboard/api/logger";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

// Query.integrations as a keyset-paged connection (issue 14), Query.integrationCounts and
// Mutation.renameIntegration, over HTTP against the composed server. Connections are rows
// written with Prisma (status, health, counters and scopes set by hand), so every state and
// every filter is covered without a provider. The paging suite runs on Postgres and on PGlite
// (the embedded default): the order, the state in SQL and the search are SQL of their own.

const postgres = await requirePostgres();

type Status = "CONNECTED" | "REAUTH_REQUIRED" | "ERROR" | "DISCONNECTED";
type Health = "HEALTHY" | "DEGRADED" | "UNHEALTHY" | "UNKNOWN";
type State = "HEALTHY" | "FAILING" | "UNHEALTHY" | "REAUTH_REQUIRED" | "MISSING_SCOPES" | "NOT_CONNECTED" | "UNKNOWN";
const STATES: State[] = ["HEALTHY", "FAILING", "UNHEALTHY", "REAUTH_REQUIRED", "MISSING_SCOPES", "NOT_CONNECTED", "UNKNOWN"];
const STATUSES: Status[] = ["CONNECTED", "REAUTH_REQUIRED", "ERROR", "DISCONNECTED"];
const HEALTHS: Health[] = ["HEALTHY", "DEGRADED", "UNHEALTHY", "UNKNOWN"];
const ATTENTION: State[] = ["FAILING", "UNHEALTHY", "REAUTH_REQUIRED", "MISSING_SCOPES"];

type Shape = { status: Status; healthStatus: Health; consecutiveFailures: number; consecutiveSuccesses: number; requestedScopes: string[]; grantedScopes: string[]; state: State };

// Each shape with the state a card must show, read from the README's rule (not from the
// product's code): disconnected, then reconnect required, then unhealthy (or ERROR), then
// failing since the last success, then short of scopes, then never checked, else healthy. The
// edge cases sit where two rules meet.
const SHAPES: Shape[] = [
  { status: "CONNECTED", healthStatus: "HEALTHY", consecutiveFailures: 0, consecutiveSuccesses: 5, requestedScopes: ["a", "b"], grantedScopes: ["a", "b"], state: "HEALTHY" },
  { status: "CONNECTED", healthStatus: "HEALTHY", consecutiveFailures: 0, consecutiveSuccesses: 1, requestedScopes: [], grantedScopes: [], state: "HEALTHY" },
  // More granted than asked, in another order, with a duplicate: nothing missing.
  { status: "CONNECTED", healthStatus: "DEGRADED", consecutiveFailures: 0, consecutiveSuccesses: 2, requestedScopes: ["a", "b"], grantedScopes: ["c", "b", "a", "a"], state: "HEALTHY" },
  { status: "CONNECTED", healthStatus: "DEGRADED", consecutiveFailures: 1, consecutiveSuccesses: 0, requestedScopes: ["a"], grantedScopes: ["a"], state: "FAILING" },
  // Recovering (a success since the failures) is not failing.
  { status: "CONNECTED", healthStatus: "DEGRADED", consecutiveFailures: 2, consecutiveSuccesses: 1, requestedScopes: ["a"], grantedScopes: ["a"], state: "HEALTHY" },
  // Failing wins over missing scopes.
  { status: "CONNECTED", healthStatus: "DEGRADED", consecutiveFailures: 1, consecutiveSuccesses: 0, requestedScopes: ["a", "b"], grantedScopes: [], state: "FAILING" },
  { status: "CONNECTED", healthStatus: "UNHEALTHY", consecutiveFailures: 3, consecutiveSuccesses: 0, requestedScopes: ["a"], grantedScopes: ["a"], state: "UNHEALTHY" },
  { status: "ERROR", healthStatus: "HEALTHY", consecutiveFailures: 0, consecutiveSuccesses: 0, requestedScopes: ["a"], grantedScopes: ["a"], state: "UNHEALTHY" },
  // Reconnect required wins over unhealthy.
  { status: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY", consecutiveFailures: 1, consecutiveSuccesses: 0, requestedScopes: ["a"], grantedScopes: [], state: "REAUTH_REQUIRED" },
  // Disconnected wins over everything.
  { status: "DISCONNECTED", healthStatus: "UNHEALTHY", consecutiveFailures: 2, consecutiveSuccesses: 0, requestedScopes: ["a"], grantedScopes: [], state: "NOT_CONNECTED" },
  { status: "DISCONNECTED", healthStatus: "UNKNOWN", consecutiveFailures: 0, consecutiveSuccesses: 0, requestedScopes: [], grantedScopes: [], state: "NOT_CONNECTED" },
  { status: "CONNECTED", healthStatus: "HEALTHY", consecutiveFailures: 0, consecutiveSuccesses: 1, requestedScopes: ["a", "b"], grantedScopes: ["a"], state: "MISSING_SCOPES" },
  // Missing scopes wins over never checked.
  { status: "CONNECTED", healthStatus: "UNKNOWN", consecutiveFailures: 0, consecutiveSuccesses: 0, requestedScopes: ["a", "b"], grantedScopes: ["b"], state: "MISSING_SCOPES" },
  { status: "CONNECTED", healthStatus: "UNKNOWN", consecutiveFailures: 0, consecutiveSuccesses: 0, requestedScopes: ["a"], grantedScopes: ["a"], state: "UNKNOWN" },
];

// Varied on purpose: case variants of one name (the id breaks the tie), punctuation, digits,
// the LIKE wildcards % and _ and the escape character \ (to be matched literally), and a near
// miss next to each (100X, opsXteam) that a wildcard would match.
const LABELS = ["Acme", "acme", "ACME", "Beta team", "beta Team", "Zeta", "zeta ops", "100% Uptime", "100X Uptime", "ops_team", "opsXteam", "Marketing", "marketing EU", "Sales", "sales-apac", "~tilde", "[brackets]", "0 first", "C:\\ops", "a"];
const PROVIDERS = ["slack", "hubspot", "google"] as const;

type Row = { id: string; providerId: string; label: string; accountId: string; accountName: string; shape: Shape };

/** The connections of the main workspace: 120 across three providers, every shape on each. */
function mainRows(): Omit<Row, "id">[] {
  return Array.from({ length: 120 }, (_, i) => {
    const providerId = PROVIDERS[i % 3]!;
    // Searches below find these by one field only: the account name, or the account id.
    const accountName = i === 5 ? "Globex Corporation" : `Account ${String(i).padStart(3, "0")}`;
    const accountId = i === 8 ? "T0ZEBRA42" : `${providerId}-acct-${i}`;
    return { providerId, label: LABELS[(i * 7) % LABELS.length]!, accountId, accountName, shape: SHAPES[i % SHAPES.length]! };
  });
}

async function insertRows(t: TestApp, workspaceId: string, rows: Omit<Row, "id">[]): Promise<Row[]> {
  const created = await t.app.db.prisma.integration.createManyAndReturn({
    data: rows.map((r) => {
      const { state: _state, ...shape } = r.shape;
      return {
        workspaceId,
        providerId: r.providerId,
        label: r.label,
        accountId: r.accountId,
        account: { id: r.accountId, name: r.accountName },
        ...shape,
        lastHealthCheckAt: shape.healthStatus === "UNKNOWN" ? null : new Date(),
      };
    }),
    select: { id: true, accountId: true },
  });
  const idOf = new Map(created.map((c) => [c.accountId, c.id]));
  return rows.map((r) => ({ ...r, id: idOf.get(r.accountId)! }));
}

/**
 * The documented order: provider, lower(label), id. Labels are compared as the database's
 * collation compares them (asked of the database itself), so the test holds on a server whose
 * default collation is not C; ids (UUIDs, same shape) and provider ids compare alike everywhere.
 */
async function sortedAsDocumented(t: TestApp, rows: Row[]): Promise<Row[]> {
  const keys = [...new Set(rows.map((r) => r.label.toLowerCase()))];
  const ranked = await t.app.db.prisma.$queryRaw<{ k: string; r: bigint | number }[]>`SELECT k, rank() OVER (ORDER BY k) AS r FROM unnest(${keys}::text[]) AS k`;
  const rank = new Map(ranked.map((x) => [x.k, Number(x.r)]));
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows].sort((a, b) => cmp(a.providerId, b.providerId) || rank.get(a.label.toLowerCase())! - rank.get(b.label.toLowerCase())! || cmp(a.id, b.id));
}

/** What `search` must match, read from the contract: label, account name, account id, provider id, case-insensitive, literally. */
const matches = (r: Row, search: string) => [r.label, r.accountName, r.accountId, r.providerId].some((v) => v.toLowerCase().includes(search.trim().toLowerCase()));

const PAGE = `query Page($first: Int, $after: String, $filter: IntegrationFilter, $search: String) {
  integrations(first: $first, after: $after, filter: $filter, search: $search) {
    edges { cursor node { id providerId label state status healthStatus account { id name } } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}`;

type Node = { id: string; providerId: string; label: string; state: State; status: Status; healthStatus: Health; account: { id: string | null; name: string | null } | null };
type Page = { edges: { cursor: string; node: Node }[]; nodes: { id: string }[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }; totalCount: number };
type Filter = { providers?: string[]; states?: State[]; health?: Health[]; status?: Status[] };
type PageVars = { first?: number; after?: string | null; filter?: Filter; search?: string };

const COUNTS = `{ integrationCounts { providerId provider { id name } total connected needsAttention states { state count } } }`;
type Count = { providerId: string; provider: { id: string; name: string } | null; total: number; connected: number; needsAttention: number; states: { state: State; count: number }[] };

/** integrationCounts as the contract defines it, from rows whose state is known. */
function expectedCounts(rows: Row[], names: Record<string, string>): Count[] {
  const providers = [...new Set(rows.map((r) => r.providerId))].sort();
  return providers.map((providerId) => {
    const mine = rows.filter((r) => r.providerId === providerId);
    const states = STATES.map((state) => ({ state, count: mine.filter((r) => r.shape.state === state).length })).filter((s) => s.count > 0);
    return {
      providerId,
      provider: { id: providerId, name: names[providerId]! },
      total: mine.length,
      connected: mine.filter((r) => r.shape.state !== "NOT_CONNECTED").length,
      needsAttention: mine.filter((r) => ATTENTION.includes(r.shape.state)).length,
      states: sortStates(states),
    };
  });
}
const sortStates = (states: { state: State; count: number }[]) => [...states].sort((a, b) => a.state.localeCompare(b.state));
const normalizeCounts = (counts: Count[]) => [...counts].sort((a, b) => a.providerId.localeCompare(b.providerId)).map((c) => ({ ...c, states: sortStates(c.states) }));
const NAMES = { slack: "Slack", hubspot: "HubSpot", google: "Google", salesforce: "Salesforce" };

for (const backend of [
  { name: "Postgres", database: "postgres" as const, enabled: postgres },
  { name: "PGlite", database: "pglite" as const, enabled: true },
]) {
  describe.skipIf(!backend.enabled)(`Query.integrations pages and integrationCounts (${backend.name})`, () => {
    let t: TestApp;
    let owner: Awaited<ReturnType<TestApp["signUp"]>>;
    let other: Awaited<ReturnType<TestApp["signUp"]>>;
    let rows: Row[];
    let otherRows: Row[];

    beforeAll(async () => {
      t = await startTestApp({ database: backend.database });
      owner = await t.signUp({ name: "Paige" });
      other = await t.signUp({ name: "Otto" });
      rows = await insertRows(t, owner.workspaceId, mainRows());
      // Another workspace whose labels, account names and even an account id match the
      // searches below, and a provider the main workspace does not have.
      otherRows = await insertRows(
        t,
        other.workspaceId,
        Array.from({ length: 12 }, (_, i) => ({
          providerId: i % 2 ? "salesforce" : "slack",
          label: ["Acme", "100% Uptime", "ops_team", "Sales"][i % 4]!,
          accountId: i === 0 ? "T0ZEBRA42" : `other-${i}`,
          accountName: i === 1 ? "Globex Corporation" : `Other ${i}`,
          shape: SHAPES[(i * 5) % SHAPES.length]!,
        })),
      );
    });
    afterAll(() => t?.close());

    async function page(vars: PageVars, cookie = owner.cookie): Promise<Page> {
      const res = await t.gql<{ integrations: Page }>(PAGE, { cookie, variables: vars });
      expect(res.body.errors, JSON.stringify(vars)).toBeUndefined();
      return res.body.data!.integrations;
    }

    /** Every page from the start, checking each page's invariants; the nodes in the order served. */
    async function walk(vars: Omit<PageVars, "after">, cookie = owner.cookie): Promise<{ nodes: Node[]; pages: Page[] }> {
      const pages: Page[] = [];
      let after: string | null = null;
      for (;;) {
        const p: Page = await page({ ...vars, after }, cookie);
        pages.push(p);
        expect(p.nodes.map((n) => n.id)).toEqual(p.edges.map((e) => e.node.id));
        expect(p.pageInfo.hasPreviousPage).toBe(false);
        expect(p.pageInfo.startCursor).toBe(p.edges[0]?.cursor ?? null);
        expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)?.cursor ?? null);
        expect(p.totalCount).toBe(pages[0]!.totalCount);
        if (vars.first !== undefined) expect(p.edges.length).toBeLessThanOrEqual(vars.first);
        if (!p.pageInfo.hasNextPage) break;
        expect(p.edges.length).toBe(vars.first ?? 50);
        after = p.pageInfo.endCursor;
        expect(pages.length).toBeLessThan(200);
      }
      const nodes = pages.flatMap((p) => p.edges.map((e) => e.node));
      // The count on every page is the number of rows the walk finds.
      expect(pages[0]!.totalCount).toBe(nodes.length);
      return { nodes, pages };
    }

    it("walks 120 connections with first=50 in the documented order, each once, with pageInfo and totalCount right on every page", async () => {
      const { nodes, pages } = await walk({ first: 50 });
      expect(pages.map((p) => [p.edges.length, p.pageInfo.hasNextPage, p.totalCount])).toEqual([
        [50, true, 120],
        [50, true, 120],
        [20, false, 120],
      ]);
      const expected = await sortedAsDocumented(t, rows);
      expect(nodes.map((n) => n.id)).toEqual(expected.map((r) => r.id));
      expect(new Set(nodes.map((n) => n.id)).size).toBe(120);
      // Ties on the label (Acme, acme, ACME on one provider) are ordered by id.
      const acmes = nodes.filter((n) => n.providerId === "slack" && n.label.toLowerCase() === "acme");
      expect(acmes.length).toBeGreaterThan(1);
      expect(acmes.map((n) => n.id)).toEqual(acmes.map((n) => n.id).sort());
      // What each node says is its row's.
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const n of nodes) {
        const r = byId.get(n.id)!;
        expect(n, r.accountId).toMatchObject({ providerId: r.providerId, label: r.label, status: r.shape.status, healthStatus: r.shape.healthStatus, account: { id: r.accountId, name: r.accountName } });
      }
    });

    it("defaults to 50 a page; a page that ends exactly at the last row says there is no next page", async () => {
      const first = await page({});
      expect([first.edges.length, first.pageInfo.hasNextPage, first.totalCount]).toEqual([50, true, 120]);
      // 40 HubSpot connections in pages of 20 and of 40: the last page is full and the end.
      for (const size of [20, 40]) {
        const { pages } = await walk({ first: size, filter: { providers: ["hubspot"] } });
        expect(pages.map((p) => [p.edges.length, p.pageInfo.hasNextPage])).toEqual(size === 20 ? [[20, true], [20, false]] : [[40, false]]);
      }
      // first=200 serves everything at once; first=0 serves nothing but the count.
      const all = await page({ first: 200 });
      expect([all.edges.length, all.pageInfo.hasNextPage]).toEqual([120, false]);
      const none = await page({ first: 0 });
      expect(none).toMatchObject({ edges: [], nodes: [], totalCount: 120, pageInfo: { startCursor: null, endCursor: null, hasNextPage: true } });
    });

    it("computes the state in SQL exactly as each card shows it: every state, row by row", async () => {
      const { nodes } = await walk({ first: 200 });
      const byId = new Map(rows.map((r) => [r.id, r]));
      // The card's state (Integration.state) is the README's rule for each shape.
      for (const n of nodes) expect(n.state, JSON.stringify(byId.get(n.id)!.shape)).toBe(byId.get(n.id)!.shape.state);
      expect(new Set(nodes.map((n) => n.state))).toEqual(new Set(STATES));
      // The state filter (SQL) returns exactly the rows whose card shows that state; together
      // the seven filters cover every row once.
      const seen = new Map<string, State>();
      for (const state of STATES) {
        const filtered = await walk({ first: 17, filter: { states: [state] } });
        expect(filtered.nodes.length, state).toBeGreaterThan(0);
        for (const n of filtered.nodes) {
          expect(n.state, `${n.id} under filter ${state}`).toBe(state);
          expect(seen.has(n.id)).toBe(false);
          seen.set(n.id, state);
        }
        expect(filtered.nodes.map((n) => n.id).sort()).toEqual(nodes.filter((n) => n.state === state).map((n) => n.id).sort());
      }
      expect(seen.size).toBe(120);
      // Several states at once are their union.
      const union = await walk({ first: 50, filter: { states: ["FAILING", "MISSING_SCOPES", "UNKNOWN"] } });
      expect(union.nodes.map((n) => n.id).sort()).toEqual(nodes.filter((n) => ["FAILING", "MISSING_SCOPES", "UNKNOWN"].includes(n.state)).map((n) => n.id).sort());
    });

    it("filters by providers, status and health, and an empty list matches all", async () => {
      const ids = (list: { id: string }[]) => list.map((n) => n.id).sort();
      const expectRows = async (filter: Filter, want: Row[]) => {
        const { nodes } = await walk({ first: 50, filter });
        expect(ids(nodes), JSON.stringify(filter)).toEqual(ids(want));
        // Still in the documented order under a filter.
        expect(nodes.map((n) => n.id), JSON.stringify(filter)).toEqual((await sortedAsDocumented(t, want)).map((r) => r.id));
      };
      await expectRows({ providers: ["hubspot"] }, rows.filter((r) => r.providerId === "hubspot"));
      await expectRows({ providers: ["google", "slack"] }, rows.filter((r) => r.providerId !== "hubspot"));
      await expectRows({ providers: ["salesforce"] }, []);
      await expectRows({ providers: [] }, rows);
      for (const status of STATUSES) await expectRows({ status: [status] }, rows.filter((r) => r.shape.status === status));
      for (const health of HEALTHS) await expectRows({ health: [health] }, rows.filter((r) => r.shape.healthStatus === health));
      await expectRows({ status: ["REAUTH_REQUIRED", "DISCONNECTED"], health: ["UNHEALTHY"] }, rows.filter((r) => ["REAUTH_REQUIRED", "DISCONNECTED"].includes(r.shape.status) && r.shape.healthStatus === "UNHEALTHY"));
      await expectRows({ providers: [], states: [], health: [], status: [] }, rows);
    });

    it("searches label, account name, account id and provider id, case-insensitively, with % _ and \\ taken literally", async () => {
      const found = async (search: string, filter?: Filter) => (await walk({ first: 50, search, ...(filter ? { filter } : {}) })).nodes.map((n) => n.id).sort();
      const want = (search: string, keep: (r: Row) => boolean = () => true) => rows.filter((r) => matches(r, search) && keep(r)).map((r) => r.id).sort();
      const globex = rows.find((r) => r.accountName === "Globex Corporation")!;
      const zebra = rows.find((r) => r.accountId === "T0ZEBRA42")!;
      // By account name only, and by account id only (neither is in a label), in any case.
      expect(await found("gLoBeX")).toEqual([globex.id]);
      expect(await found("  globex corp ")).toEqual([globex.id]);
      expect(await found("zebra4")).toEqual([zebra.id]);
      // By label, whatever its case.
      expect(await found("ACME")).toEqual(want("acme"));
      expect((await found("ACME")).length).toBe(rows.filter((r) => r.label.toLowerCase() === "acme").length);
      // By provider id.
      expect(await found("HubSpot")).toEqual(want("hubspot"));
      expect((await found("hubspot")).length).toBe(40);
      // The wildcards and the escape character are characters like any other.
      for (const literal of ["100% up", "%", "ops_team", "_", "c:\\ops", "\\"]) {
        const got = await found(literal);
        expect(got, literal).toEqual(want(literal));
        expect(got.length, literal).toBeGreaterThan(0);
      }
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect((await found("100% up")).map((id) => byId.get(id)!.label)).not.toContain("100X Uptime");
      expect((await found("ops_team")).map((id) => byId.get(id)!.label)).not.toContain("opsXteam");
      expect(await found("no such thing")).toEqual([]);
      // Blank search is no search.
      expect((await found("   ")).length).toBe(120);
      // Combined with filters: every condition holds.
      const filter: Filter = { providers: ["slack", "google"], states: ["HEALTHY", "MISSING_SCOPES", "UNKNOWN"], health: ["HEALTHY", "UNKNOWN"], status: ["CONNECTED"] };
      const keep = (r: Row) => filter.providers!.includes(r.providerId) && filter.states!.includes(r.shape.state) && filter.health!.includes(r.shape.healthStatus) && filter.status!.includes(r.shape.status);
      for (const search of ["a", "team", "acct-1", "%"]) {
        const got = await found(search, filter);
        expect(got, search).toEqual(want(search, keep));
      }
      expect((await found("a", filter)).length).toBeGreaterThan(5);
      // totalCount follows the filter and the search.
      const counted = await page({ first: 3, search: "a", filter });
      expect(counted.totalCount).toBe(want("a", keep).length);
      expect(counted.pageInfo.hasNextPage).toBe(true);
    });

    it("refuses bad input with BAD_USER_INPUT and a clear message, and loses nothing", async () => {
      const before = await t.app.db.prisma.integration.count();
      const refused = async (vars: PageVars, message: RegExp) => {
        const res = await t.gql(PAGE, { cookie: owner.cookie, variables: vars });
        expect(res.status, JSON.stringify(vars)).toBe(200);
        expect(res.body.data, JSON.stringify(vars)).toBeNull();
        expect(res.body.errors?.[0]?.extensions?.code, JSON.stringify(vars)).toBe("BAD_USER_INPUT");
        expect(res.body.errors?.[0]?.message, JSON.stringify(vars)).toMatch(message);
      };
      await refused({ first: 201 }, /^first must be between 0 and 200$/);
      await refused({ first: 100_000 }, /^first must be between 0 and 200$/);
      await refused({ first: -1 }, /^first must be between 0 and 200$/);
      await refused({ after: "garbage" }, /^after is not a cursor this query returned$/);
      await refused({ after: "!!!" }, /^after is not a cursor this query returned$/);
      // Well-formed base64 of the wrong JSON is as foreign as garbage.
      await refused({ after: Buffer.from(JSON.stringify(["slack", "acme"])).toString("base64url") }, /^after is not a cursor this query returned$/);
      await refused({ after: Buffer.from(JSON.stringify({ p: "slack", l: "acme", i: "x" })).toString("base64url") }, /^after is not a cursor this query returned$/);
      await refused({ after: Buffer.from(JSON.stringify(["slack", 1, "x"])).toString("base64url") }, /^after is not a cursor this query returned$/);
      await refused({ after: "A".repeat(5000) }, /^after is too long$/);
      await refused({ search: "x".repeat(201) }, /^search is longer than 200 characters$/);
      // At the limits: accepted.
      expect((await page({ first: 200, search: "x".repeat(200) })).totalCount).toBe(0);
      // Nothing was changed, and the next query is served as before.
      expect(await t.app.db.prisma.integration.count()).toBe(before);
      expect((await page({ first: 1 })).totalCount).toBe(120);
    });

    it("never shows another workspace's connections: not in pages, totalCount, searches or integrationCounts", async () => {
      const { nodes } = await walk({ first: 50 });
      const theirs = new Set(otherRows.map((r) => r.id));
      expect(nodes.some((n) => theirs.has(n.id))).toBe(false);
      for (const search of ["acme", "globex", "zebra", "100%", "other", "salesforce"]) {
        const found = await walk({ first: 50, search });
        expect(found.nodes.some((n) => theirs.has(n.id)), search).toBe(false);
        expect(found.pages[0]!.totalCount, search).toBe(rows.filter((r) => matches(r, search)).length);
      }
      expect((await page({ filter: { providers: ["salesforce"] } })).totalCount).toBe(0);
      // Their cursor is a position, not a key to their rows: in this workspace it pages this workspace's.
      const theirPage = await page({ first: 3 }, other.cookie);
      expect(theirPage.edges.every((e) => theirs.has(e.node.id))).toBe(true);
      const withTheirCursor = await page({ first: 200, after: theirPage.pageInfo.endCursor });
      expect(withTheirCursor.edges.every((e) => !theirs.has(e.node.id))).toBe(true);
      expect(withTheirCursor.totalCount).toBe(120);
      expect(nodes.map((n) => n.id)).toEqual(expect.arrayContaining(withTheirCursor.edges.map((e) => e.node.id)));
      // And they see only theirs.
      const theirWalk = await walk({ first: 5 }, other.cookie);
      expect(theirWalk.nodes.map((n) => n.id).sort()).toEqual([...theirs].sort());
      const counts = await t.gql<{ integrationCounts: Count[] }>(COUNTS, { cookie: other.cookie });
      expect(normalizeCounts(counts.body.data!.integrationCounts)).toEqual(expectedCounts(otherRows, NAMES));
    });

    it("integrationCounts: totals, connected, need attention and states per provider, whatever page is loaded", async () => {
      const res = await t.gql<{ integrationCounts: Count[] }>(COUNTS, { cookie: owner.cookie });
      expect(res.body.errors).toBeUndefined();
      const counts = normalizeCounts(res.body.data!.integrationCounts);
      expect(counts).toEqual(expectedCounts(rows, NAMES));
      // The numbers by hand, for one provider: 40 rows over 14 shapes.
      const slack = counts.find((c) => c.providerId === "slack")!;
      expect(slack.total).toBe(40);
      expect(slack.states.reduce((n, s) => n + s.count, 0)).toBe(40);
      // Counts agree with the cards the pages serve (Integration.state).
      const { nodes } = await walk({ first: 200 });
      for (const c of counts) {
        const mine = nodes.filter((n) => n.providerId === c.providerId);
        expect(c.total).toBe(mine.length);
        expect(c.connected).toBe(mine.filter((n) => n.state !== "NOT_CONNECTED").length);
        expect(c.needsAttention).toBe(mine.filter((n) => ATTENTION.includes(n.state)).length);
      }
      // A workspace without connections has no groups.
      const empty = await t.signUp({ name: "Nobody" });
      expect((await t.gql(COUNTS, { cookie: empty.cookie })).body.data).toEqual({ integrationCounts: [] });
      expect(await page({}, empty.cookie)).toEqual({ edges: [], nodes: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null }, totalCount: 0 });
    });

    it("a cursor keeps its place when connections are added and removed before and after it", async () => {
      const user = await t.signUp({ name: "Cursor" });
      // 15 Google and 15 Slack connections, labels "item 00".."item 14": pages of 10.
      const original = await insertRows(
        t,
        user.workspaceId,
        Array.from({ length: 30 }, (_, i) => ({ providerId: i < 15 ? "google" : "slack", label: `item ${String(i % 15).padStart(2, "0")}`, accountId: `c-${i}`, accountName: `C ${i}`, shape: SHAPES[0]! })),
      );
      const first = await page({ first: 10 }, user.cookie);
      expect(first.edges.map((e) => e.node.label)).toEqual(Array.from({ length: 10 }, (_, i) => `item ${String(i).padStart(2, "0")}`));
      const pageOne = new Set(first.edges.map((e) => e.node.id));
      const cursor = first.pageInfo.endCursor!;
      // Before the cursor: a new Google row that sorts first. After it: one among the Google
      // rows still to come, and one of a provider between Google and Slack.
      const added = await insertRows(t, user.workspaceId, [
        { providerId: "google", label: "AAA early", accountId: "c-early", accountName: "early", shape: SHAPES[0]! },
        { providerId: "google", label: "item 12b", accountId: "c-late", accountName: "late", shape: SHAPES[0]! },
        { providerId: "hubspot", label: "between", accountId: "c-between", accountName: "between", shape: SHAPES[0]! },
      ]);
      // Removed: a row before the cursor, and the very row the cursor points at.
      const removed = [first.edges[2]!.node.id, first.edges[9]!.node.id];
      await t.app.db.prisma.integration.deleteMany({ where: { id: { in: removed } } });

      const rest: Node[] = [];
      let after: string | null = cursor;
      let pages = 0;
      for (;;) {
        const p: Page = await page({ first: 10, after }, user.cookie);
        expect(p.totalCount).toBe(30 + 3 - 2);
        rest.push(...p.edges.map((e) => e.node));
        pages++;
        if (!p.pageInfo.hasNextPage) break;
        after = p.pageInfo.endCursor;
      }
      const restIds = rest.map((n) => n.id);
      // Nothing of page one again, nothing of the original rows after it skipped, none twice.
      expect(restIds.filter((id) => pageOne.has(id))).toEqual([]);
      expect(new Set(restIds).size).toBe(restIds.length);
      const originalAfter = original.filter((r) => !pageOne.has(r.id)).map((r) => r.id);
      expect(restIds).toEqual(expect.arrayContaining(originalAfter));
      // The rows added after the cursor are there; the one added before it is not (it is on page one now).
      expect(restIds).toContain(added[1]!.id);
      expect(restIds).toContain(added[2]!.id);
      expect(restIds).not.toContain(added[0]!.id);
      expect(rest.length).toBe(originalAfter.length + 2);
      expect(pages).toBe(3);
      // In order: Google's remaining items with 12b among them, then HubSpot, then Slack.
      expect(rest.map((n) => n.label)).toEqual(["item 10", "item 11", "item 12", "item 12b", "item 13", "item 14", "between", ...Array.from({ length: 15 }, (_, i) => `item ${String(i).padStart(2, "0")}`)]);
      // A fresh walk sees the new first page.
      const again = await page({ first: 10 }, user.cookie);
      expect(again.edges[0]!.node.id).toBe(added[0]!.id);
    });

    if (backend.database === "postgres") {
      it("costs the same statements for a page of 5 as for a page of 50 (no N+1)", async () => {
        const statements: string[] = [];
        const counted: Database = await createDatabase({ url: t.db!.url, dataDir: mkdtempSync(join(tmpdir(), "sb-paging-")), poolSize: 4, onQuery: (sql) => statements.push(sql) });
        const replica = await buildApp({ env: { ...t.app.env, DATA_DIR: mkdtempSync(join(tmpdir(), "sb-paging-replica-")) }, db: counted, logger: createLogger({ level: "silent" }) });
        try {
          const ask = async (first: number) => {
            statements.length = 0;
            const res = await replica.yoga.fetch("http://localhost/graphql", {
              method: "POST",
              headers: { "content-type": "application/json", cookie: owner.cookie },
              body: JSON.stringify({ query: `query($f: Int) { integrations(first: $f, search: "a") { nodes { id label state missingScopes account { name } provider { name } uptime { last24h } } totalCount } integrationCounts { total } }`, variables: { f: first } }),
            });
            const body = (await res.json()) as { data?: { integrations: { nodes: unknown[] } }; errors?: unknown };
            expect(body.errors).toBeUndefined();
            return { served: body.data!.integrations.nodes.length, statements: statements.length };
          };
          const small = await ask(5);
          const large = await ask(50);
          expect([small.served, large.served]).toEqual([5, 50]);
          // viewer, page, nodes, count, uptime, counts: a handful, whatever the page's size.
          expect(small.statements).toBeGreaterThanOrEqual(5);
          expect(large.statements).toBe(small.statements);
        } finally {
          await replica.close();
          await counted.close();
        }
      });
    }
  });
}

describe.skipIf(!postgres)("renameIntegration", () => {
  let t: TestApp;
  let owner: Awaited<ReturnType<TestApp["signUp"]>>;
  let member: Awaited<ReturnType<TestApp["signUp"]>>;
  let viewer: Awaited<ReturnType<TestApp["signUp"]>>;
  let stranger: Awaited<ReturnType<TestApp["signUp"]>>;
  let named: string;
  let nameless: string;
  let theirs: string;

  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    owner = await t.signUp({ name: "Rena" });
    member = await t.signUp({ name: "Mel" });
    viewer = await t.signUp({ name: "Vic" });
    stranger = await t.signUp({ name: "Stan" });
    await t.addMember(owner, member, "MEMBER");
    await t.addMember(owner, viewer, "VIEWER");
    const prisma = t.app.db.prisma;
    named = (await prisma.integration.create({ data: { workspaceId: owner.workspaceId, providerId: "slack", status: "CONNECTED", healthStatus: "HEALTHY", accountId: "T0GLOBEX", account: { id: "T0GLOBEX", name: "Globex Sandbox" }, label: "Globex Sandbox" } })).id;
    // An account whose name could not be read: the label falls back to the provider's name.
    nameless = (await prisma.integration.create({ data: { workspaceId: owner.workspaceId, providerId: "hubspot", status: "CONNECTED", healthStatus: "HEALTHY", accountId: "40000001", account: { id: "40000001" } } })).id;
    theirs = (await prisma.integration.create({ data: { workspaceId: stranger.workspaceId, providerId: "slack", status: "CONNECTED", accountId: "T0OTHER", account: { id: "T0OTHER", name: "Theirs" }, label: "Theirs" } })).id;
  });
  afterAll(() => t?.close());

  const RENAME = `mutation($id: ID!, $label: String!) { renameIntegration(id: $id, label: $label) { id label labelSetByUser } }`;
  const rename = (cookie: string, id: string, label: string) => t.gql(RENAME, { cookie, variables: { id, label } });
  const row = (id: string) => t.app.db.prisma.integration.findUniqueOrThrow({ where: { id }, select: { label: true, labelSetByUser: true, updatedAt: true } });
  const audits = (id: string) => t.app.db.prisma.auditEvent.findMany({ where: { action: "integration.renamed", targetId: id }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });

  it("renames: the label changes (spaces tidied), is marked as a person's, and is audited", async () => {
    const res = await rename(owner.cookie, named, "  Support   desk ");
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.renameIntegration).toEqual({ id: named, label: "Support desk", labelSetByUser: true });
    expect(await row(named)).toMatchObject({ label: "Support desk", labelSetByUser: true });
    const [audit] = await audits(named);
    expect(audit).toMatchObject({ workspaceId: owner.workspaceId, actorUserId: owner.userId, targetType: "integration", targetId: named, metadata: { provider: "slack", from: "Globex Sandbox", to: "Support desk" } });
    // Pages find and order it by the new label; the account name still finds it.
    const search = async (s: string) => (await t.gql(`query($s: String) { integrations(search: $s) { nodes { id label } } }`, { cookie: owner.cookie, variables: { s } })).body.data.integrations.nodes;
    expect(await search("support")).toEqual([{ id: named, label: "Support desk" }]);
    expect(await search("globex")).toEqual([{ id: named, label: "Support desk" }]);
  });

  it("lets a member rename; a label of 80 characters is accepted", async () => {
    const label = "m".repeat(80);
    const res = await rename(member.cookie, named, label);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.renameIntegration.label).toBe(label);
    expect((await audits(named)).at(-1)).toMatchObject({ actorUserId: member.userId, metadata: { to: label } });
  });

  it("an empty label goes back to the account's name (or the provider's, without one)", async () => {
    for (const blank of ["", "   "]) {
      await rename(owner.cookie, named, "Temporary");
      const res = await rename(owner.cookie, named, blank);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.renameIntegration).toEqual({ id: named, label: "Globex Sandbox", labelSetByUser: false });
      expect(await row(named)).toMatchObject({ label: "Globex Sandbox", labelSetByUser: false });
      expect((await audits(named)).at(-1)).toMatchObject({ metadata: { from: "Temporary", to: "Globex Sandbox" } });
    }
    await rename(owner.cookie, nameless, "Marketing portal");
    const back = await rename(owner.cookie, nameless, "");
    expect(back.body.data.renameIntegration).toEqual({ id: nameless, label: "HubSpot", labelSetByUser: false });
    expect(await row(nameless)).toMatchObject({ label: null, labelSetByUser: false });
  });

  it("refuses a label over 80 characters and control characters, changing nothing", async () => {
    await rename(owner.cookie, named, "Before");
    const before = await row(named);
    const auditCount = (await audits(named)).length;
    const tooLong = await rename(owner.cookie, named, "x".repeat(81));
    expect(tooLong.body.errors?.[0]).toMatchObject({ message: "A label has at most 80 characters.", extensions: { code: "BAD_USER_INPUT", reason: "label_too_long" } });
    expect(tooLong.body.data).toBeNull();
    for (const label of ["bad\u0000name", "esc\u001b[31mred", "bell\u0007", "del\u007f"]) {
      const res = await rename(owner.cookie, named, label);
      expect(res.body.errors?.[0], JSON.stringify(label)).toMatchObject({ message: "A label cannot contain control characters.", extensions: { code: "BAD_USER_INPUT", reason: "invalid_label" } });
      expect(res.body.data).toBeNull();
    }
    expect(await row(named)).toEqual(before);
    expect(await audits(named)).toHaveLength(auditCount);
    // Line breaks and tabs are whitespace: tidied to one space, never stored.
    const tidied = await rename(owner.cookie, named, "two\nlines\there");
    expect(tidied.body.data.renameIntegration.label).toBe("two lines here");
  });

  it("refuses a viewer (FORBIDDEN) and another workspace's id (NOT_FOUND), changing nothing", async () => {
    const before = await row(named);
    const auditCount = await t.app.db.prisma.auditEvent.count({ where: { action: "integration.renamed" } });
    const denied = await rename(viewer.cookie, named, "Viewer was here");
    expect(denied.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(denied.body.data).toBeNull();
    // The viewer still reads it.
    const read = await t.gql(`{ integrations { nodes { id } } }`, { cookie: viewer.cookie });
    expect(read.body.data.integrations.nodes.map((n: { id: string }) => n.id)).toContain(named);

    const foreign = await rename(owner.cookie, theirs, "Mine now");
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const reverse = await rename(stranger.cookie, named, "Mine now");
    expect(reverse.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const unknown = await rename(owner.cookie, crypto.randomUUID(), "Nobody");
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const tooLongId = await rename(owner.cookie, "x".repeat(65), "Nobody");
    expect(tooLongId.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");

    expect(await row(named)).toEqual(before);
    expect(await t.app.db.prisma.integration.findUniqueOrThrow({ where: { id: theirs } })).toMatchObject({ label: "Theirs", labelSetByUser: false });
    expect(await t.app.db.prisma.auditEvent.count({ where: { action: "integration.renamed" } })).toBe(auditCount);
  });
});

describe.skipIf(!postgres)("query cost with literal page sizes", () => {
  let t: TestApp;
  let owner: Awaited<ReturnType<TestApp["signUp"]>>;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    owner = await t.signUp({ name: "Cost" });
  });
  afterAll(async () => t?.close());

  it("admits the documented page of connections with literal arguments, refuses a multiplied one", async () => {
    const card = "id label providerId status healthStatus state healthMessage lastHealthCheckAt nextHealthCheckAt account { id name url } grantedScopes missingScopes suggestedAction uptime { last24h last7d last30d } lastError { code httpStatus endpoint providerMessage }";
    const page = await t.gql(`{ integrations(first: 200) { nodes { ${card} healthHistory(first: 10) { id status latencyMs checkedAt } } pageInfo { hasNextPage endCursor } totalCount } }`, { cookie: owner.cookie });
    expect(page.body.errors).toBeUndefined();
    const multiplied = await t.gql(`{ integrations(first: 200) { nodes { ${card} healthHistory(first: 200) { id status latencyMs checkedAt steps { step ok latencyMs code message } } incidents(first: 200) { id startedAt } } } }`, { cookie: owner.cookie });
    expect(multiplied.body.data).toBeUndefined();
    expect(JSON.stringify(multiplied.body.errors)).toMatch(/cost/i);
  });

});
