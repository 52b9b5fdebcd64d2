import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { CONNECTION_TOKEN_PATH, createConnectionTokenRoute } from "./http/connection-token.ts";
import { createProxyRoute } from "./http/proxy.ts";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "better-auth/node";
import type { Env } from "./env.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createDatabase, type Database } from "./db/index.ts";
import { migrate } from "./db/migrate.ts";
import { DEFAULT_MIGRATIONS_DIR } from "./db/migrations-dir.ts";
import { resolveSecrets } from "./secrets.ts";
import { createAuth, type Auth } from "./auth/auth.ts";
import { scopeBetterAuthStorage } from "./auth/async-context.ts";
import { CLIENT_ADDRESS_HEADER, clientAddress, parseTrustedProxies, TrustedProxiesError } from "./auth/client-address.ts";
import { INVITATION_LOOKUP_PATH, isMountedAuthRoute, serveInvitationLookup } from "./auth/routes.ts";
import { EnvError } from "./env.ts";
import { loadCatalog, type SandboxWiring } from "./providers/catalog.ts";
import { createVault, type Vault } from "./domain/vault/vault.ts";
import { createSandbox, sandboxClient, sandboxEndpoints, type Sandbox, type SandboxProviderId } from "./sandbox/index.ts";
import { sandboxAppOptions } from "./http/sandbox-access.ts";
import { createRealtime, type Realtime } from "./realtime/pubsub.ts";
import { createGraphQLServer, GRAPHQL_PATH, type GraphQLServer } from "./graphql/yoga.ts";
import { createWebSocketServer } from "./graphql/ws.ts";
import { createConnectionRegistry } from "./realtime/connections.ts";
import { healthz, readyz } from "./http/probes.ts";
import { createMetrics, serveMetrics, type Metrics } from "./http/metrics.ts";
import { createHealthScheduler, type HealthScheduler, type SweepSummary } from "./jobs/health-scheduler.ts";
import { noteRequest } from "./jobs/loop-governor.ts";
import { pruneHistory } from "./jobs/prune-history.ts";
import cron from "node-cron";
import { createWebhookDispatcher, type WebhookDispatcher } from "./domain/webhooks/index.ts";
import { createAlertDispatcher, type AlertDispatcher } from "./domain/alerts/index.ts";
import { notifyCheckResults } from "./domain/health/notify.ts";
import type { Services } from "./graphql/context.ts";

/** A connect-style handler, such as SvelteKit adapter-node's `handler`. */
export type WebHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export type AppOptions = {
  env: Env;
  logger?: Logger;
  /** The SvelteKit handler that serves every other path; without it those paths answer 404. */
  web?: WebHandler;
  /** An already open database (tests); otherwise one is created from env. */
  db?: Database;
  migrationsDir?: string;
  /** Extra work after each health sweep (tests). */
  onSweep?: (summary: SweepSummary) => Promise<void> | void;
};

// Built-in providers without credentials point at the emulators under /sandbox (sandbox mode).
const sandboxWiring: SandboxWiring = {
  endpoints: (publicUrl) => sandboxEndpoints(publicUrl),
  client: (id) => sandboxClient(id as SandboxProviderId),
};

export type App = {
  env: Env;
  vault: Vault;
  services: Services;
  logger: Logger;
  db: Database;
  auth: Auth;
  realtime: Realtime;
  /** The provider emulators, when sandbox mode is on. */
  sandbox: Sandbox | null;
  yoga: GraphQLServer;
  /** graphql-ws on /graphql, with its shared subscription executions. */
  ws: ReturnType<typeof createWebSocketServer>;
  scheduler: HealthScheduler;
  webhooks: WebhookDispatcher;
  /** Plans alerts from incidents and states, and sends them (starts with the webhook dispatcher). */
  alerts: AlertDispatcher;
  metrics: Metrics;
  server: Server;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
};

export { DEFAULT_MIGRATIONS_DIR } from "./db/migrations-dir.ts";

/** GraphQL documents are small; a megabyte leaves room for large variables. */
const MAX_GRAPHQL_BODY_BYTES = 1024 * 1024;

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain", connection: "close" });
  res.end(text);
}

const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

/**
 * Composes the whole server without listening: database (migrated), auth, GraphQL over HTTP,
 * SSE and WebSocket, probes and the web handler, on one node:http server. Tests call this.
 */
export async function buildApp(options: AppOptions): Promise<App> {
  const { env } = options;
  const logger = options.logger ?? createLogger({ level: env.LOG_LEVEL });
  const migrationsDir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const secrets = resolveSecrets(env, logger);
  // The client address is the socket's peer; X-Forwarded-For counts only from these proxies.
  let trustedProxies: ReturnType<typeof parseTrustedProxies>;
  try {
    trustedProxies = parseTrustedProxies(env.TRUSTED_PROXIES);
  } catch (error) {
    if (error instanceof TrustedProxiesError) throw new EnvError([error.message]);
    throw error;
  }
  const vault = createVault(secrets.encryptionKeys);
  // Settings and the catalog are checked before anything opens.
  const catalog = loadCatalog(env, env.sandboxEnabled ? sandboxWiring : undefined);
  const db = options.db ?? (await createDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR, poolSize: env.DATABASE_POOL_SIZE }));
  const migrated = await migrate(db, migrationsDir);
  if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, "applied database migrations");

  const realtime = createRealtime({ redisUrl: env.REDIS_URL, logger });
  const auth = createAuth({ prisma: db.prisma, env, secret: secrets.authSecret, logger, realtime });
  // better-auth's AsyncLocalStorages would keep Node's promise hooks on for good after the first
  // auth request, a cost on every promise of every request after it: on only while it runs.
  await scopeBetterAuthStorage();
  const metrics = createMetrics({ prisma: db.prisma });
  const allowHttp = env.NODE_ENV !== "production" || env.PUBLIC_URL.startsWith("http://");
  const services: Services = { env, db, prisma: db.prisma, auth, vault, catalog, realtime, logger, allowHttp, metrics };
  const webhooks = createWebhookDispatcher({ prisma: db.prisma, vault, logger, env });
  const alerts = createAlertDispatcher(services);
  const scheduler = createHealthScheduler({
    services,
    metrics,
    // Checks may run in a worker thread (HEALTH_CHECK_WORKER=thread, DATABASE_URL); it needs the vault's
    // keys. An app handed an open database (an instrumented one, in tests) keeps them on it, inline.
    worker: options.db ? undefined : { encryptionKeys: secrets.encryptionKeys },
    onSweep: async (summary) => {
      await notifyCheckResults({ prisma: db.prisma, logger, results: summary.results });
      await options.onSweep?.(summary);
    },
  });
  // Daily at 03:17: checks and rollups past their retention, dead OAuth states.
  const pruneTask = cron.schedule("17 3 * * *", () => pruneHistory({ prisma: db.prisma, retentionDays: env.HEALTH_HISTORY_RETENTION_DAYS, rollupRetentionDays: env.HEALTH_ROLLUP_RETENTION_DAYS }).catch((error) => logger.error({ err: error }, "pruning failed")), { name: "prune", noOverlap: true });
  // Open sockets and SSE streams by principal: closed on access changes from any replica,
  // re-checked against the database every minute, limited per user or API key.
  const connections = createConnectionRegistry({ prisma: db.prisma, realtime, logger, maxPerPrincipal: env.MAX_CONNECTIONS_PER_PRINCIPAL });
  const yoga = createGraphQLServer({ env, services, connections });
  const ws = createWebSocketServer({ env, services, yoga, connections });
  const authHandler = toNodeHandler(auth);
  // Controls for signed-in owners and admins only; state kept in DATA_DIR (http/sandbox-access.ts).
  // A fault set on /sandbox is checked at the scheduler's next tick, not at the next interval.
  const sandbox = env.sandboxEnabled ? createSandbox({ publicUrl: env.PUBLIC_URL, logger, ...sandboxAppOptions({ env, auth, prisma: db.prisma }), onFault: (provider) => db.prisma.integration.updateMany({ where: { providerId: provider, status: "CONNECTED" }, data: { nextHealthCheckAt: new Date() } }).then(() => {}, (err: unknown) => logger.warn({ err, provider }, "could not make the sandbox provider's connections due")) }) : null;

  const connectionToken = createConnectionTokenRoute(services);
  // /proxy/{integrationId}/{path}: providers called with a connection's token, which stays here (http/proxy.ts).
  const proxy = createProxyRoute(services);

  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    // Whatever a client sent under this name is replaced by what the socket (and trusted
    // proxies) say: the auth library and every throttle read only this.
    req.headers[CLIENT_ADDRESS_HEADER] = clientAddress(req, trustedProxies);
    const path = (req.url ?? "/").split("?")[0]!;
    // The sweep yields to people's requests (jobs/loop-governor.ts), not to the sandbox's own
    // provider calls, probes or scrapes.
    if (!path.startsWith("/sandbox") && path !== "/healthz" && path !== "/readyz" && path !== "/metrics") noteRequest();
    const started = performance.now();
    // Invitation links carry their token in the path: logged as /invite/:token.
    const logged = path.replace(/^\/invite\/[^/]+/, "/invite/:token");
    res.on("finish", () => {
      // Path only: query strings can hold OAuth codes and states.
      logger.debug({ method: req.method, path: logged, status: res.statusCode, ms: Math.round(performance.now() - started) }, "request");
    });
    const fail = (error: unknown) => {
      logger.error({ err: error, path: logged }, "request failed");
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("Internal Server Error");
    };
    try {
      if (path === GRAPHQL_PATH) {
        if (req.method === "POST") {
          // Bodies are read whole by the GraphQL server: refuse big ones before reading a byte.
          const length = Number(req.headers["content-length"] ?? NaN);
          if (!Number.isFinite(length)) return void plain(res, 411, "A Content-Length header is required");
          if (length > MAX_GRAPHQL_BODY_BYTES) return void plain(res, 413, `Request bodies are limited to ${MAX_GRAPHQL_BODY_BYTES} bytes`);
        }
        return void Promise.resolve(yoga.handle(req, res)).catch(fail);
      }
      if (path === "/api/auth" || path.startsWith("/api/auth/")) {
        if (path === INVITATION_LOOKUP_PATH) return void serveInvitationLookup(req, res, { prisma: db.prisma }).catch(fail);
        // Only the routes the product uses (auth/routes.ts); the library's others do not exist here.
        if (!isMountedAuthRoute(req.method, path)) return void plain(res, 404, "Not Found");
        if (req.method !== "GET" && req.method !== "HEAD" && req.method !== "OPTIONS") {
          // Login CSRF: a page elsewhere must not sign a browser in or out. Browsers send Origin
          // on every POST; a form cannot send JSON cross-site without a preflight we never allow.
          const origin = req.headers.origin;
          if (origin !== undefined && !env.trustedOrigins.includes(origin)) return void plain(res, 403, "Cross-origin request refused");
          const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
          if (type !== "application/json" && Number(req.headers["content-length"] ?? 0) > 0) return void plain(res, 415, "Send JSON (content-type: application/json)");
        }
        return void Promise.resolve(authHandler(req, res)).catch(fail);
      }
      const tokenRoute = CONNECTION_TOKEN_PATH.exec(path);
      if (tokenRoute) return void connectionToken(req, res, tokenRoute[1]!).catch(fail);
      if (path.startsWith("/proxy/")) return void proxy.handle(req, res).catch(fail);
      if (path === "/healthz") return healthz(res);
      if (path === "/metrics") return void serveMetrics(req, res, { metrics, token: env.METRICS_TOKEN, production: env.NODE_ENV === "production" }).catch(fail);
      if (path === "/sandbox" || path.startsWith("/sandbox/")) {
        if (sandbox) return void sandbox.handle(req, res).catch(fail);
        res.writeHead(404, { "content-type": "text/plain" });
        return void res.end("Sandbox mode is off");
      }
      if (path === "/readyz") return void readyz(res, { db, migrationsDir }).catch(fail);
      if (options.web) {
        return options.web(req, res, () => {
          res.writeHead(404, { "content-type": "text/plain" });
          res.end("Not Found");
        });
      }
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Not Found");
    } catch (error) {
      fail(error);
    }
  });
  server.on("upgrade", (req, socket, head) => {
    req.headers[CLIENT_ADDRESS_HEADER] = clientAddress(req, trustedProxies);
    ws.handleUpgrade(req, socket, head);
  });
  server.on("clientError", (_err, socket) => socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"));

  let closed = false;
  return {
    env,
    vault,
    services,
    logger,
    db,
    auth,
    realtime,
    sandbox,
    yoga,
    ws,
    scheduler,
    webhooks,
    alerts,
    metrics,
    server,
    listen(port = env.PORT, host = env.HOST) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          if (env.HEALTH_SCHEDULER === "on") scheduler.start();
          if (env.WEBHOOK_DISPATCHER === "on") webhooks.start();
          if (env.WEBHOOK_DISPATCHER === "on") alerts.start();
          const address = server.address() as AddressInfo;
          const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      pruneTask.stop();
      await scheduler.stop();
      await webhooks.stop();
      await alerts.stop();
      // The last proxied calls' health observations are written while the database is open.
      await proxy.close();
      await connections.close();
      await ws.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // The emulators' last changes reach DATA_DIR before the process goes.
      await sandbox?.close();
      await realtime.close();
      if (!options.db) await db.close();
    },
  };
}
