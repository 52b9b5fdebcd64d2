import { describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { dashboardQueries, measureSqlCounts } from "./bench/sql-count.ts";

// Benchmark 2 as a test: every query the dashboard sends (the Dashboard query reads
// `integrations(first, after, filter, search) { nodes … pageInfo … totalCount }` and
// `integrationCounts` since issue 14), and benchmark 1's API page, issues the same number of SQL statements for a workspace of 10 connections (and 10 members,
// keys, webhook endpoints, audit events) as for one of 1,000. A resolver that queries per item
// (N+1) fails here.

const enabled = await requirePostgres();

describe.skipIf(!enabled)("SQL statements per dashboard query", () => {
  it("covers the dashboard's queries", async () => {
    const names = (await dashboardQueries()).map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(["Viewer", "Dashboard", "IntegrationDetail", "HealthHistory", "ConnectionsPage"]));
  });

  it("is the same for 10 and for 1,000 connections, for every query", async () => {
    const rows = await measureSqlCounts({ small: 10, large: 1000 });
    for (const row of rows) {
      expect.soft(row.errors, `${row.operation} answered errors`).toEqual([]);
      expect.soft({ operation: row.operation, statements: row.large }, `${row.operation}: ${row.small} statements at 10, ${row.large} at 1,000`).toEqual({ operation: row.operation, statements: row.small });
      // A handful of statements: the viewer (session, user, membership) and the data itself.
      expect.soft(row.small, `${row.operation} issues ${row.small} statements`).toBeLessThanOrEqual(8);
    }
  }, 240_000);
});
