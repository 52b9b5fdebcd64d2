import { z } from "zod";

// Every setting of the process, parsed once. Nothing else reads process.env (the SvelteKit side
// gets what it needs from the server that embeds it). Each tunable has a default and a reason.

const bool = (def: "on" | "off") => z.enum(["on", "off"]).default(def);
const int = (def: number, min = 1, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);
const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const encryptionKeys = optional.superRefine((value, ctx) => {
  if (!value) return;
  const ids = new Set<string>();
  for (const entry of value.split(",")) {
    const [kid, key, ...rest] = entry.trim().split(":");
    if (!kid || !key || rest.length > 0 || !/^[A-Za-z0-9_-]{1,32}$/.test(kid)) {
      ctx.addIssue({ code: "custom", message: "ENCRYPTION_KEYS must be kid:base64key[,kid:base64key...] with ids of letters, digits, _ or -" });
      return;
    }
    if (Buffer.from(key, "base64").length !== 32) {
      ctx.addIssue({ code: "custom", message: `ENCRYPTION_KEYS key "${kid}" must be 32 bytes encoded in base64 (openssl rand -base64 32)` });
      return;
    }
    if (ids.has(kid)) ctx.addIssue({ code: "custom", message: `ENCRYPTION_KEYS has key id "${kid}" twice` });
    ids.add(kid);
  }
});

export const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    /** Postgres connection string; without it the app runs on PGlite in DATA_DIR. */
    DATABASE_URL: optional,
    /** Where the embedded database and generated development secrets live. */
    DATA_DIR: z.string().default("./data"),
    /** Optional: Redis carries subscription events between replicas. */
    REDIS_URL: optional,
    PORT: int(3000, 0, 65535),
    /** Interface to listen on. */
    HOST: z.string().default("0.0.0.0"),
    /** The one origin browsers use; CORS, cookies, WebSocket Origin checks and redirect URIs derive from it. */
    PUBLIC_URL: optional,
    /** Extra origins allowed to call the API with credentials (for example the Vite dev server). Comma-separated. */
    TRUSTED_ORIGINS: optional,
    ENCRYPTION_KEYS: encryptionKeys,
    /** Signs session cookies; at least 32 characters. */
    AUTH_SECRET: optional.refine((v) => !v || v.length >= 32, "AUTH_SECRET must be at least 32 characters"),
    SLACK_CLIENT_ID: optional,
    SLACK_CLIENT_SECRET: optional,
    HUBSPOT_CLIENT_ID: optional,
    HUBSPOT_CLIENT_SECRET: optional,
    GOOGLE_CLIENT_ID: optional,
    GOOGLE_CLIENT_SECRET: optional,
    SALESFORCE_CLIENT_ID: optional,
    SALESFORCE_CLIENT_SECRET: optional,
    /** YAML or JSON catalog that overrides built-in providers and adds oidc/oauth2 ones. */
    PROVIDERS_FILE: optional,
    /** auto: built-in emulators stand in for providers without credentials, outside production. */
    SANDBOX: z.enum(["auto", "on", "off"]).default("auto"),
    /** How often each connection is checked. */
    HEALTH_CHECK_INTERVAL_SECONDS: int(300, 5),
    /** After a failed check the next comes this soon (like Uptime Kuma's retry interval), so an outage turns UNHEALTHY in minutes. */
    HEALTH_RETRY_INTERVAL_SECONDS: int(30, 5),
    /** Checks run at once per process; bounds outbound sockets and database connections. */
    HEALTH_CHECK_CONCURRENCY: int(16, 1, 1000),
    /**
     * Sweeps back off while the serving thread's event-loop p99 delay is over this (ms), so checks
     * do not take the CPU that answers people (jobs/loop-governor.ts); a check that confirms a
     * failure, or is a whole interval late, is never held back. 0 = never back off.
     */
    HEALTH_CHECK_MAX_LOOP_DELAY_MS: int(20, 0, 10_000),
    HEALTH_SCHEDULER: bool("on"),
    /** Where a sweep's checks run: a worker thread with its own pool (default with DATABASE_URL), or the serving thread (always on the embedded database). */
    HEALTH_CHECK_WORKER: z.enum(["thread", "inline"]).optional(),
    /** How often the scheduler looks for due checks. */
    HEALTH_CHECK_TICK_SECONDS: int(15, 1, 3600),
    /** A claimed check belongs to its replica this long; then another may take it over. */
    HEALTH_CHECK_LEASE_SECONDS: int(120, 10, 3600),
    /** Per outbound call of a check. */
    HEALTH_CHECK_TIMEOUT_MS: int(10_000, 100, 120_000),
    /** An answer slower than this makes the check DEGRADED. */
    HEALTH_SLOW_THRESHOLD_MS: int(2000, 1, 120_000),
    /** Consecutive failures before UNHEALTHY (the first ones are DEGRADED), like Gatus. */
    HEALTH_UNHEALTHY_AFTER: int(3, 1, 100),
    /** Consecutive successes before an unhealthy connection is HEALTHY again. */
    HEALTH_HEALTHY_AFTER: int(2, 1, 100),
    /** Raw checks older than this are pruned; uptime and latency read the rollups, so this only bounds the check log. */
    HEALTH_HISTORY_RETENTION_DAYS: int(14, 1, 3650),
    /** Daily uptime/latency rollups older than this are pruned (hourly ones after 35 days at most). */
    HEALTH_ROLLUP_RETENTION_DAYS: int(400, 31, 3650),
    /** `off` stops sending webhooks from this process (another replica sends them). */
    WEBHOOK_DISPATCHER: bool("on"),
    /** Per webhook delivery attempt. */
    WEBHOOK_TIMEOUT_MS: int(10_000, 100, 60_000),
    /** Attempts per webhook delivery, with exponential backoff between them. */
    WEBHOOK_MAX_ATTEMPTS: int(8, 1, 20),
    /** Allow webhook URLs on loopback, private, link-local and special-use addresses (off by default everywhere). */
    WEBHOOK_ALLOW_PRIVATE_URLS: bool("off"),
    /** When set, /metrics requires Authorization: Bearer <this>; in production /metrics refuses without it. */
    METRICS_TOKEN: optional,
    /** Proxies (CIDRs, comma-separated) whose X-Forwarded-For is believed; otherwise the socket's address is the client. */
    TRUSTED_PROXIES: optional,
    /** Who may create an account: open, invite (only through an invitation; the first account of an empty instance may sign up), off. Default: open when embedded, invite for a deployment. */
    SIGNUP: z.enum(["open", "invite", "off"]).optional(),
    /** GraphQL introspection; default on outside production, off in production. */
    GRAPHQL_INTROSPECTION: z.enum(["on", "off"]).optional(),
    /** Open WebSockets and SSE streams together, per user or API key. */
    MAX_CONNECTIONS_PER_PRINCIPAL: int(20, 1, 10_000),
    /** Subscriptions (operations) open at once on one socket. */
    MAX_SUBSCRIPTIONS_PER_SOCKET: int(50, 1, 1000),
    /** SMTP server for e-mail (invitations), e.g. smtp://user:pass@mail.example:587; unset: no e-mail. */
    SMTP_URL: optional,
    /** The From address of e-mail. */
    SMTP_FROM: optional,
    /** Refresh access tokens this long before they expire; a catalog entry may set its own. */
    TOKEN_REFRESH_MARGIN_SECONDS: int(120, 0, 86_400),
    /** POST /api/connections/{id}/token reads per API key per minute (per process). */
    CREDENTIALS_READS_PER_MINUTE: int(60, 1, 100_000),
    /** /proxy request bodies above this are refused (413); bodies stream, so this bounds a caller, not memory. */
    PROXY_MAX_REQUEST_BYTES: int(10 * 1024 * 1024, 0, 2 ** 40),
    /** /proxy answers above this are refused (declared length) or cut off (streamed); they stream, so memory stays flat. */
    PROXY_MAX_RESPONSE_BYTES: int(1024 * 1024 * 1024, 1, 2 ** 40),
    /** Request bodies up to this size are held so a call refused for its token can be retried after one refresh; larger ones stream. */
    PROXY_RETRY_BODY_BYTES: int(64 * 1024, 0, 16 * 1024 * 1024),
    /** A provider silent this long (no answer, or no bytes of a streaming one) ends a proxied call (504). */
    PROXY_TIMEOUT_MS: int(30_000, 100, 600_000),
    /** Proxied calls in flight per connection (per process); more answer 429, so one caller cannot take a connection's whole provider quota. */
    PROXY_MAX_CONCURRENT_PER_CONNECTION: int(50, 1, 10_000),
    /** Proxied calls per connection per minute (per process); 0 = no limit (providers' own 429s still pass through). */
    PROXY_REQUESTS_PER_MINUTE: int(0, 0, 1_000_000),
    /** Proxied calls are health observations, written as at most one "from traffic" check per connection per this many seconds. */
    HEALTH_TRAFFIC_WINDOW_SECONDS: int(60, 1, 3600),
    /** A connection with a successful proxied call this recently skips its scheduled check (saves provider quota); 0 = off. */
    HEALTH_SKIP_WHEN_ACTIVE_SECONDS: int(0, 0, 86_400),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** Deepest selection set a GraphQL operation may have; the dashboard needs 6. */
    GRAPHQL_MAX_DEPTH: int(10, 2, 100),
    /** Aliases per operation; stops alias-multiplied work. */
    GRAPHQL_MAX_ALIASES: int(15, 0, 1000),
    /** Tokens per document; bounds parser work before validation runs. */
    GRAPHQL_MAX_TOKENS: int(2000, 100, 100000),
    /** Postgres pool size per process. */
    DATABASE_POOL_SIZE: int(10, 1, 200),
  })
;

/** Checks across variables, run on the raw strings so they report even when a type check failed. */
function crossChecks(source: Record<string, string | undefined>): string[] {
  const issues: string[] = [];
  const set = (name: string) => Boolean(source[name]?.trim());
  for (const p of ["SLACK", "HUBSPOT", "GOOGLE", "SALESFORCE"]) {
    if (set(`${p}_CLIENT_ID`) && !set(`${p}_CLIENT_SECRET`)) issues.push(`${p}_CLIENT_SECRET: ${p}_CLIENT_ID is set but ${p}_CLIENT_SECRET is not`);
    if (set(`${p}_CLIENT_SECRET`) && !set(`${p}_CLIENT_ID`)) issues.push(`${p}_CLIENT_ID: ${p}_CLIENT_SECRET is set but ${p}_CLIENT_ID is not`);
  }
  for (const name of ["PUBLIC_URL", ...(source.TRUSTED_ORIGINS ? ["TRUSTED_ORIGINS"] : [])]) {
    const values = name === "TRUSTED_ORIGINS" ? source[name]!.split(",").map((v) => v.trim()).filter(Boolean) : [source[name]?.trim()].filter(Boolean);
    for (const value of values as string[]) {
      let ok = false;
      try {
        ok = /^https?:$/.test(new URL(value).protocol);
      } catch {}
      if (!ok) issues.push(`${name}: must be http(s) URLs such as http://localhost:3000`);
    }
  }
  return issues;
}

export type RawEnv = z.infer<typeof envSchema>;

export type Env = RawEnv & {
  PUBLIC_URL: string;
  publicOrigin: string;
  /** Origins allowed for credentialed browser requests (PUBLIC_URL plus TRUSTED_ORIGINS). */
  trustedOrigins: string[];
  /** Embedded mode: no DATABASE_URL, so PGlite in DATA_DIR. */
  embedded: boolean;
  /** Whether sandbox emulators may stand in for unconfigured built-in providers. */
  sandboxEnabled: boolean;
  /** A deployment must be given its secrets; only the embedded/sandbox default may generate them. */
  mayGenerateSecrets: boolean;
  /** SIGNUP as it applies: open when embedded, invite for a deployment, unless set. */
  signup: "open" | "invite" | "off";
  /** GRAPHQL_INTROSPECTION as it applies (off in production unless set on). */
  introspection: boolean;
  /** WEBHOOK_ALLOW_PRIVATE_URLS === "on". */
  allowPrivateWebhookUrls: boolean;
};

export class EnvError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "EnvError";
  }
}

/** Parses settings; throws EnvError naming every bad variable (never echoing a value). */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(source);
  const issues = [...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".") || "environment"}: ${i.message}`)), ...crossChecks(source)];
  if (!parsed.success || issues.length > 0) throw new EnvError([...new Set(issues)]);
  const raw = parsed.data;
  const publicUrl = (raw.PUBLIC_URL ?? `http://localhost:${raw.PORT || 3000}`).replace(/\/+$/, "");
  const publicOrigin = new URL(publicUrl).origin;
  const extra = (raw.TRUSTED_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => new URL(o).origin);
  const embedded = !raw.DATABASE_URL;
  const production = raw.NODE_ENV === "production";
  const sandboxEnabled = raw.SANDBOX === "on" || (raw.SANDBOX === "auto" && !production);
  return {
    ...raw,
    PUBLIC_URL: publicUrl,
    publicOrigin,
    trustedOrigins: [...new Set([publicOrigin, ...extra])],
    embedded,
    sandboxEnabled,
    // design.md: a deployment (a DATABASE_URL, or production outside sandbox mode) refuses to
    // start without ENCRYPTION_KEYS and AUTH_SECRET.
    mayGenerateSecrets: embedded && !(production && !sandboxEnabled),
    signup: raw.SIGNUP ?? (embedded && !production ? "open" : "invite"),
    introspection: raw.GRAPHQL_INTROSPECTION ? raw.GRAPHQL_INTROSPECTION === "on" : !production,
    allowPrivateWebhookUrls: raw.WEBHOOK_ALLOW_PRIVATE_URLS === "on",
  };
}
