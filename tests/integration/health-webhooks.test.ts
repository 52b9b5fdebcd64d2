import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";

// The whole notification path: a connection is made and later fails in scheduled sweeps; a
// receiver run by the test gets each event signed, and sees the retries after answering 500.

const { Webhook } = createRequire(new URL("../../api/package.json", import.meta.url))("standardwebhooks") as typeof import("standardwebhooks");
const enabled = await requirePostgres();

describe.skipIf(!enabled)("health events reach a webhook receiver", () => {
  let t: TestApp;
  let receiver: Server;
  let receiverUrl: string;
  let secret = "";
  const received: { type: string; id: string; verified: boolean; status: number }[] = [];
  const attempts = new Map<string, number>();

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString();
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        let verified = false;
        try {
          new Webhook(secret).verify(body, headers);
          verified = true;
        } catch {}
        const id = headers["webhook-id"]!;
        const n = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, n);
        // The first attempt of every message fails, so every event is retried once.
        const status = n === 1 ? 500 : 200;
        received.push({ type: JSON.parse(body).type, id, verified, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    t = await startTestApp({ database: "postgres", env: { HEALTH_CHECK_INTERVAL_SECONDS: "300", WEBHOOK_ALLOW_PRIVATE_URLS: "on" } });
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  async function deliverAll() {
    // Make every pending retry due now, then dispatch; repeat until nothing is left.
    for (let i = 0; i < 5; i++) {
      await t.app.db.prisma.webhookDelivery.updateMany({ where: { status: "pending" }, data: { nextAttemptAt: new Date(Date.now() - 1000) } });
      if ((await t.app.webhooks.runOnce()) === 0) break;
    }
  }

  it("signs connected, degraded, unhealthy and recovered events, and retries after a 500", async () => {
    const user = await t.signUp({ name: "Wes" });
    const created = await t.gql(`mutation($u: String!) { createWebhookEndpoint(url: $u) { secret endpoint { id } } }`, { cookie: user.cookie, variables: { u: receiverUrl } });
    expect(created.body.errors).toBeUndefined();
    secret = created.body.data.createWebhookEndpoint.secret;

    const integrationId = await connectSandbox(t, user, "google");
    t.app.sandbox!.setFault("google", { mode: "server_error" });
    for (let i = 0; i < 3; i++) {
      await t.app.db.prisma.integration.update({ where: { id: integrationId }, data: { nextHealthCheckAt: new Date(Date.now() - 1000) } });
      await t.app.scheduler.sweep();
    }
    t.app.sandbox!.setFault("google", { mode: "ok" });
    for (let i = 0; i < 2; i++) {
      await t.app.db.prisma.integration.update({ where: { id: integrationId }, data: { nextHealthCheckAt: new Date(Date.now() - 1000) } });
      await t.app.scheduler.sweep();
    }
    await deliverAll();

    const delivered = received.filter((r) => r.status === 200);
    expect(delivered.map((r) => r.type)).toEqual(["integration.connected", "health.degraded", "health.unhealthy", "health.recovered"]);
    expect(received.every((r) => r.verified)).toBe(true);
    // Each message was tried twice with the same webhook-id.
    for (const r of delivered) expect(attempts.get(r.id)).toBe(2);
    const log = await t.gql(`{ webhookEndpoints { deliveries(first: 10) { eventType status attempts responseStatus } } }`, { cookie: user.cookie });
    const deliveries = log.body.data.webhookEndpoints[0].deliveries;
    expect(deliveries).toHaveLength(4);
    for (const d of deliveries) expect(d).toMatchObject({ status: "delivered", attempts: 2, responseStatus: 200 });
  });
});
