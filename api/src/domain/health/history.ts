import DataLoader from "dataloader";
import { Prisma, type IntegrationHealthLog, type PrismaClient } from "../../generated/prisma/client.ts";

// The latest N checks of many connections in one query. Each connection's rows are read from
// the (integrationId, checkedAt) index newest first and stop at N (a LATERAL subquery with
// LIMIT), so a page costs N rows per connection whatever the retention: with 14 days of
// 5-minute checks a connection has ~4,000 rows, all of which a window function
// (row_number() OVER (PARTITION BY …) <= N) would read and rank for the 10 or 30 a card shows.
// Prisma's nested `take` over several parents is worse still: it reads every row and trims in memory.

export type HistoryKey = { integrationId: string; first: number; before: Date | null };

/** The statement: the latest `first` checks (before `before`, when given) of each of `ids`. */
export function latestChecksSql(ids: string[], first: number, before: Date | null): Prisma.Sql {
  const older = before ? Prisma.sql` AND h."checkedAt" < ${before}::timestamp` : Prisma.empty;
  return Prisma.sql`
    SELECT l.*
    FROM unnest(${ids}::text[]) AS c("integrationId")
    CROSS JOIN LATERAL (
      SELECT * FROM "integration_health_log" h
      WHERE h."integrationId" = c."integrationId"${older}
      ORDER BY h."checkedAt" DESC, h."id" DESC
      LIMIT ${first}
    ) l
    ORDER BY l."integrationId", l."checkedAt" DESC, l."id" DESC`;
}

/** The latest `first` checks of each of `ids` (latest first), in one statement. */
export async function latestChecks(prisma: PrismaClient, ids: string[], first: number, before: Date | null): Promise<Map<string, IntegrationHealthLog[]>> {
  const rows = await prisma.$queryRaw<IntegrationHealthLog[]>(latestChecksSql(ids, first, before));
  const byId = new Map<string, IntegrationHealthLog[]>(ids.map((id) => [id, []]));
  for (const row of rows) byId.get(row.integrationId)?.push(row);
  return byId;
}

const shape = (first: number, before: Date | null) => (before ? `${first}|${before.toISOString()}` : `${first}|`);

export function createHistoryLoader(prisma: PrismaClient) {
  return new DataLoader<HistoryKey, IntegrationHealthLog[], string>(
    async (keys) => {
      // One statement per distinct (first, before) page shape, sent together: a dashboard asks
      // for two (the cards' recent checks, and the latest check of the cards with an error).
      const groups = new Map<string, { first: number; before: Date | null; ids: string[] }>();
      const shapes = keys.map((k) => {
        const s = shape(k.first, k.before);
        const group = groups.get(s);
        if (group) group.ids.push(k.integrationId);
        else groups.set(s, { first: k.first, before: k.before, ids: [k.integrationId] });
        return s;
      });
      const found = new Map<string, Map<string, IntegrationHealthLog[]>>();
      await Promise.all([...groups].map(async ([s, g]) => found.set(s, await latestChecks(prisma, g.ids, g.first, g.before))));
      return keys.map((k, i) => found.get(shapes[i]!)?.get(k.integrationId) ?? []);
    },
    { cacheKeyFn: (k) => `${k.integrationId}|${shape(k.first, k.before)}` },
  );
}
