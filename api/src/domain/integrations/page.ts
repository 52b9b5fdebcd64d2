import { Prisma, type PrismaClient } from "../../generated/prisma/client.ts";
import type { IntegrationState } from "../health/thresholds.ts";

// The dashboard's paged read of a workspace's connections. Keyset pagination in one stable
// order, provider then label (case-insensitive) then id, so a cursor keeps its place when
// connections are added or removed before it (an OFFSET would skip or repeat rows), and every
// page costs one index range scan (the migration's (workspaceId, providerId, lower(label), id)).

export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 200;
export const SEARCH_MAX = 200;

export type IntegrationFilter = {
  providers?: string[] | null;
  states?: IntegrationState[] | null;
  status?: string[] | null;
  health?: string[] | null;
};

export type PageArgs = { workspaceId: string; first: number; after: string | null; filter: IntegrationFilter | null; search: string | null };

/** Where a page ends: the sort key of its last row. */
type CursorKey = { p: string; l: string; i: string };

export class PageInputError extends Error {}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.p, key.l, key.i])).toString("base64url");
}

export function decodeCursor(cursor: string): CursorKey {
  if (cursor.length > 1200) throw new PageInputError("after is too long");
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 3 && value.every((v) => typeof v === "string")) return { p: value[0] as string, l: value[1] as string, i: value[2] as string };
  } catch {}
  throw new PageInputError("after is not a cursor this query returned");
}

/**
 * The card's one state (thresholds.ts integrationState) in SQL, so the state filter and the
 * counts agree with what each card shows. Keep the two in step: tests/integration/paging.test.ts
 * compares them row by row.
 */
export const STATE_SQL = Prisma.sql`CASE
  WHEN i."status" = 'DISCONNECTED' THEN 'NOT_CONNECTED'
  WHEN i."status" = 'REAUTH_REQUIRED' THEN 'REAUTH_REQUIRED'
  WHEN i."status" = 'ERROR' OR i."healthStatus" = 'UNHEALTHY' THEN 'UNHEALTHY'
  WHEN i."consecutiveFailures" > 0 AND i."consecutiveSuccesses" = 0 THEN 'FAILING'
  WHEN NOT (i."requestedScopes" <@ i."grantedScopes") THEN 'MISSING_SCOPES'
  WHEN i."healthStatus" = 'UNKNOWN' THEN 'UNKNOWN'
  ELSE 'HEALTHY' END`;

/** States that ask a person to look (the dashboard's "need attention"). */
export const ATTENTION_STATES: IntegrationState[] = ["FAILING", "UNHEALTHY", "REAUTH_REQUIRED", "MISSING_SCOPES"];

/** The label as shown (Integration.label: the label, else the account's name), lower case. */
const LABEL_KEY = Prisma.sql`lower(COALESCE(i."label", i."account"->>'name', ''))`;

function likePattern(search: string): string {
  return `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The WHERE of a page and of its totalCount: workspace, filters and search (not the cursor). */
export function pageWhere(args: Pick<PageArgs, "workspaceId" | "filter" | "search">): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`i."workspaceId" = ${args.workspaceId}`];
  const f = args.filter ?? {};
  if (f.providers?.length) parts.push(Prisma.sql`i."providerId" IN (${Prisma.join(f.providers)})`);
  if (f.status?.length) parts.push(Prisma.sql`i."status"::text IN (${Prisma.join(f.status)})`);
  if (f.health?.length) parts.push(Prisma.sql`i."healthStatus"::text IN (${Prisma.join(f.health)})`);
  if (f.states?.length) parts.push(Prisma.sql`(${STATE_SQL}) IN (${Prisma.join(f.states)})`);
  const search = args.search?.trim();
  if (search) {
    if (search.length > SEARCH_MAX) throw new PageInputError(`search is longer than ${SEARCH_MAX} characters`);
    const like = likePattern(search);
    parts.push(
      Prisma.sql`(lower(COALESCE(i."label", '')) LIKE ${like} OR lower(COALESCE(i."account"->>'name', '')) LIKE ${like} OR lower(COALESCE(i."accountId", '')) LIKE ${like} OR lower(i."providerId") LIKE ${like})`,
    );
  }
  return Prisma.join(parts, " AND ");
}

export type PageRow = { id: string; cursor: string };

/** One page of ids in the keyset order, and whether more follow. */
export async function integrationPage(prisma: PrismaClient, args: PageArgs): Promise<{ rows: PageRow[]; hasNextPage: boolean }> {
  if (!Number.isInteger(args.first) || args.first < 0 || args.first > PAGE_MAX) throw new PageInputError(`first must be between 0 and ${PAGE_MAX}`);
  const after = args.after ? decodeCursor(args.after) : null;
  const where = pageWhere(args);
  const keyset = after ? Prisma.sql` AND (i."providerId", ${LABEL_KEY}, i."id") > (${after.p}, ${after.l}, ${after.i})` : Prisma.empty;
  const found = await prisma.$queryRaw<{ id: string; providerId: string; labelKey: string }[]>`
    SELECT i."id", i."providerId", ${LABEL_KEY} AS "labelKey"
    FROM "integration" i
    WHERE ${where}${keyset}
    ORDER BY i."providerId", ${LABEL_KEY}, i."id"
    LIMIT ${args.first + 1}`;
  const rows = found.slice(0, args.first).map((r) => ({ id: r.id, cursor: encodeCursor({ p: r.providerId, l: r.labelKey, i: r.id }) }));
  return { rows, hasNextPage: found.length > args.first };
}

/**
 * Whether a page's WHERE is the workspace alone (no filter list with values, no search): its
 * totalCount is then exactly the sum of integrationSummary's totals, which a dashboard reads anyway.
 */
export function isWholeWorkspace(args: Pick<PageArgs, "filter" | "search">): boolean {
  const f = args.filter ?? {};
  return !f.providers?.length && !f.status?.length && !f.health?.length && !f.states?.length && !args.search?.trim();
}

export async function integrationCount(prisma: PrismaClient, args: Pick<PageArgs, "workspaceId" | "filter" | "search">): Promise<number> {
  const [row] = await prisma.$queryRaw<{ n: bigint | number }[]>`SELECT count(*) AS n FROM "integration" i WHERE ${pageWhere(args)}`;
  return Number(row?.n ?? 0);
}

export type ProviderSummary = { providerId: string; total: number; connected: number; needsAttention: number; states: Partial<Record<IntegrationState, number>> };

/** Every connection counted in a summary: the workspace's total. */
export const summaryTotal = (summary: ProviderSummary[]): number => summary.reduce((n, s) => n + s.total, 0);

/** Counts per provider and state for the whole workspace: the dashboard's groups and summary line. */
export async function integrationSummary(prisma: PrismaClient, workspaceId: string): Promise<ProviderSummary[]> {
  const rows = await prisma.$queryRaw<{ providerId: string; state: IntegrationState; n: bigint | number }[]>`
    SELECT i."providerId", ${STATE_SQL} AS state, count(*) AS n
    FROM "integration" i
    WHERE i."workspaceId" = ${workspaceId}
    GROUP BY 1, 2
    ORDER BY 1`;
  const byProvider = new Map<string, ProviderSummary>();
  for (const r of rows) {
    const s = byProvider.get(r.providerId) ?? { providerId: r.providerId, total: 0, connected: 0, needsAttention: 0, states: {} };
    const n = Number(r.n);
    s.total += n;
    if (r.state !== "NOT_CONNECTED") s.connected += n;
    if (ATTENTION_STATES.includes(r.state)) s.needsAttention += n;
    s.states[r.state] = (s.states[r.state] ?? 0) + n;
    byProvider.set(r.providerId, s);
  }
  return [...byProvider.values()];
}
