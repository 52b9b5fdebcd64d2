// Baseline of benchmark 1: a bare node:http handler that sends the same Prisma queries the
// product sends for `integrations { … healthHistory(first: 10) { … } }` (read from the product's
// query log: the caller's credentials, then one query for the connections and one for their
// history) and answers the same JSON with JSON.stringify. No GraphQL, no auth library.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { createDatabase } from "@switchboard/api/db";
import { serveIpc } from "../lib/child.ts";

const port = Number(process.env.PORT);
const db = await createDatabase({ url: process.env.DATABASE_URL!, dataDir: "unused", poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const prisma = db.prisma;

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
  // Session cookie: session by token, its user, the membership of the active workspace.
  const cookie = String(headers.cookie ?? "");
  const raw = /(?:^|;\s*)[^=;]*session_token=([^;]+)/.exec(cookie)?.[1];
  if (!raw) return null;
  const token = decodeURIComponent(raw).split(".")[0]!;
  const session = await prisma.session.findFirst({ where: { token } });
  if (!session || session.expiresAt < new Date()) return null;
  const user = await prisma.user.findFirst({ where: { id: session.userId } });
  if (!user) return null;
  const member = await prisma.member.findFirst({
    where: { userId: user.id, ...(session.activeOrganizationId ? { organizationId: session.activeOrganizationId } : {}) },
    orderBy: { createdAt: "asc" },
    select: { id: true, organizationId: true, role: true },
  });
  return member ? { workspaceId: member.organizationId } : null;
}

function load(workspaceId: string) {
  return prisma.integration.findMany({
    where: { workspaceId },
    orderBy: { providerId: "asc" },
    include: { healthLogs: { where: {}, orderBy: [{ checkedAt: "desc" }, { id: "desc" }], take: 10 } },
  });
}

// The same derived fields as api/src/graphql/types/integration.ts.
function suggestedAction(i: Row): string | null {
  if (i.status === "REAUTH_REQUIRED") return "Reconnect";
  if (i.status !== "CONNECTED") return null;
  switch (i.healthErrorCode) {
    case "rate_limited":
      return i.nextHealthCheckAt ? `Rate limited until ${i.nextHealthCheckAt.toISOString().slice(11, 16)} UTC` : "Rate limited; checks resume later";
    case "insufficient_scope":
      return `Ask an admin to grant ${i.requestedScopes.filter((s) => !i.grantedScopes.includes(s)).join(", ")}`;
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
