import { parseArgs } from "node:util";
import type { Database } from "../db/index.ts";
import type { Auth } from "../auth/auth.ts";
import type { Vault } from "../domain/vault/vault.ts";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import type { Realtime } from "../realtime/pubsub.ts";
import type { CatalogProvider } from "../providers/catalog.ts";

// The `pnpm admin` commands, run either by the CLI on a database it opens itself
// (withLocalServices) or by the running embedded server on its own database, for a CLI that
// asked over DATA_DIR/admin.sock (../admin-socket.ts). The same code either way, so the
// output, errors and exit codes are the same. Commands write through `io`, never `console`:
// inside the server, their output goes back to the CLI and nowhere else.
// Arguments are checked before the database, auth and Prisma modules load, so a typo is
// answered at once.

export const USAGE = `Usage: pnpm admin <command> [options]

Commands:
  create-user --email EMAIL --password PASSWORD [--name NAME]
      Create a user with a personal workspace they own (whatever SIGNUP says). The password
      needs at least 12 characters and must be hard to guess, as for sign-up.
  create-api-key --email EMAIL --name NAME [--permissions read,proxy,credentials]
      Create an API key for the user's workspace; the key is printed once. Permissions (default
      read): read = the GraphQL API; proxy = call providers through /proxy (members and up);
      credentials = read fresh access tokens (owners and admins).
  check-now [--integration ID]
      Run a health check now for one integration, or for every connected one.
  rotate-encryption-key
      Re-encrypt every stored token and secret with the first key of ENCRYPTION_KEYS.
      Rotate by putting a new key first and keeping the old ones after it; once this has
      run (safe while the server runs), the old keys can be removed.

Settings come from the environment, as for the server (DATABASE_URL, DATA_DIR, ...). While the
server runs on the embedded database, commands run inside it (through DATA_DIR/admin.sock,
reachable by the same OS user only) with the server's settings.`;

/** Where a command's output goes: the terminal (CLI) or the socket back to the CLI (server). */
export type AdminIO = { out(text: string): void; err(text: string): void };

export type AdminServices = {
  db: Database;
  auth: Auth;
  vault: Vault;
  env: Env;
  logger: Logger;
  /** The server's own (its open dashboards see check-now's events); the CLI makes one. */
  realtime?: Realtime;
  /** The server's own provider catalog; the CLI loads one. */
  catalog?: CatalogProvider[];
};

/** Runs `fn` with the services: the CLI opens (and closes) them, the server lends its own. */
export type WithServices = <T>(fn: (s: AdminServices) => Promise<T>) => Promise<T>;

export type AdminContext = { io: AdminIO; withServices: WithServices };

class UsageError extends Error {
  override name = "UsageError";
}

function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value.trim() === "") throw new UsageError(`--${name} is required`);
  return value.trim();
}

/** Errors whose message is meant for the operator as it is. */
const KNOWN_ERRORS = new Set(["UsageError", "ApiKeyError", "DatabaseBusyError", "EnvError", "MissingSecretError", "MigrationError", "VaultError"]);

/** The CLI's services: the database (migrated), auth and vault from this process's settings. */
export const withLocalServices: WithServices = async (fn) => {
  const [{ parseEnv }, { createLogger }, { createDatabase }, { migrate }, { resolveSecrets }, { createAuth }] = await Promise.all([
    import("../env.ts"),
    import("../logger.ts"),
    import("../db/index.ts"),
    import("../db/migrate.ts"),
    import("../secrets.ts"),
    import("../auth/auth.ts"),
  ]);
  const { DEFAULT_MIGRATIONS_DIR } = await import("../db/migrations-dir.ts");
  const env = parseEnv();
  // The CLI's own logs go to stderr so stdout carries only the result (a key, an id).
  const logger = createLogger({ level: env.LOG_LEVEL === "info" ? "warn" : env.LOG_LEVEL, destination: process.stderr as never });
  const secrets = resolveSecrets(env, logger);
  const db = await createDatabase({ url: env.DATABASE_URL, dataDir: env.DATA_DIR, poolSize: 2 });
  try {
    await migrate(db, DEFAULT_MIGRATIONS_DIR);
    const auth = createAuth({ prisma: db.prisma, env, secret: secrets.authSecret, logger });
    const { createVault } = await import("../domain/vault/vault.ts");
    return await fn({ db, auth, vault: createVault(secrets.encryptionKeys), env, logger });
  } finally {
    await db.close();
  }
};

async function createUser(args: string[], { io, withServices }: AdminContext): Promise<void> {
  const { values } = parseArgs({ args, options: { email: { type: "string" }, password: { type: "string" }, name: { type: "string" } }, strict: true });
  const email = required(values, "email").toLowerCase();
  const password = required(values, "password");
  const name = typeof values.name === "string" && values.name.trim() ? values.name.trim() : email.split("@")[0]!;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new UsageError("--email must be an email address");
  const { checkPassword } = await import("../auth/password-policy.ts");
  const verdict = checkPassword(password, [email, name]);
  if (!verdict.ok) throw new UsageError(`--password: ${verdict.message}`);
  await withServices(async ({ db, auth }) => {
    const existing = await db.prisma.user.findUnique({ where: { email }, select: { id: true } });
    if (existing) throw new UsageError(`a user with email ${email} already exists`);
    const result = await auth.api.signUpEmail({ body: { email, password, name } });
    const membership = await db.prisma.member.findFirst({ where: { userId: result.user.id }, include: { organization: true } });
    io.out(JSON.stringify({ id: result.user.id, email, name, workspace: membership ? { id: membership.organizationId, name: membership.organization.name } : null }));
  });
}

async function createApiKey(args: string[], { io, withServices }: AdminContext): Promise<void> {
  const { values } = parseArgs({ args, options: { email: { type: "string" }, name: { type: "string" }, permissions: { type: "string" } }, strict: true });
  const email = required(values, "email").toLowerCase();
  const name = required(values, "name");
  const { parsePermissions, KeyPermissionInputError } = await import("../auth/key-permissions.ts");
  let permissions;
  try {
    permissions = parsePermissions(typeof values.permissions === "string" ? values.permissions : null);
  } catch (error) {
    if (error instanceof KeyPermissionInputError) throw new UsageError(`--permissions: ${error.message}`);
    throw error;
  }
  await withServices(async ({ db, auth }) => {
    const { createWorkspaceApiKey, ApiKeyError } = await import("../auth/api-keys.ts");
    const user = await db.prisma.user.findUnique({ where: { email }, select: { id: true } });
    if (!user) throw new UsageError(`no user with email ${email}`);
    const membership = await db.prisma.member.findFirst({ where: { userId: user.id }, orderBy: { createdAt: "asc" } });
    if (!membership) throw new UsageError(`${email} is not a member of any workspace`);
    const created = await createWorkspaceApiKey({ auth, prisma: db.prisma, userId: user.id, workspaceId: membership.organizationId, name, permissions }).catch((error: unknown) => {
      if (error instanceof ApiKeyError) throw new UsageError(error.message);
      throw error;
    });
    // The key on stdout alone, so `KEY=$(pnpm -s admin create-api-key ...)` works.
    io.out(created.key);
    io.err(`API key "${created.name}" (${created.start}…, ${created.permissions.join(", ")}) created for workspace ${membership.organizationId}. It is shown only this once.`);
  });
}

async function rotateEncryptionKey(args: string[], { io, withServices }: AdminContext): Promise<void> {
  parseArgs({ args, options: {}, strict: true });
  await withServices(async ({ db, vault }) => {
    const { rotateEncryptionKey: rotate } = await import("../domain/vault/rotate.ts");
    const result = await rotate({ prisma: db.prisma, vault });
    io.out(JSON.stringify({ activeKeyId: vault.activeKeyId, ...result }));
  });
}

async function checkNow(args: string[], { io, withServices }: AdminContext): Promise<void> {
  const { values } = parseArgs({ args, options: { integration: { type: "string" } }, strict: true });
  await withServices(async (s) => {
    const { db, vault, env, logger } = s;
    const [{ checkIntegration }, { loadCatalog }, { createRealtime }, pLimit] = await Promise.all([
      import("../domain/health/check-integration.ts"),
      import("../providers/catalog.ts"),
      import("../realtime/pubsub.ts"),
      import("p-limit").then((m) => m.default),
    ]);
    const { sandboxClient, sandboxEndpoints } = await import("../sandbox/index.ts");
    const catalog = s.catalog ?? loadCatalog(env, env.sandboxEnabled ? { endpoints: sandboxEndpoints, client: (id) => sandboxClient(id as never) } : undefined);
    // Events go through the server's own pub/sub, or Redis when it is configured, so open
    // dashboards see these checks too.
    const realtime = s.realtime ?? createRealtime({ redisUrl: env.REDIS_URL, logger });
    try {
      const where = values.integration ? { id: values.integration } : { status: "CONNECTED" as const };
      const rows = await db.prisma.integration.findMany({ where, select: { id: true, providerId: true, status: true } });
      if (values.integration && rows.length === 0) throw new UsageError(`no integration with id ${values.integration}`);
      const services = { db, prisma: db.prisma, vault, realtime, logger, env, allowHttp: env.NODE_ENV !== "production" || env.PUBLIC_URL.startsWith("http://") };
      const limit = pLimit(env.HEALTH_CHECK_CONCURRENCY);
      const results = await Promise.all(
        rows.map((row) =>
          limit(async () => {
            const provider = catalog.find((p) => p.id === row.providerId);
            if (!provider) return { integrationId: row.id, provider: row.providerId, status: "UNKNOWN", errorCode: "unknown_provider" };
            const r = await checkIntegration({ services, provider, integrationId: row.id, trigger: "MANUAL" });
            return { integrationId: r.integrationId, provider: r.providerId, status: r.status, errorCode: r.errorCode, latencyMs: r.latencyMs };
          }),
        ),
      );
      for (const r of results) io.out(JSON.stringify(r));
    } finally {
      if (!s.realtime) await realtime.close();
    }
  });
}

const commands: Record<string, (args: string[], ctx: AdminContext) => Promise<void>> = {
  "check-now": checkNow,
  "rotate-encryption-key": rotateEncryptionKey,
  "create-user": createUser,
  "create-api-key": createApiKey,
};

/** The command names, the only part of a request the server logs. */
export const ADMIN_COMMANDS: readonly string[] = Object.keys(commands);

/** Runs `pnpm admin <argv>`; answers the exit code (0, 1 for a failure, 64 for a usage error). */
export async function runAdmin(argv: string[], { io, withServices }: AdminContext): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    io.out(USAGE);
    return command ? 0 : 64;
  }
  const run = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (!run) {
    io.err(`Unknown command "${command}".\n\n${USAGE}`);
    return 64;
  }
  try {
    await run(args, { io, withServices });
    return 0;
  } catch (error) {
    if (error instanceof Error && (error instanceof UsageError || KNOWN_ERRORS.has(error.name))) {
      io.err(`error: ${error.message}`);
      return error instanceof UsageError ? 64 : 1;
    }
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      io.err(`error: ${error.message}\n\n${USAGE}`);
      return 64;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`error: ${message}`);
    return 1;
  }
}
