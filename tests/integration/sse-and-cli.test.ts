import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, testSecrets, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";

// Subscriptions over Server-Sent Events (same path, same auth, same workspace scoping), and
// `pnpm admin check-now`.

const root = join(import.meta.dirname, "../..");
const enabled = await requirePostgres();

describe.skipIf(!enabled)("health events over SSE, and check-now", () => {
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;
  let key: string;
  let integrationId: string;
  const secrets = testSecrets();
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres", env: secrets });
    user = await t.signUp({ name: "Sid" });
    key = (await t.gql(`mutation { createApiKey(name: "sse") { key } }`, { cookie: user.cookie })).body.data.createApiKey.key;
    integrationId = await connectSandbox(t, user, "slack");
  });
  afterAll(() => t?.close());

  async function openSse(authorization: string) {
    const controller = new AbortController();
    const res = await fetch(`${t.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization },
      body: JSON.stringify({ query: "subscription { healthStatus { integrationId healthStatus kind } }" }),
      signal: controller.signal,
    });
    const events: unknown[] = [];
    const reader = res.body!.getReader();
    let buffer = "";
    const pump = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += new TextDecoder().decode(value);
          let index;
          while ((index = buffer.indexOf("\n\n")) >= 0) {
            const chunk = buffer.slice(0, index);
            buffer = buffer.slice(index + 2);
            const data = chunk.split("\n").find((l) => l.startsWith("data:"));
            if (data && data.length > 6) events.push(JSON.parse(data.slice(5)));
          }
        }
      } catch {}
    })();
    return { status: res.status, type: res.headers.get("content-type"), events, close: () => (controller.abort(), pump) };
  }

  it("streams the workspace's events to an API key over SSE, and nothing to another workspace", async () => {
    const stranger = await t.signUp({ name: "Sue" });
    const strangerKey = (await t.gql(`mutation { createApiKey(name: "other") { key } }`, { cookie: stranger.cookie })).body.data.createApiKey.key;
    const mine = await openSse(`Bearer ${key}`);
    const theirs = await openSse(`Bearer ${strangerKey}`);
    expect(mine.status).toBe(200);
    expect(mine.type).toContain("text/event-stream");
    await new Promise((r) => setTimeout(r, 200));
    await t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status } }`, { apiKey: key, variables: { id: integrationId } });
    const deadline = Date.now() + 5000;
    while (mine.events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(mine.events[0]).toEqual({ data: { healthStatus: { integrationId, healthStatus: "HEALTHY", kind: "CHECK" } } });
    await new Promise((r) => setTimeout(r, 200));
    expect(theirs.events).toEqual([]);
    await mine.close();
    await theirs.close();
    const anonymous = await fetch(`${t.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", accept: "text/event-stream" }, body: JSON.stringify({ query: "subscription { healthStatus { kind } }" }) });
    expect(anonymous.status).toBe(401);
  });

  it("pnpm admin check-now checks one integration, or every connected one", async () => {
    const env = { PATH: process.env.PATH, DATABASE_URL: t.app.env.DATABASE_URL!, PUBLIC_URL: t.origin, LOG_LEVEL: "warn", ...secrets };
    // Asynchronously: the sandbox provider the CLI calls is served by this test process.
    const admin = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(join(root, "api/node_modules/.bin/tsx"), [join(root, "api/src/cli/admin.ts"), ...args], { env });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c) => (stdout += c));
        child.stderr.on("data", (c) => (stderr += c));
        child.on("exit", (status) => resolve({ status, stdout, stderr }));
      });
    const one = await admin(["check-now", "--integration", integrationId]);
    expect(one.status, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout.trim())).toMatchObject({ integrationId, provider: "slack", status: "HEALTHY", errorCode: null });
    const all = await admin(["check-now"]);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout.trim().split("\n").map((l) => JSON.parse(l).integrationId)).toContain(integrationId);
    const missing = await admin(["check-now", "--integration", "no-such-id"]);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/no integration with id no-such-id/);
  });
});
