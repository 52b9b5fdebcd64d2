// Baseline of benchmark 1: a bare node:http handler that sends the same SQL statements the
// product sends for `integrations { … healthHistory(first: 10) { … } }` (read from the product's
// query log: the caller's credentials, then one query for the connections and one for their
// history) and answers the same JSON with JSON.stringify. No GraphQL, no auth library.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { createDatabase } from "@switchboard/api/db";
import { serveIpc } from "../lib/child.ts";

const port = Number(process.env.PORT);
const db = await createDatabase({ url: process.env.DATABASE_URL!, dataDir: "unused", poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const prisma = db.prisma;
const secret = process.env.AUTH_SECRET!;
type IntegrationHealthLog = Awaited<ReturnType<typeof prisma.integrationHealthLog.findFirstOrThrow>>;

type Row = Awaited<ReturnType<typeof load>>[number];

async function viewer(headers: Record<string, string | string[] | undefined>): Promise<{ workspaceId: string } | null> {
  const authorization = headers.authorization;
  if (typeof authorization === "string" && authorization.startsWith("Bearer ")) {
    // The statements better-auth's api-key plugin sends per request: the lookup by hash and two
    // UPDATEs (lastRequest, updatedAt), then the creator's membership (auth/viewer.ts).
    const hash = createHash("sha256").update(authorization.slice(7)).digest("base64url");
    const key = await prisma.apikey.findFirst({ where: { key: hash } });
    if (!key || key.enabled === false) return null;
    await prisma.apikey.update({ where: { id: key.id }, data: { lastRequest: new Date() } });
    await prisma.apikey.update({ where: { id: key.id }, data: { updatedAt: new Date() } });
    const createdBy = (JSON.parse(key.metadata ?? "{}") as { createdBy?: string }).createdBy;
    const member = await prisma.member.findFirst({ where: { userId: createdBy, organizationId: key.referenceId }, select: { id: true, role: true } });
    return member ? { workspaceId: key.referenceId } : null;
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
  const rows = await prisma.$queryRaw<{ userId: string; expiresAt: Date; organizationId: string | null; role: string | null }[]>`
    SELECT s."userId", s."expiresAt", m."organizationId", m."role"
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

// The statements the product sends for the connections and their history
// (graphql/types/integration.ts and domain/health/history.ts: the latest N per connection with
// a window function, one query for the whole list).
async function load(workspaceId: string) {
  const integrations = await prisma.integration.findMany({ where: { workspaceId }, orderBy: { providerId: "asc" } });
  const ids = integrations.map((i) => i.id);
  const first = 10;
  const before: Date | null = null;
  const logs = await prisma.$queryRaw<(IntegrationHealthLog & { rn: bigint })[]>`
          SELECT * FROM (
            SELECT l.*, row_number() OVER (PARTITION BY l."integrationId" ORDER BY l."checkedAt" DESC, l.id DESC) AS rn
            FROM "integration_health_log" l
            WHERE l."integrationId" = ANY(${ids}::text[])
              AND (${before}::timestamp IS NULL OR l."checkedAt" < ${before}::timestamp)
          ) ranked
          WHERE rn <= ${first}
          ORDER BY "integrationId", "checkedAt" DESC, id DESC`;
  const byId = new Map<string, IntegrationHealthLog[]>(ids.map((id) => [id, []]));
  for (const { rn: _rn, ...row } of logs) byId.get(row.integrationId)?.push(row as IntegrationHealthLog);
  return integrations.map((i) => ({ ...i, healthLogs: byId.get(i.id) ?? [] }));
}

// The same derived fields as api/src/graphql/types/integration.ts.
function suggestedAction(i: Row): string | null {
  if (i.status === "REAUTH_REQUIRED") return "Reconnect";
  if (i.status !== "CONNECTED") return null;
  switch (i.healthErrorCode) {
    case "rate_limited":
      return i.nextHealthCheckAt ? `Rate limited until ${i.nextHealthCheckAt.toISOString().slice(11, 16)} UTC` : "Rate limited; checks resume later";
    case "insufficient_scope":
      { const missing = i.requestedScopes.filter((s) => !i.grantedScopes.includes(s)); return missing.length ? `Reconnect to grant ${missing.join(", ")}` : "Reconnect to grant the scopes the provider asks for"; }
    case "config_error":
      return "Check the provider's client id and secret on the server";
    case "timeout":
    case "network":
    case "provider_error":
      return "Check the provider's status page; Switchboard keeps checking";
    case "slow":
      return "None yet; the provider is answering slowly";
    default:
      return null;
  }
}

function shape(rows: Row[]) {
  return {
    data: {
      integrations: rows.map((i) => {
        const account = i.account && typeof i.account === "object" ? (i.account as { id?: string; name?: string; url?: string }) : null;
        return {
          id: i.id,
          providerId: i.providerId,
          status: i.status,
          healthStatus: i.healthStatus,
          healthMessage: i.healthMessage,
          lastHealthCheckAt: i.lastHealthCheckAt?.toISOString() ?? null,
          account: account ? { id: account.id ?? null, name: account.name ?? null, url: account.url ?? null } : null,
          grantedScopes: i.grantedScopes,
          missingScopes: i.requestedScopes.filter((s) => !i.grantedScopes.includes(s)),
          suggestedAction: suggestedAction(i),
          healthHistory: i.healthLogs.map((h) => ({ id: h.id, status: h.status, trigger: h.trigger, latencyMs: h.latencyMs, errorCode: h.errorCode, message: h.message, checkedAt: h.checkedAt.toISOString() })),
        };
      }),
    },
  };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString() || "{}");
      const who = await viewer(req.headers);
      if (!who) {
        res.writeHead(401, { "content-type": "application/json" });
        return void res.end('{"errors":[{"message":"unauthenticated"}]}');
      }
      const body = JSON.stringify(shape(await load(who.workspaceId)));
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
