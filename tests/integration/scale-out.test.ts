import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, requirePostgres, type TestDatabase } from "../support/postgres.ts";
import { REDIS_URL, requireRedis } from "../support/redis.ts";
import { startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { waitFor, wsClient, wsSubscribe } from "../support/ws.ts";
import { createDatabase } from "@switchboard/api/db";
import { migrate } from "@switchboard/api/db/migrate";
import { DEFAULT_MIGRATIONS_DIR } from "@switchboard/api/app";

// Several replicas on one Postgres (and one Redis): health work splits across them without a
// check running twice, and events cross between them.

const root = join(import.meta.dirname, "../..");
const enabled = await requirePostgres();
const redis = await requireRedis("Redis tests");

function runWorker(databaseUrl: string, startAt: number): Promise<{ checked: string[]; claimed: number; errors: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(root, "api/node_modules/.bin/tsx"), [join(root, "tests/support/sweep-worker.ts")], {
      cwd: join(root, "tests"),
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, START_AT: String(startAt), ...testSecrets(), LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}: ${err.slice(-500)}`))));
  });
}

describe.skipIf(!enabled)("two replicas sweeping one database", () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase("sweep");
    const db = await createDatabase({ url: tdb.url, dataDir: "unused" });
    await migrate(db, DEFAULT_MIGRATIONS_DIR);
    // 500 workspaces × 4 providers = 2,000 due connections.
    const now = Date.now();
    const workspaces = Array.from({ length: 500 }, (_, i) => ({ id: `ws-${i}`, name: `W${i}`, slug: `w-${i}`, createdAt: new Date() }));
    await db.prisma.organization.createMany({ data: workspaces });
    await db.prisma.integration.createMany({
      data: workspaces.flatMap((w, i) =>
        ["slack", "hubspot", "google", "salesforce"].map((providerId, j) => ({ id: `int-${i}-${j}`, workspaceId: w.id, providerId, status: "CONNECTED" as const, nextHealthCheckAt: new Date(now - 1000 - i) })),
      ),
    });
    await db.close();
  });
  afterAll(() => tdb?.drop());

  it("checks every one of 2,000 due connections exactly once across two processes", async () => {
    const startAt = Date.now() + 4000;
    const [a, b] = await Promise.all([runWorker(tdb.url, startAt), runWorker(tdb.url, startAt)]);
    const all = [...a.checked, ...b.checked];
    expect(a.errors + b.errors).toBe(0);
    expect(all).toHaveLength(2000);
    expect(new Set(all).size).toBe(2000);
    // Both replicas took part (the work split, rather than one doing it all).
    expect(a.checked.length).toBeGreaterThan(0);
    expect(b.checked.length).toBeGreaterThan(0);
  }, 120_000);
});

describe.skipIf(!enabled || !redis)("events across replicas through Redis", () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const secrets = testSecrets();
    a = await startTestApp({ database: "postgres", env: { REDIS_URL, ...secrets } });
    b = await startTestApp({ database: "postgres", databaseUrl: a.db!.url, env: { REDIS_URL, ...secrets, PUBLIC_URL: a.origin } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it("a subscriber on replica A receives the check that replica B ran; another workspace's subscriber receives nothing", async () => {
    const owner = await a.signUp({ name: "Ria" });
    const stranger = await a.signUp({ name: "Stan" });
    const integrationId = await connectSandbox(a, owner, "google");
    const mine = wsClient(a.url, { headers: { cookie: owner.cookie, origin: a.origin } });
    const theirs = wsClient(a.url, { headers: { cookie: stranger.cookie, origin: a.origin } });
    try {
      const subMine = wsSubscribe(mine, `subscription { healthStatus { integrationId healthStatus kind } }`);
      const subTheirs = wsSubscribe(theirs, `subscription { healthStatus { integrationId healthStatus kind } }`);
      await new Promise((r) => setTimeout(r, 300)); // let both subscriptions register with Redis
      // Replica B checks the connection (the sandbox lives on replica A, where it was connected).
      const test = await b.gql(`mutation($id: ID!) { testIntegration(id: $id) { status } }`, { cookie: owner.cookie, variables: { id: integrationId } });
      expect(test.body.data.testIntegration.status).toBe("HEALTHY");
      await waitFor(() => subMine.events.length >= 1, 5000, "the event on replica A");
      expect(subMine.events[0]!.data).toEqual({ healthStatus: { integrationId, healthStatus: "HEALTHY", kind: "CHECK" } });
      await new Promise((r) => setTimeout(r, 300));
      expect(subTheirs.events).toEqual([]);
    } finally {
      await mine.dispose();
      await theirs.dispose();
    }
  });
});
