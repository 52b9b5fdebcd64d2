// Baseline of benchmark 1: a bare node:http handler that sends the same SQL statements the
// product sends for the dashboard's page of connections, and answers the same JSON with
// JSON.stringify. No GraphQL, no auth library. The statements (from the product's query log):
// the caller's credentials; the page of ids in the keyset order, the rows by id, and the total
// (for the dashboard, whose page is unfiltered, the sum of the counts per provider and state it
// reads anyway, one statement, as the product does; for an API page a count), each built by the
// product's own SQL builders in api/src/domain/integrations/page.ts (so the baseline's SQL is the
// product's SQL); then the page's latest N checks in one statement per N (the product's
// domain/health/history.ts latestChecksSql: 30 for the card's recent checks, 1 for the error of
// the connections that have one) and, for the dashboard, the page's uptime from the rollups (the
// product's uptime loader, one statement): 7 statements for the dashboard, 5 for an API page.
//
// Two operations, told apart by operationName (the bench sends it):
// - Dashboard($first): bench/graphql-read.ts DASHBOARD_QUERY, the web's dashboard query: the
//   catalog, `integrations(first: $first) { nodes { …every card field… } pageInfo totalCount }`
//   and `integrationCounts { … states { state count } }`
// - ConnectionsPage($first, $after): an API client's page of card data with 10 checks each
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { createDatabase } from "@switchboard/api/db";
import { integrationCount, integrationPage, integrationSummary, isWholeWorkspace, summaryTotal, type PageArgs, type ProviderSummary } from "../../../api/src/domain/integrations/page.ts";
import { createUptimeLoader } from "../../../api/src/domain/health/uptime.ts";
import { latestChecksSql } from "../../../api/src/domain/health/history.ts";
import { integrationState } from "../../../api/src/domain/health/thresholds.ts";
import { connectionErrorCode, nextStepFor } from "../../../api/src/providers/errors.ts";
import { loadCatalog } from "../../../api/src/providers/catalog.ts";
import type { Env } from "@switchboard/api/env";
import { serveIpc } from "../lib/child.ts";

const port = Number(process.env.PORT);
const db = await createDatabase({ url: process.env.DATABASE_URL!, dataDir: "unused", poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const prisma = db.prisma;
const secret = process.env.AUTH_SECRET!;
type IntegrationHealthLog = Awaited<ReturnType<typeof prisma.integrationHealthLog.findFirstOrThrow>>;
type Integration = Awaited<ReturnType<typeof prisma.integration.findFirstOrThrow>>;
type Row = Integration & { healthLogs: IntegrationHealthLog[] };
type StoredStep = { step: string; ok: boolean; code?: string; httpStatus?: number; endpoint?: string; providerMessage?: string };

/** The app's catalog: the same PROVIDERS_FILE, PUBLIC_URL (redirect URIs) and no sandbox (SANDBOX=off in the run). */
const catalog = loadCatalog({ PROVIDERS_FILE: process.env.PROVIDERS_FILE, PUBLIC_URL: process.env.PUBLIC_URL, sandboxEnabled: false } as unknown as Env);
const providers = new Map(catalog.map((p) => [p.id, p]));
/** HEALTH_UNHEALTHY_AFTER, the run's apps keep its default (api/src/env.ts). */
const UNHEALTHY_AFTER = 3;
/** GraphQL's name of a stored code (graphql/types/enums.ts enumName). */
const enumName = (value: string) => value.toUpperCase().replace(/[^A-Z0-9]+/g, "_");

async function viewer(headers: Record<string, string | string[] | undefined>): Promise<{ workspaceId: string } | null> {
  const authorization = headers.authorization;
  if (typeof authorization === "string" && authorization.startsWith("Bearer ")) {
    // The statement auth/viewer.ts viewerFromApiKey sends: the key by its hash (SHA-256,
    // base64url, the plugin's hasher) with its creator's membership, in one query; "last used"
    // written in the background at most once a minute, as the product does.
    const hash = createHash("sha256").update(authorization.slice(7)).digest("base64url");
    const rows = await prisma.$queryRaw<{ id: string; workspaceId: string; userId: string | null; keyRole: string | null; memberRole: string | null; access: string[]; enabled: boolean | null; expiresAt: Date | null; remaining: number | null; lastRequest: Date | null }[]>`
      SELECT k."id", k."referenceId" AS "workspaceId", k."createdById" AS "userId", k."role" AS "keyRole", m."role" AS "memberRole", k."access",
             k."enabled", k."expiresAt", k."remaining", k."lastRequest"
      FROM "api_key" k
      LEFT JOIN "membership" m ON m."userId" = k."createdById" AND m."organizationId" = k."referenceId"
      WHERE k."key" = ${hash}`;
    const key = rows[0];
    if (!key || key.enabled === false || !key.userId || !key.keyRole || !key.memberRole || !key.access.includes("read")) return null;
    if (!key.lastRequest || Date.now() - key.lastRequest.getTime() > 60_000) void prisma.apikey.updateMany({ where: { id: key.id }, data: { lastRequest: new Date() } }).catch(() => {});
    return { workspaceId: key.workspaceId };
  }
  // Session cookie: the statement auth/viewer.ts sends (session joined to its user and the
  // membership it acts with, one query). The signature is checked as the product checks it.
  const cookie = String(headers.cookie ?? "");
  const raw = /(?:^|;\s*)[^=;]*session_token=([^;]+)/.exec(cookie)?.[1];
  if (!raw) return null;
  const signed = decodeURIComponent(raw);
  const dot = signed.lastIndexOf(".");
  const token = signed.slice(0, dot);
  const expected = createHmac("sha256", secret).update(token).digest();
  const given = Buffer.from(signed.slice(dot + 1), "base64");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const rows = await prisma.$queryRaw<{ sessionId: string; userId: string; expiresAt: Date; organizationId: string | null; role: string | null }[]>`
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
  if (!row || row.expiresAt.getTime() < Date.now() || !row.organizationId) return null;
  return { workspaceId: row.organizationId };
}

/** The latest `first` checks of each connection, one statement (the product's, domain/health/history.ts latestChecksSql). */
async function history(ids: string[], first: number): Promise<Map<string, IntegrationHealthLog[]>> {
  const logs = await prisma.$queryRaw<IntegrationHealthLog[]>(latestChecksSql(ids, first, null));
  const byId = new Map<string, IntegrationHealthLog[]>(ids.map((id) => [id, []]));
  for (const row of logs) byId.get(row.integrationId)?.push(row);
  return byId;
}

/**
 * One page: ids in the keyset order, then the rows by id (the product's integrationById loader)
 * and the total: counted (integrationCount), or, for an unfiltered page read with the counts per
 * provider, their sum (the product's statements: graphql/types/integration.ts totalCount).
 */
async function page(args: PageArgs, summary?: Promise<ProviderSummary[]>) {
  const { rows: ids, hasNextPage } = await integrationPage(prisma, args);
  const [found, totalCount] = await Promise.all([
    prisma.integration.findMany({ where: { id: { in: ids.map((r) => r.id) } } }),
    summary && isWholeWorkspace(args) ? summary.then(summaryTotal) : integrationCount(prisma, args),
  ]);
  const byId = new Map(found.map((r) => [r.id, r]));
  return { rows: ids.map((r) => byId.get(r.id)!), totalCount, pageInfo: { hasNextPage, endCursor: ids.at(-1)?.cursor ?? null } };
}

// The same derived fields as api/src/graphql/types/integration.ts (suggestedAction, label).
function suggestedAction(i: Row, providerName: string): string | null {
  if (i.status === "REAUTH_REQUIRED") return "Reconnect";
  if (i.status !== "CONNECTED") return null;
  const code = connectionErrorCode(i.healthErrorCode);
  switch (code) {
    case null:
      return null;
    case "rate_limited":
      return i.nextHealthCheckAt ? `Rate limited until ${i.nextHealthCheckAt.toISOString().slice(11, 16)} UTC; checks resume by themselves` : nextStepFor(code, providerName);
    case "insufficient_scope": {
      const missing = i.requestedScopes.filter((s) => !i.grantedScopes.includes(s));
      return missing.length ? `Reconnect to grant ${missing.join(", ")}` : "Reconnect to grant the scopes the provider asks for";
    }
    default:
      return nextStepFor(code, providerName);
  }
}

/** GraphQL's value of a stored error code: its enum name, `UNKNOWN` for a code this build does not know. */
const code = (c: string | null) => {
  const known = connectionErrorCode(c);
  return known === null ? null : enumName(known);
};
const str = (v: unknown) => (typeof v === "string" && v ? v : null);
const httpStatusOf = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v >= 100 && v <= 599 ? v : null);

/** Integration.lastError (graphql/types/integration.ts lastErrorOf), from the connection's latest check. */
function lastError(i: Integration, latest: IntegrationHealthLog | undefined) {
  if (!i.healthErrorCode) return null;
  const fromCheck = latest && latest.errorCode === i.healthErrorCode ? latest : undefined;
  const steps = fromCheck && Array.isArray(fromCheck.steps) ? (fromCheck.steps as unknown as StoredStep[]).filter((s) => s && typeof s.step === "string") : [];
  const step = steps.find((s) => !s.ok && s.code === i.healthErrorCode) ?? steps.find((s) => !s.ok) ?? null;
  return {
    code: code(i.healthErrorCode),
    message: i.healthMessage,
    step: step?.step ?? null,
    httpStatus: httpStatusOf(step?.httpStatus),
    endpoint: str(step?.endpoint),
    providerMessage: str(step?.providerMessage),
    at: (fromCheck?.checkedAt ?? i.lastHealthCheckAt ?? i.updatedAt).toISOString(),
  };
}

/** The web's IntegrationFields (web/src/lib/graphql/documents.ts), for the dashboard. */
function dashboardCard(i: Integration, recent: IntegrationHealthLog[], latest: IntegrationHealthLog | undefined, uptime: { last24h: number | null }) {
  const account = i.account && typeof i.account === "object" ? (i.account as { id?: string; name?: string; url?: string }) : null;
  const provider = providers.get(i.providerId);
  const providerName = provider?.name ?? i.providerId;
  const org = provider?.orgLoginUrls ? (i.providerConfig as { org?: unknown } | null)?.org : null;
  return {
    id: i.id,
    providerId: i.providerId,
    label: i.label ?? account?.name ?? provider?.name ?? i.providerId,
    status: i.status,
    healthStatus: i.healthStatus,
    state: integrationState(i),
    consecutiveFailures: i.consecutiveFailures,
    unhealthyAfter: UNHEALTHY_AFTER,
    healthMessage: i.healthMessage,
    lastHealthCheckAt: i.lastHealthCheckAt?.toISOString() ?? null,
    nextHealthCheckAt: i.nextHealthCheckAt?.toISOString() ?? null,
    uptime: { last24h: uptime.last24h },
    account: account ? { id: account.id ?? null, name: account.name ?? null, url: account.url ?? null } : null,
    grantedScopes: i.grantedScopes,
    missingScopes: i.requestedScopes.filter((s) => !i.grantedScopes.includes(s)),
    suggestedAction: suggestedAction({ ...i, healthLogs: [] }, providerName),
    lastError: lastError(i, latest),
    recentChecks: recent.map((h) => ({ id: h.id, status: h.status, checkedAt: h.checkedAt.toISOString(), latencyMs: h.latencyMs, errorCode: code(h.errorCode) })),
    provider: provider ? { id: provider.id, statusPageUrl: provider.statusPageUrl ?? null } : null,
    org: provider?.orgLoginUrls ? (typeof org === "string" ? org : "production") : null,
  };
}

function card(i: Row) {
  const account = i.account && typeof i.account === "object" ? (i.account as { id?: string; name?: string; url?: string }) : null;
  const providerName = providers.get(i.providerId)?.name;
  return {
    id: i.id,
    providerId: i.providerId,
    label: i.label ?? account?.name ?? providerName ?? i.providerId,
    status: i.status,
    healthStatus: i.healthStatus,
    healthMessage: i.healthMessage,
    lastHealthCheckAt: i.lastHealthCheckAt?.toISOString() ?? null,
    account: account ? { id: account.id ?? null, name: account.name ?? null, url: account.url ?? null } : null,
    grantedScopes: i.grantedScopes,
    missingScopes: i.requestedScopes.filter((s) => !i.grantedScopes.includes(s)),
    suggestedAction: suggestedAction(i, providerName ?? i.providerId),
    healthHistory: i.healthLogs.map((h) => ({ id: h.id, status: h.status, trigger: h.trigger, latencyMs: h.latencyMs, errorCode: code(h.errorCode), message: h.message, checkedAt: h.checkedAt.toISOString() })),
  };
}

async function answer(workspaceId: string, request: { operationName?: string; variables?: { first?: number; after?: string | null } }) {
  if (request.operationName === "Dashboard") {
    const args: PageArgs = { workspaceId, first: request.variables?.first ?? 50, after: request.variables?.after ?? null, filter: null, search: null };
    // The product resolves the root fields at once: the page and the counts, then the page's rows
    // (its total is the counts' sum), then each card's checks (30 recent; 1 for the connections
    // with an error) and uptime.
    const summary = integrationSummary(prisma, workspaceId);
    const [p, counts] = await Promise.all([page(args, summary), summary]);
    const ids = p.rows.map((r) => r.id);
    const failing = p.rows.filter((r) => r.healthErrorCode).map((r) => r.id);
    const [recent, latest, uptime] = await Promise.all([history(ids, 30), failing.length ? history(failing, 1) : Promise.resolve(new Map<string, IntegrationHealthLog[]>()), createUptimeLoader(prisma).loadMany(ids)]);
    return {
      data: {
        providers: catalog.map((c) => ({ id: c.id, name: c.name, description: c.description, configured: c.configured, sandbox: c.sandbox, redirectUri: c.redirectUri, scopes: c.scopes, type: c.type, orgChoice: Boolean(c.orgLoginUrls) })),
        integrations: {
          nodes: p.rows.map((r, k) => dashboardCard(r, recent.get(r.id) ?? [], latest.get(r.id)?.[0], uptime[k] as { last24h: number | null })),
          pageInfo: p.pageInfo,
          totalCount: p.totalCount,
        },
        integrationCounts: counts.map((c) => ({ providerId: c.providerId, total: c.total, connected: c.connected, needsAttention: c.needsAttention, states: Object.entries(c.states).map(([state, count]) => ({ state, count: count ?? 0 })) })),
      },
    };
  }
  if (request.operationName === "ConnectionsPage") {
    const args: PageArgs = { workspaceId, first: request.variables?.first ?? 50, after: request.variables?.after ?? null, filter: null, search: null };
    const p = await page(args);
    const logs = await history(p.rows.map((r) => r.id), 10);
    const nodes: Row[] = p.rows.map((r) => ({ ...r, healthLogs: logs.get(r.id) ?? [] }));
    return { data: { integrations: { nodes: nodes.map(card), pageInfo: p.pageInfo, totalCount: p.totalCount } } };
  }
  throw new Error(`unknown operation ${request.operationName}`);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    try {
      const request = JSON.parse(Buffer.concat(chunks).toString() || "{}");
      const who = await viewer(req.headers);
      if (!who) {
        res.writeHead(401, { "content-type": "application/json" });
        return void res.end('{"errors":[{"message":"unauthenticated"}]}');
      }
      const body = JSON.stringify(await answer(who.workspaceId, request));
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(body);
    } catch (error) {
      res.writeHead(500);
      res.end(String(error));
    }
  });
});
await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
serveIpc({ ping: () => "pong" }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await db.close();
});
process.send!({ ready: { port } });
