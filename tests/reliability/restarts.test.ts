import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { createTestDatabase, requirePostgres, type TestDatabase } from "../support/postgres.ts";
import { freePort, startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { waitFor, wsSubscribe } from "../support/ws.ts";

// What must hold through restarts and lost connections: the app process, Redis, the database.
// Each test runs private instances (its own app processes, its own redis-server) so nothing
// else on the machine is disturbed.

const enabled = await requirePostgres();
const redisBinary = await new Promise<boolean>((resolve) => {
  const p = spawn("redis-server", ["--version"]);
  p.on("error", () => resolve(false));
  p.on("exit", (code) => resolve(code === 0));
});

function event(workspaceId: string, integrationId: string) {
  return { integrationId, workspaceId, providerId: "slack", status: "CONNECTED" as const, healthStatus: "HEALTHY" as const, healthMessage: null, errorCode: null, checkedAt: new Date().toISOString(), kind: "check" };
}

describe.skipIf(!enabled)("an app restart under a connected graphql-ws client", () => {
  let tdb: TestDatabase;
  let port: number;
  const secrets = testSecrets();
  beforeAll(async () => {
    tdb = await createTestDatabase("restart");
    port = await freePort();
  });
  afterAll(() => tdb?.drop());

  it("the real graphql-ws client reconnects and resubscribes by itself, and events flow again", async () => {
    const start = () => startTestApp({ database: "postgres", databaseUrl: tdb.url, port, env: { ...secrets, PUBLIC_URL: `http://localhost:${port}` } });
    let app: TestApp = await start();
    const user = await app.signUp();
    let closes = 0;
    const client = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { cookie: user.cookie } });
        }
      },
      retryAttempts: Infinity,
      retryWait: async () => new Promise((r) => setTimeout(r, 200)),
      shouldRetry: () => true,
      on: { closed: () => closes++ },
    });
    try {
      const sub = wsSubscribe(client, "subscription { healthStatus { integrationId } }");
      const publishUntilSeen = async (id: string) => {
        const timer = setInterval(() => app.app.realtime.publish("health:workspace", user.workspaceId, event(user.workspaceId, id)), 50);
        await waitFor(() => sub.events.some((e) => (e.data as any).healthStatus.integrationId === id), 15_000, `event ${id}`).finally(() => clearInterval(timer));
      };
      await publishUntilSeen("before-restart");
      await app.close(); // the process's server goes away: every socket closes
      await waitFor(() => closes >= 1, 5000, "the client to notice");
      app = await start(); // same port, same database: the session cookie is still valid
      await publishUntilSeen("after-restart");
      expect(sub.errors).toEqual([]);
      expect(sub.completed).toBe(false);
    } finally {
      await client.dispose();
      await app.close();
    }
  });
});

describe.skipIf(!enabled || !redisBinary)("Redis stopped and started under subscribers", () => {
  let redis: ChildProcess | null = null;
  let redisPort: number;
  let a: TestApp;
  let b: TestApp;
  const startRedis = async () => {
    redis = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 300));
  };
  beforeAll(async () => {
    redisPort = await freePort();
    await startRedis();
    const secrets = testSecrets();
    const REDIS_URL = `redis://127.0.0.1:${redisPort}`;
    a = await startTestApp({ database: "postgres", env: { ...secrets, REDIS_URL } });
    b = await startTestApp({ database: "postgres", databaseUrl: a.db!.url, env: { ...secrets, REDIS_URL, PUBLIC_URL: a.origin } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    redis?.kill("SIGKILL");
  });

  it("events published on replica B reach a subscriber on replica A again once Redis is back", async () => {
    const user = await a.signUp();
    const { wsClient } = await import("../support/ws.ts");
    const client = wsClient(a.url, { headers: { cookie: user.cookie, origin: a.origin } });
    try {
      const sub = wsSubscribe(client, "subscription { healthStatus { integrationId } }");
      const seen = (id: string) => sub.events.some((e) => (e.data as any).healthStatus.integrationId === id);
      const publishFromB = async (id: string, timeoutMs: number) => {
        const timer = setInterval(() => b.app.realtime.publish("health:workspace", user.workspaceId, event(user.workspaceId, id)), 100);
        await waitFor(() => seen(id), timeoutMs, `event ${id} through Redis`).finally(() => clearInterval(timer));
      };
      await publishFromB("first", 5000);
      redis!.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 500));
      // While Redis is down, the apps keep serving (publishing queues, nothing crashes).
      expect((await a.gql("{ viewer { role } }", { cookie: user.cookie })).status).toBe(200);
      await startRedis();
      await publishFromB("after-redis-restart", 15_000);
      expect(sub.errors).toEqual([]);
    } finally {
      await client.dispose();
    }
  });
});

describe.skipIf(!enabled)("database connections lost in the middle of a sweep", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("a sweep whose connections are killed logs it and the next sweep goes on; nothing is left claimed", async () => {
    const user = await t.signUp();
    const ids = [await connectSandbox(t, user, "slack"), await connectSandbox(t, user, "google")];
    await t.app.db.prisma.integration.updateMany({ where: { id: { in: ids } }, data: { nextHealthCheckAt: new Date(Date.now() - 1000) } });
    // Slow the provider so the sweep is mid-flight, then kill every connection of the app's database.
    t.app.sandbox!.setFault("slack", { mode: "slow", delayMs: 300 });
    t.app.sandbox!.setFault("google", { mode: "slow", delayMs: 300 });
    const sweep = t.app.scheduler.sweep().catch((e) => e);
    await new Promise((r) => setTimeout(r, 100));
    const dbName = new URL(t.app.env.DATABASE_URL!).pathname.slice(1);
    const { default: pg } = await import("pg");
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres" });
    await admin.connect();
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [dbName]);
    await admin.end();
    await sweep; // settles, whatever it managed
    t.app.sandbox!.setFault("slack", { mode: "ok" });
    t.app.sandbox!.setFault("google", { mode: "ok" });
    // The pool reconnects; leases of checks that could not finish run out, then the next sweeps check them.
    await t.app.db.prisma.integration.updateMany({ where: { id: { in: ids } }, data: { healthLeaseUntil: null } });
    const due = await t.app.db.prisma.integration.count({ where: { id: { in: ids }, nextHealthCheckAt: { lt: new Date() } } });
    const next = await t.app.scheduler.sweep();
    expect(next.errors).toBe(0);
    expect(next.claimed).toBe(due);
    const rows = await t.app.db.prisma.integration.findMany({ where: { id: { in: ids } } });
    for (const r of rows) {
      expect(r.healthLeaseUntil).toBeNull();
      expect(r.nextHealthCheckAt!.getTime()).toBeGreaterThan(Date.now());
      expect(r.status).toBe("CONNECTED");
    }
    expect((await t.gql("{ integrations { nodes { id } } }", { cookie: user.cookie })).body.data.integrations.nodes).toHaveLength(2);
  });
});
