import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "@switchboard/api/db";
import { createVault, type Vault } from "@switchboard/api/domain/vault";
import { parseEncryptionKeys } from "@switchboard/api/secrets";
import { freePort, testSecrets } from "../../support/app.ts";
import { createTestDatabase, type TestDatabase } from "../../support/postgres.ts";
import { killAll, startHost, type Host } from "./child.ts";
import { stopLoadHost } from "./load.ts";
import { openMigrated, writeBulkSlackState, writeCatalog, type IssuedTokens } from "./seed.ts";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** What every benchmark of one run shares: one Postgres database, one emulator process, one catalog, one set of secrets. */
export type RunContext = {
  dir: string;
  tdb: TestDatabase;
  db: Database;
  vault: Vault;
  secrets: { ENCRYPTION_KEYS: string; AUTH_SECRET: string };
  catalogFile: string;
  emulator: Host;
  emulatorUrl: string;
  /** Slack tokens the emulator started with (options.bulkSlack), for connections written in bulk. */
  bulkSlackTokens: IssuedTokens[];
  /** Starts one app replica in its own process. */
  startApp(name: string, env?: Record<string, string>, options?: { nodeArgs?: string[]; stdoutFile?: string }): Promise<Host & { url: string; origin: string }>;
  hosts: Set<Host>;
  close(): Promise<void>;
};

export async function createRunContext(options: { /** Slack grants and tokens the emulator starts with (writeBulkSlackState). */ bulkSlack?: number } = {}): Promise<RunContext> {
  const dir = mkdtempSync(join(tmpdir(), "sb-perf-"));
  const tdb = await createTestDatabase("perf");
  const db = await openMigrated(tdb.url, { poolSize: 10 });
  const secrets = testSecrets();
  const vault = createVault(parseEncryptionKeys(secrets.ENCRYPTION_KEYS));
  const hosts = new Set<Host>();
  const emulatorPort = await freePort();
  const emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
  const bulk = options.bulkSlack ? writeBulkSlackState(join(dir, "sandbox-state.json"), options.bulkSlack, emulatorUrl) : null;
  const emulator = await startHost("emulator", "emulator-host.ts", { PORT: String(emulatorPort), ...(bulk ? { STATE_FILE: bulk.file } : {}) }, { timeoutMs: 180_000 });
  hosts.add(emulator);
  if (bulk) {
    // The state file was read (a file the sandbox cannot read leaves it empty, with a warning).
    const res = await fetch(`${emulatorUrl}/sandbox/slack/api/auth.test`, { method: "POST", headers: { authorization: `Bearer ${bulk.tokens.at(-1)!.accessToken}` } });
    const body = (await res.json()) as { ok?: boolean; error?: string };
    if (!body.ok) throw new Error(`the emulator did not load ${bulk.tokens.length} bulk Slack tokens: auth.test answered ${JSON.stringify(body)}; ${emulator.stderr().slice(-1000)}`);
  }
  const catalogFile = writeCatalog(dir, emulatorUrl);
  const ctx: RunContext = {
    dir,
    tdb,
    db,
    vault,
    secrets,
    catalogFile,
    emulator,
    emulatorUrl,
    bulkSlackTokens: bulk?.tokens ?? [],
    hosts,
    async startApp(name, env = {}, options = {}) {
      const port = await freePort();
      const origin = `http://127.0.0.1:${port}`;
      const host = await startHost(name, "app-host.ts", {
        PORT: String(port),
        HOST: "127.0.0.1",
        PUBLIC_URL: origin,
        DATABASE_URL: tdb.url,
        DATA_DIR: join(dir, name),
        PROVIDERS_FILE: catalogFile,
        SANDBOX: "off",
        HEALTH_SCHEDULER: "off",
        WEBHOOK_DISPATCHER: "off",
        // The fan-out benchmarks open thousands of sockets as one user: the per-principal limit
        // (MAX_CONNECTIONS_PER_PRINCIPAL, 20 by default) is lifted to the schema's maximum.
        MAX_CONNECTIONS_PER_PRINCIPAL: "10000",
        // Accounts sign up on a Postgres deployment, where sign-up defaults to invite-only.
        SIGNUP: "open",
        ...secrets,
        ...env,
      }, options);
      hosts.add(host);
      const { stop, kill } = host;
      return Object.assign(host, {
        url: origin,
        origin,
        stop: async () => {
          hosts.delete(host);
          await stop();
        },
        kill: async () => {
          hosts.delete(host);
          await kill();
        },
      });
    },
    async close() {
      for (const host of [...hosts].reverse()) await host.stop().catch(() => {});
      await stopLoadHost().catch(() => {});
      killAll();
      await db.close().catch(() => {});
      await tdb.drop().catch(() => {});
      // PERF_KEEP=1 keeps the run's folder (catalogs, logs, --profile's .cpuprofile files).
      if (process.env.PERF_KEEP) console.log(`kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
  return ctx;
}

/** Signs a user up on a running app (the personal workspace comes with it); returns its cookie. */
export async function signUp(app: { url: string; origin: string }, db: Database, name: string) {
  const email = `${name}-${Date.now()}@perf.test`;
  const res = await fetch(`${app.url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: app.origin },
    body: JSON.stringify({ email, password: "correct horse battery", name }),
  });
  if (res.status !== 200) throw new Error(`sign-up: ${res.status} ${await res.text()}`);
  // Sign-up starts no session: the cookie comes from signing in.
  const signIn = await fetch(`${app.url}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json", origin: app.origin }, body: JSON.stringify({ email, password: "correct horse battery" }) });
  if (signIn.status !== 200) throw new Error(`sign-in: ${signIn.status} ${await signIn.text()}`);
  const cookie = signIn.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const { user } = (await res.json()) as { user: { id: string } };
  const m = await db.prisma.member.findFirstOrThrow({ where: { userId: user.id } });
  return { cookie, workspace: { workspaceId: m.organizationId, ownerId: user.id } };
}
