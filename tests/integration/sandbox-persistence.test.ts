import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { createTestDatabase, requirePostgres, type TestDatabase } from "../support/postgres.ts";

// Issue 12, item 9: the sandbox keeps its grants and tokens in DATA_DIR, so restarting the app
// does not turn every sandbox connection red. Before, the emulators forgot every token with the
// process and the first check after a restart found each connection's token unknown.

const hasPostgres = await requirePostgres();

const PROVIDERS = ["slack", "hubspot", "google", "salesforce"] as const;

describe.each([
  { database: "pglite" as const, label: "embedded PGlite" },
  { database: "postgres" as const, label: "Postgres" },
])("a restart on the same DATA_DIR ($label)", ({ database }) => {
  const run = database === "pglite" || hasPostgres;
  let dataDir: string;
  let pg: TestDatabase | null = null;
  let port: number;
  const secrets = testSecrets();

  beforeAll(async () => {
    if (!run) return;
    dataDir = mkdtempSync(join(tmpdir(), "sb-sandbox-restart-"));
    port = await freePort();
    if (database === "postgres") pg = await createTestDatabase("sbrestart");
  });
  afterAll(async () => {
    await pg?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** One process of the app: the same port (PUBLIC_URL), secrets, database and DATA_DIR each time. */
  const start = () =>
    startTestApp({ database, port, ...(pg ? { databaseUrl: pg.url } : {}), env: { ...secrets, DATA_DIR: dataDir, SIGNUP: "open" } });

  const integration = async (t: TestApp, cookie: string, id: string) =>
    (await t.gql<{ integration: { status: string; healthStatus: string } }>(`query($id: ID!) { integration(id: $id) { status healthStatus } }`, { cookie, variables: { id } })).body.data!.integration;
  const test = async (t: TestApp, cookie: string, id: string) => {
    const res = await t.gql<{ testIntegration: { status: string } }>(`mutation($id: ID!) { testIntegration(id: $id) { status } }`, { cookie, variables: { id } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.testIntegration.status;
  };

  it.runIf(run)("keeps every sandbox connection healthy, and a refresh works after it", async () => {
    const first = await start();
    let owner: { cookie: string };
    const ids: Record<string, string> = {};
    try {
      owner = await first.signUp({ name: "Rita Restart" });
      for (const provider of PROVIDERS) ids[provider] = await connectSandbox(first, owner, provider);
      for (const provider of PROVIDERS) expect(await test(first, owner.cookie, ids[provider]!), provider).toBe("HEALTHY");
    } finally {
      await first.close();
    }
    const stateFile = join(dataDir, "sandbox-state.json");
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    const second = await start();
    try {
      for (const provider of PROVIDERS) {
        expect(await test(second, owner.cookie, ids[provider]!), provider).toBe("HEALTHY");
        expect(await integration(second, owner.cookie, ids[provider]!), provider).toEqual({ status: "CONNECTED", healthStatus: "HEALTHY" });
      }
      // Access tokens past their expiry: the next check refreshes with a refresh token the
      // previous process's emulator issued.
      for (const provider of ["hubspot", "google"] as const) {
        await second.app.db.prisma.integration.update({ where: { id: ids[provider]! }, data: { tokenExpiresAt: new Date(Date.now() - 60_000) } });
        const before = second.app.sandbox!.stats(provider).tokenRequests.refresh_token;
        expect(await test(second, owner.cookie, ids[provider]!), provider).toBe("HEALTHY");
        expect(second.app.sandbox!.stats(provider).tokenRequests.refresh_token, provider).toBe(before + 1);
        const row = await second.app.db.prisma.integration.findUniqueOrThrow({ where: { id: ids[provider]! } });
        expect(row.tokenExpiresAt!.getTime(), provider).toBeGreaterThan(Date.now());
        expect(row.status).toBe("CONNECTED");
      }
    } finally {
      await second.close();
    }
  });
});
