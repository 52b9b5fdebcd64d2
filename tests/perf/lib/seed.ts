import { createHash, randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDatabase, type Database } from "@switchboard/api/db";
import { migrate } from "@switchboard/api/db/migrate";
import { DEFAULT_MIGRATIONS_DIR } from "@switchboard/api/app";
import { sealTokens } from "@switchboard/api/domain/integrations/tokens";
import type { Vault } from "@switchboard/api/domain/vault";
import { consent } from "../../support/sandbox-consent.ts";

// Test data, written straight into Postgres with createMany (seconds for tens of thousands of
// rows), in the shapes the product writes them (api/src/domain/oauth/flow.ts saveConnection).

export const BUILT_INS = ["slack", "hubspot", "google"] as const;
export type SandboxProvider = (typeof BUILT_INS)[number];

export const SCOPES: Record<SandboxProvider, string[]> = {
  slack: ["channels:read", "chat:write", "team:read", "users:read"],
  hubspot: ["oauth", "crm.objects.contacts.read"],
  google: ["openid", "email", "profile"],
};

/** A catalog id of the many-provider catalog: one connection per provider per workspace is the product's rule. */
export const manyId = (i: number) => `p${String(i).padStart(4, "0")}`;

/**
 * PROVIDERS_FILE for every process of the run: the built-ins pointed at the emulator process
 * (as self-hosters point them at local servers), plus `many` generic OAuth 2.0 providers, so a
 * single workspace can hold 1,000 connections (the product allows one per provider).
 */
export function writeCatalog(dir: string, emulatorUrl: string, many: number): string {
  const base = (p: string) => `${emulatorUrl}/sandbox/${p}`;
  const catalog: Record<string, unknown> = {
    slack: { clientId: "sandbox-slack", clientSecret: "sandbox-slack-secret", authorizationUrl: `${base("slack")}/oauth/v2/authorize`, tokenUrl: `${base("slack")}/api/oauth.v2.access`, revocationUrl: `${base("slack")}/api/auth.revoke`, apiBaseUrl: `${base("slack")}/api` },
    hubspot: { clientId: "sandbox-hubspot", clientSecret: "sandbox-hubspot-secret", authorizationUrl: `${base("hubspot")}/oauth/authorize`, tokenUrl: `${base("hubspot")}/oauth/v3/token`, revocationUrl: `${base("hubspot")}/oauth/v3/token/revoke`, apiBaseUrl: base("hubspot") },
    google: { clientId: "sandbox-google", clientSecret: "sandbox-google-secret", authorizationUrl: `${base("google")}/o/oauth2/v2/auth`, tokenUrl: `${base("google")}/token`, revocationUrl: `${base("google")}/revoke`, userinfoUrl: `${base("google")}/v1/userinfo`, apiBaseUrl: base("google") },
  };
  for (let i = 0; i < many; i++) {
    catalog[manyId(i)] = { type: "oauth2", name: `Provider ${i}`, authorizationUrl: "http://127.0.0.1:9/authorize", tokenUrl: "http://127.0.0.1:9/token", clientId: `client-${i}`, clientSecret: "secret", scopes: ["read", "write"], pkce: true };
  }
  const file = join(dir, "providers.json");
  writeFileSync(file, JSON.stringify(catalog));
  return file;
}

export async function openMigrated(url: string, options: { onQuery?: (sql: string) => void; poolSize?: number } = {}): Promise<Database> {
  const db = await createDatabase({ url, dataDir: "unused", ...options });
  await migrate(db, DEFAULT_MIGRATIONS_DIR);
  return db;
}

async function chunked<T>(rows: T[], size: number, write: (chunk: T[]) => Promise<unknown>) {
  for (let i = 0; i < rows.length; i += size) await write(rows.slice(i, i + size));
}

export type Workspace = { workspaceId: string; ownerId: string };

/** `count` workspaces, each with an owner. */
export async function seedWorkspaces(db: Database, prefix: string, count: number): Promise<Workspace[]> {
  const now = new Date();
  const out: Workspace[] = Array.from({ length: count }, (_, i) => ({ workspaceId: `${prefix}-ws-${i}`, ownerId: `${prefix}-user-${i}` }));
  await chunked(out, 2000, (c) => db.prisma.organization.createMany({ data: c.map((w, i) => ({ id: w.workspaceId, name: `${prefix} ${i}`, slug: w.workspaceId, createdAt: now })) }));
  await chunked(out, 2000, (c) => db.prisma.user.createMany({ data: c.map((w) => ({ id: w.ownerId, name: "Owner", email: `${w.ownerId}@perf.test`, emailVerified: true })) }));
  await chunked(out, 2000, (c) => db.prisma.member.createMany({ data: c.map((w) => ({ id: randomUUID(), organizationId: w.workspaceId, userId: w.ownerId, role: "owner", createdAt: now })) }));
  return out;
}

/**
 * Read-side data for one workspace: `connections` connections of the many-provider catalog, each
 * with `logs` health checks, plus the same number of members, API keys, webhook endpoints (with
 * deliveries) and audit events, so every dashboard query sees the size.
 */
export async function seedReadWorkspace(db: Database, vault: Vault, w: Workspace, size: { connections: number; logs: number; others?: number }) {
  const now = Date.now();
  const ids = Array.from({ length: size.connections }, () => randomUUID());
  const index = new Map(ids.map((id, i) => [id, i]));
  const statuses = ["HEALTHY", "HEALTHY", "HEALTHY", "DEGRADED", "UNHEALTHY"] as const;
  await chunked(ids, 1000, (c) =>
    db.prisma.integration.createMany({
      data: c.map((id) => {
        const i = index.get(id)!;
        return {
          id,
          workspaceId: w.workspaceId,
          providerId: manyId(i),
          status: i % 50 === 7 ? ("REAUTH_REQUIRED" as const) : ("CONNECTED" as const),
          healthStatus: statuses[i % statuses.length]!,
          healthMessage: i % 5 === 3 ? "Slow answer (2300 ms)" : null,
          healthErrorCode: i % 5 === 3 ? "slow" : i % 17 === 0 ? "rate_limited" : null,
          lastHealthCheckAt: new Date(now - 60_000),
          nextHealthCheckAt: new Date(now + 86_400_000),
          connectedAt: new Date(now - 86_400_000),
          connectedById: w.ownerId,
          requestedScopes: ["read", "write"],
          grantedScopes: i % 9 === 0 ? ["read"] : ["read", "write"],
          account: { id: `acct-${i}`, name: `Account ${i}`, url: `https://example.test/${i}`, user: "owner" },
          ...sealTokens(vault, id, { accessToken: `at-${i}`, refreshToken: `rt-${i}` }),
        };
      }),
    }),
  );
  // History in one INSERT … SELECT (seconds faster than createMany for tens of thousands of rows).
  await db.exec(`
    INSERT INTO "integration_health_log" ("id", "integrationId", "workspaceId", "status", "trigger", "latencyMs", "steps", "errorCode", "message", "checkedAt")
    SELECT gen_random_uuid()::text, i.id, i."workspaceId",
      (ARRAY['HEALTHY','HEALTHY','HEALTHY','DEGRADED','UNHEALTHY'])[1 + (k % 5)]::"HealthStatus", 'SCHEDULED', 40 + (k * 7) % 300,
      '[{"step":"token","ok":true,"latencyMs":0},{"step":"api","ok":true,"latencyMs":40}]'::jsonb,
      CASE WHEN k % 5 = 3 THEN 'slow' END, CASE WHEN k % 5 = 3 THEN 'Slow answer (2300 ms)' END,
      now() - make_interval(secs => k * 300)
    FROM "integration" i CROSS JOIN generate_series(1, ${Number(size.logs)}) AS k
    WHERE i."workspaceId" = '${w.workspaceId.replace(/'/g, "''")}'`);
  const others = size.others ?? 0;
  if (others > 0) {
    const created = new Date(now - 3_600_000);
    const users = Array.from({ length: others }, (_, i) => ({ id: `${w.workspaceId}-m-${i}`, name: `Member ${i}`, email: `${w.workspaceId}-m-${i}@perf.test`, emailVerified: true }));
    await db.prisma.user.createMany({ data: users });
    await db.prisma.member.createMany({ data: users.map((u) => ({ id: randomUUID(), organizationId: w.workspaceId, userId: u.id, role: "member", createdAt: created })) });
    await db.prisma.apikey.createMany({
      data: Array.from({ length: others }, (_, i) => ({
        id: randomUUID(),
        name: `key ${i}`,
        start: "sb_perfkey",
        prefix: "sb_",
        referenceId: w.workspaceId,
        key: createHash("sha256").update(randomBytes(16)).digest("base64url"),
        enabled: false,
        rateLimitEnabled: false,
        createdAt: created,
        updatedAt: created,
        metadata: JSON.stringify({ createdBy: w.ownerId, role: "viewer" }),
      })),
    });
    const endpoints = Array.from({ length: others }, (_, i) => ({ id: randomUUID(), workspaceId: w.workspaceId, url: `https://hooks.example.test/${i}`, secretEnc: vault.seal("whsec_x", { table: "webhook_endpoint", rowId: "x", field: "secret" }), keyId: vault.activeKeyId, events: [], createdAt: created }));
    await db.prisma.webhookEndpoint.createMany({ data: endpoints });
    await db.prisma.webhookDelivery.createMany({
      data: endpoints.flatMap((e) => Array.from({ length: 12 }, (_, k) => ({ endpointId: e.id, messageId: `msg_${randomUUID()}`, eventType: "integration.health_changed", payload: { k }, status: "delivered", attempts: 1, responseStatus: 200, createdAt: new Date(now - k * 1000) }))),
    });
    await db.prisma.auditEvent.createMany({
      data: Array.from({ length: others }, (_, i) => ({ workspaceId: w.workspaceId, actorUserId: w.ownerId, action: "integration.tested", targetType: "integration", targetId: ids[i % Math.max(1, ids.length)] ?? null, metadata: { i }, createdAt: new Date(now - i * 1000) })),
    });
  }
  return ids;
}

// ── Sandbox tokens in bulk ─────────────────────────────────────────────────────────────────
// The emulator's token store is in memory inside the emulator process and not exported, so
// real tokens come from its own consent flow, driven over HTTP as a browser would
// (tests/support/sandbox-consent.ts), followed by the token request the app would make:
// three requests per connection, many in parallel.

export type IssuedTokens = { provider: SandboxProvider; accessToken: string; refreshToken?: string; expiresIn?: number; extra: Record<string, unknown> };

export async function issueSandboxTokens(emulatorUrl: string, provider: SandboxProvider, count: number, concurrency = 24): Promise<IssuedTokens[]> {
  const base = `${emulatorUrl}/sandbox/${provider}`;
  const redirectUri = `${emulatorUrl}/api/integrations/oauth/callback/${provider}`;
  const client = { client_id: `sandbox-${provider}`, client_secret: `sandbox-${provider}-secret` };
  const out: IssuedTokens[] = new Array(count);
  let next = 0;
  async function one(): Promise<IssuedTokens> {
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const q = new URLSearchParams({ client_id: client.client_id, state: randomBytes(8).toString("hex") });
    if (provider === "slack") q.set("scope", SCOPES.slack.join(","));
    else {
      q.set("redirect_uri", redirectUri);
      q.set("scope", SCOPES[provider].join(" "));
      q.set("response_type", "code");
      q.set("code_challenge", challenge);
      q.set("code_challenge_method", "S256");
      if (provider === "google") {
        q.set("access_type", "offline");
        q.set("prompt", "consent");
      }
    }
    const authorizeUrl = provider === "slack" ? `${base}/oauth/v2/authorize?${q}` : provider === "hubspot" ? `${base}/oauth/authorize?${q}` : `${base}/o/oauth2/v2/auth?${q}`;
    const back = await consent(authorizeUrl, { origin: emulatorUrl });
    const code = back.searchParams.get("code");
    if (!code) throw new Error(`${provider} consent gave no code: ${back}`);
    const tokenUrl = provider === "slack" ? `${base}/api/oauth.v2.access` : provider === "hubspot" ? `${base}/oauth/v3/token` : `${base}/token`;
    const form = new URLSearchParams({ ...client, grant_type: "authorization_code", code, ...(provider === "slack" ? {} : { redirect_uri: redirectUri, code_verifier: verifier }) });
    const res = await fetch(tokenUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
    const body = (await res.json()) as Record<string, any>;
    if (!body.access_token) throw new Error(`${provider} token request failed: ${JSON.stringify(body).slice(0, 300)}`);
    const { access_token, refresh_token, expires_in, token_type: _t, scope: _s, id_token: _i, ...extra } = body;
    return { provider, accessToken: access_token, refreshToken: refresh_token, expiresIn: expires_in, extra: provider === "slack" ? { team: extra.team, authed_user: extra.authed_user, bot_user_id: extra.bot_user_id, app_id: extra.app_id, enterprise: null } : provider === "hubspot" && extra.hub_id ? { hub_id: extra.hub_id } : {} };
  }
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await one();
      }
    }),
  );
  return out;
}

export type Connection = { id: string; workspaceId: string; providerId: SandboxProvider; tokens: IssuedTokens };

/** Connected rows for issued tokens, one per workspace (the product's one-per-provider rule), due now. */
export async function insertConnections(db: Database, vault: Vault, items: { workspace: Workspace; tokens: IssuedTokens }[], options: { due: Date | null }): Promise<Connection[]> {
  const now = Date.now();
  const rows = items.map(({ workspace, tokens }) => ({ id: randomUUID(), workspace, tokens }));
  await chunked(rows, 1000, (c) =>
    db.prisma.integration.createMany({
      data: c.map(({ id, workspace, tokens }) => ({
        id,
        workspaceId: workspace.workspaceId,
        providerId: tokens.provider,
        status: "CONNECTED" as const,
        ...sealTokens(vault, id, { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }),
        tokenExpiresAt: tokens.expiresIn ? new Date(now + tokens.expiresIn * 1000) : null,
        requestedScopes: SCOPES[tokens.provider],
        grantedScopes: SCOPES[tokens.provider],
        account: tokens.provider === "slack" ? { id: "T0SANDBOX", name: "Acme Sandbox" } : {},
        providerConfig: tokens.extra as never,
        connectedById: workspace.ownerId,
        connectedAt: new Date(now - 3_600_000),
        healthStatus: "HEALTHY" as const,
        lastHealthCheckAt: new Date(now - 300_000),
        nextHealthCheckAt: options.due,
        consecutiveSuccesses: 1,
      })),
    }),
  );
  return rows.map((r) => ({ id: r.id, workspaceId: r.workspace.workspaceId, providerId: r.tokens.provider, tokens: r.tokens }));
}
