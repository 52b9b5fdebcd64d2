import { createHash, randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDatabase, type Database } from "@switchboard/api/db";
import { migrate } from "@switchboard/api/db/migrate";
import { DEFAULT_MIGRATIONS_DIR } from "@switchboard/api/app";
import { sealTokens } from "@switchboard/api/domain/integrations/tokens";
import type { Vault } from "@switchboard/api/domain/vault";
import { consent } from "../../support/sandbox-consent.ts";

// Test data, written straight into Postgres in the shapes the product writes them
// (api/src/domain/oauth/flow.ts saveConnection): connections with one INSERT … SELECT FROM
// json_populate_recordset per 5,000 rows (100,000 in seconds), history and rollups with
// INSERT … SELECT, the rest with createMany.

export const BUILT_INS = ["slack", "hubspot", "google"] as const;
export type SandboxProvider = (typeof BUILT_INS)[number];

export const SCOPES: Record<SandboxProvider, string[]> = {
  slack: ["channels:read", "chat:write", "team:read", "users:read"],
  hubspot: ["oauth", "crm.objects.contacts.read"],
  google: ["openid", "email", "profile"],
};

/** The built-in providers a read workspace's connections belong to, in turn (several connections per provider since issue 14). */
export const READ_PROVIDERS = ["slack", "hubspot", "google", "salesforce"] as const;

/**
 * PROVIDERS_FILE for every process of the run: the built-ins pointed at the emulator process
 * (as self-hosters point them at local servers). Salesforce keeps its catalog endpoints: its
 * connections are only read, never checked.
 */
export function writeCatalog(dir: string, emulatorUrl: string): string {
  const base = (p: string) => `${emulatorUrl}/sandbox/${p}`;
  const catalog: Record<string, unknown> = {
    slack: { clientId: "sandbox-slack", clientSecret: "sandbox-slack-secret", authorizationUrl: `${base("slack")}/oauth/v2/authorize`, tokenUrl: `${base("slack")}/api/oauth.v2.access`, revocationUrl: `${base("slack")}/api/auth.revoke`, apiBaseUrl: `${base("slack")}/api` },
    hubspot: { clientId: "sandbox-hubspot", clientSecret: "sandbox-hubspot-secret", authorizationUrl: `${base("hubspot")}/oauth/authorize`, tokenUrl: `${base("hubspot")}/oauth/v3/token`, revocationUrl: `${base("hubspot")}/oauth/v3/token/revoke`, apiBaseUrl: base("hubspot") },
    google: { clientId: "sandbox-google", clientSecret: "sandbox-google-secret", authorizationUrl: `${base("google")}/o/oauth2/v2/auth`, tokenUrl: `${base("google")}/token`, revocationUrl: `${base("google")}/revoke`, userinfoUrl: `${base("google")}/v1/userinfo`, apiBaseUrl: base("google") },
  };
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

/** One `integration` row as the product writes it (domain/oauth/flow.ts saveConnection), for insertIntegrations. */
export type IntegrationRow = {
  id: string;
  workspaceId: string;
  providerId: string;
  accountId: string | null;
  label: string | null;
  status: "CONNECTED" | "REAUTH_REQUIRED" | "DISCONNECTED" | "ERROR";
  healthStatus: "HEALTHY" | "DEGRADED" | "UNHEALTHY" | "UNKNOWN";
  healthMessage?: string | null;
  healthErrorCode?: string | null;
  lastHealthCheckAt: Date | null;
  nextHealthCheckAt: Date | null;
  connectedAt: Date | null;
  connectedById: string | null;
  requestedScopes: string[];
  grantedScopes: string[];
  account: Record<string, unknown> | null;
  providerConfig?: Record<string, unknown> | null;
  accessTokenEnc: string | null;
  refreshTokenEnc: string | null;
  tokenKeyId: string | null;
  tokenExpiresAt?: Date | null;
  consecutiveSuccesses?: number;
};

const INTEGRATION_COLUMNS = [
  "id", "workspaceId", "providerId", "accountId", "label", "labelSetByUser", "status", "healthStatus", "healthMessage", "healthErrorCode",
  "lastHealthCheckAt", "nextHealthCheckAt", "consecutiveFailures", "consecutiveSuccesses", "accessTokenEnc", "refreshTokenEnc", "tokenKeyId",
  "tokenExpiresAt", "tokenGeneration", "requestedScopes", "grantedScopes", "account", "providerConfig", "connectedById", "connectedAt", "createdAt", "updatedAt",
].map((c) => `"${c}"`).join(", ");

/**
 * Bulk insert: each chunk is one statement, `json_populate_recordset` over the rows as JSON
 * (tens of thousands of rows a second; createMany builds a statement with a parameter per value).
 * Timestamps go in as UTC ISO strings, which a `timestamp(3)` column stores as Prisma does.
 */
export async function insertIntegrations(db: Database, rows: IntegrationRow[], chunk = 5000): Promise<void> {
  const now = new Date().toISOString();
  await chunked(rows, chunk, (c) =>
    db.query(
      `INSERT INTO "integration" (${INTEGRATION_COLUMNS}) SELECT ${INTEGRATION_COLUMNS} FROM json_populate_recordset(NULL::"integration", $1::json)`,
      [
        JSON.stringify(
          c.map((r) => ({
            healthMessage: null,
            healthErrorCode: null,
            providerConfig: null,
            tokenExpiresAt: null,
            consecutiveSuccesses: 1,
            ...r,
            labelSetByUser: false,
            consecutiveFailures: 0,
            tokenGeneration: 1,
            createdAt: now,
            updatedAt: now,
          })),
        ),
      ],
    ),
  );
}

/**
 * Read-side data for one workspace: `connections` connections of the built-in providers in turn
 * (several per provider, as issue 14 allows), each its own provider account with the account's
 * name as its label (one in ten without a stored label: the dashboard then shows the account's
 * name), each with `logs` health checks (every 5 minutes, with their hourly and daily rollups), plus `others` members, API keys, webhook endpoints
 * (with deliveries) and audit events, so every dashboard query sees the size.
 */
export async function seedReadWorkspace(db: Database, vault: Vault, w: Workspace, size: { connections: number; logs: number; others?: number }) {
  const now = Date.now();
  const ids = Array.from({ length: size.connections }, () => randomUUID());
  const statuses = ["HEALTHY", "HEALTHY", "HEALTHY", "DEGRADED", "UNHEALTHY"] as const;
  await insertIntegrations(
    db,
    ids.map((id, i) => {
      const providerId = READ_PROVIDERS[i % READ_PROVIDERS.length]!;
      const accountId = `${providerId}-acct-${i}`;
      return {
        id,
        workspaceId: w.workspaceId,
        providerId,
        accountId,
        label: i % 10 === 4 ? null : `Account ${i}`,
        status: i % 50 === 7 ? "REAUTH_REQUIRED" : "CONNECTED",
        healthStatus: statuses[i % statuses.length]!,
        healthMessage: i % 5 === 3 ? "Slow answer (2300 ms)" : null,
        healthErrorCode: i % 5 === 3 ? "slow" : i % 17 === 0 ? "rate_limited" : null,
        lastHealthCheckAt: new Date(now - 60_000),
        nextHealthCheckAt: new Date(now + 86_400_000),
        connectedAt: new Date(now - 86_400_000),
        connectedById: w.ownerId,
        requestedScopes: ["read", "write"],
        grantedScopes: i % 9 === 0 ? ["read"] : ["read", "write"],
        account: { id: accountId, name: `Account ${i}`, url: `https://example.test/${i}`, user: "owner" },
        ...sealTokens(vault, id, { accessToken: `at-${i}`, refreshToken: `rt-${i}` }),
      };
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
  // The hourly and daily rollups the check writer keeps beside the history (record.ts), so the
  // cards' uptime has figures: an UNHEALTHY check counts as down.
  for (const [table, unit] of [["integration_health_hourly", "hour"], ["integration_health_daily", "day"]] as const)
    await db.exec(`
      INSERT INTO "${table}" ("integrationId", "workspaceId", "bucketStart", "checks", "upChecks", "latencySumMs", "latencyMinMs", "latencyMaxMs", "upLatencySumMs")
      SELECT l."integrationId", l."workspaceId", date_trunc('${unit}', l."checkedAt"), count(*), count(*) FILTER (WHERE l."status" <> 'UNHEALTHY'),
        sum(l."latencyMs"), min(l."latencyMs"), max(l."latencyMs"), COALESCE(sum(l."latencyMs") FILTER (WHERE l."status" <> 'UNHEALTHY'), 0)
      FROM "integration_health_log" l
      WHERE l."workspaceId" = '${w.workspaceId.replace(/'/g, "''")}'
      GROUP BY 1, 2, 3`);
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

/**
 * Connected rows for issued tokens (any number per workspace and provider: each is its own
 * provider account), due at `due` (null: never due until a benchmark makes them so).
 */
export async function insertConnections(db: Database, vault: Vault, items: { workspace: Workspace; tokens: IssuedTokens }[], options: { due: Date | null }): Promise<Connection[]> {
  const now = Date.now();
  const rows = items.map(({ workspace, tokens }, i) => ({ id: randomUUID(), workspace, tokens, i }));
  await insertIntegrations(
    db,
    rows.map(({ id, workspace, tokens, i }) => {
      // The emulator answers every token with its default account; each row still stands for
      // an account of its own (the unique (workspace, provider, account) index).
      const accountId = `${tokens.provider === "slack" ? "T0SANDBOX" : tokens.provider}-${i}-${id.slice(0, 8)}`;
      return {
        id,
        workspaceId: workspace.workspaceId,
        providerId: tokens.provider,
        accountId,
        label: tokens.provider === "slack" ? "Acme Sandbox" : null,
        status: "CONNECTED" as const,
        ...sealTokens(vault, id, { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }),
        tokenExpiresAt: tokens.expiresIn ? new Date(now + tokens.expiresIn * 1000) : null,
        requestedScopes: SCOPES[tokens.provider],
        grantedScopes: SCOPES[tokens.provider],
        account: tokens.provider === "slack" ? { id: "T0SANDBOX", name: "Acme Sandbox" } : {},
        providerConfig: tokens.extra,
        connectedById: workspace.ownerId,
        connectedAt: new Date(now - 3_600_000),
        healthStatus: "HEALTHY" as const,
        lastHealthCheckAt: new Date(now - 300_000),
        nextHealthCheckAt: options.due,
        consecutiveSuccesses: 1,
      };
    }),
  );
  return rows.map((r) => ({ id: r.id, workspaceId: r.workspace.workspaceId, providerId: r.tokens.provider, tokens: r.tokens }));
}

// ── Slack tokens by the hundred thousand ─────────────────────────────────────────────────────
// Three HTTP requests per token through the consent flow take minutes for 100,000. Instead the
// emulator process starts from a state file (the sandbox's own persistence, api/src/sandbox/
// persist.ts, validated by its schema on load) holding one grant and one bot token per
// connection, each what the consent flow and oauth.v2.access would have stored for a bot
// install with the run's Slack scopes.

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const base62 = (n: number) => Array.from(randomBytes(n), (b) => BASE62[b % 62]).join("");
const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join("");

/** Writes the emulator's state file with `count` Slack bot grants and tokens; returns the tokens. */
export function writeBulkSlackState(file: string, count: number, emulatorUrl: string): { file: string; tokens: IssuedTokens[] } {
  const at = Date.now();
  const grants: Record<string, unknown>[] = new Array(count);
  const stored: Record<string, unknown>[] = new Array(count);
  const tokens: IssuedTokens[] = new Array(count);
  const extra = { team: { id: "T0SANDBOX", name: "Acme Sandbox" }, authed_user: { id: "U0SANDY" }, bot_user_id: "U0SANDBOT", app_id: "A0SANDBOX", enterprise: null };
  for (let i = 0; i < count; i++) {
    const grantId = `bulk${i.toString(36)}`;
    // oauth.v2.access's bot token shape (api/src/sandbox/slack.ts issue(): xoxb-11 digits-13 digits-24 base62)
    const value = `xoxb-${digits(11)}-${digits(13)}-${base62(24)}`;
    grants[i] = {
      id: grantId,
      provider: "slack",
      clientId: "sandbox-slack",
      redirectUri: `${emulatorUrl}/api/integrations/oauth/callback/slack`,
      redirectUriSent: false,
      scopes: SCOPES.slack,
      userScopes: [],
      wantsBotToken: true,
      wantsUserToken: false,
      offline: false,
      promptConsent: false,
      host: "",
      account: "acme",
      code: `bulk-code-${i}`,
      codeExpiresAt: at + 600_000,
      codeUsedAt: at,
      createdAt: at,
    };
    stored[i] = { value, grantId, provider: "slack", kind: "access", audience: "bot", issuedAt: at };
    tokens[i] = { provider: "slack", accessToken: value, extra };
  }
  writeFileSync(file, JSON.stringify({ version: 1, providers: {}, store: { grants, tokens: stored } }), { mode: 0o600 });
  return { file, tokens };
}
