import DataLoader from "dataloader";
import type { IntegrationHealthLog, PrismaClient } from "../../generated/prisma/client.ts";

// The latest N checks of many connections in one query, with the limit applied per connection
// in SQL (a window function). Prisma's nested `take` over several parents reads every history
// row of those parents and trims in memory: with 90 days of 5-minute checks that is ~26,000
// rows per connection for the 10 a dashboard shows.

export type HistoryKey = { integrationId: string; first: number; before: Date | null };

export function createHistoryLoader(prisma: PrismaClient) {
  return new DataLoader<HistoryKey, IntegrationHealthLog[], string>(
    async (keys) => {
      // One query per distinct (first, before) page shape; in practice one per request.
      const groups = new Map<string, HistoryKey[]>();
      for (const k of keys) {
        const g = `${k.first}|${k.before?.toISOString() ?? ""}`;
        groups.set(g, [...(groups.get(g) ?? []), k]);
      }
      const found = new Map<string, IntegrationHealthLog[]>();
      for (const group of groups.values()) {
        const { first, before } = group[0]!;
        const ids = group.map((k) => k.integrationId);
        const rows = await prisma.$queryRaw<(IntegrationHealthLog & { rn: bigint })[]>`
          SELECT * FROM (
            SELECT l.*, row_number() OVER (PARTITION BY l."integrationId" ORDER BY l."checkedAt" DESC, l.id DESC) AS rn
            FROM "integration_health_log" l
            WHERE l."integrationId" = ANY(${ids}::text[])
              AND (${before}::timestamp IS NULL OR l."checkedAt" < ${before}::timestamp)
          ) ranked
          WHERE rn <= ${first}
          ORDER BY "integrationId", "checkedAt" DESC, id DESC`;
        for (const k of group) found.set(`${k.integrationId}|${first}|${before?.toISOString() ?? ""}`, []);
        for (const { rn: _rn, ...row } of rows) found.get(`${row.integrationId}|${first}|${before?.toISOString() ?? ""}`)?.push(row as IntegrationHealthLog);
      }
      return keys.map((k) => found.get(`${k.integrationId}|${k.first}|${k.before?.toISOString() ?? ""}`) ?? []);
    },
    { cacheKeyFn: (k) => `${k.integrationId}|${k.first}|${k.before?.toISOString() ?? ""}` },
  );
}
