import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWorkspaceApiKey } from "@switchboard/api/auth/api-keys";
import {
  createWebhookDispatcher,
  emitWorkspaceEvent,
  summarizeSweep,
  USER_AGENT,
  type SweepResult,
} from "../../api/src/domain/webhooks/index.ts";

// Outbound webhooks end to end on real Postgres: a real receiver that verifies every signature
// with the standardwebhooks library, retries with backoff on an injected clock, two dispatchers
// racing on one database, roles, workspace isolation, URL policy and secret handling.

// The tests package does not depend on standardwebhooks; load the api package's copy.
const { Webhook } = createRequire(new URL("../../api/package.json", import.meta.url))("standardwebhooks") as typeof import("standardwebhooks");

type Received = { path: string; headers: Record<string, string>; body: string; verified: boolean; status: number };

/** How a receiver path answers: flaky = 500 for the first two attempts of a message, then 200. */
type Mode = "flaky" | "ok" | "down" | "redirect";

function startReceiver() {
  const secrets = new Map<string, string>();
  const modes = new Map<string, Mode>();
  const seen = new Map<string, number>();
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified = false;
      try {
        new Webhook(secrets.get(path) ?? "whsec_AAAA").verify(body, headers);
        verified = true;
      } catch {}
      const id = headers["webhook-id"] ?? "";
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      const mode = modes.get(path) ?? "ok";
      const status = mode === "down" ? 500 : mode === "redirect" ? 302 : mode === "flaky" && n <= 2 ? 500 : 200;
      received.push({ path, headers, body, verified, status });
      const delay = mode === "ok" ? 15 : 0;
      setTimeout(() => {
        if (status === 302) res.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" }).end();
        else if (status === 500) res.writeHead(500, { "content-type": "text/plain" }).end(`receiver error ${"x".repeat(1000)}`);
        else res.writeHead(200).end("ok");
      }, delay);
    });
  });
  return {
    secrets,
    modes,
    received,
    url: "",
    async listen() {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const enabled = await requirePostgres();

describe.skipIf(!enabled)("webhooks", () => {
  let t: TestApp;
  let second: TestApp;
  let alice: Awaited<ReturnType<TestApp["signUp"]>>;
  let bob: Awaited<ReturnType<TestApp["signUp"]>>;
  const receiver = startReceiver();
  let secret = "";
  let flakyId = "";
  let createResponseIndex = -1;

  const services = () => t.app.services;
  const gqlAlice = (query: string, variables?: Record<string, unknown>) => t.gql(query, { cookie: alice.cookie, variables });

  async function createEndpoint(path: string, mode: Mode, events?: string[]) {
    receiver.modes.set(path, mode);
    const res = await gqlAlice(
      `mutation($url: String!, $events: [WebhookEventType!], $description: String) {
        createWebhookEndpoint(url: $url, events: $events, description: $description) { secret endpoint { id url events enabled description } }
      }`,
      { url: `${receiver.url}${path}`, events, description: `receiver ${path}` },
    );
    expect(res.body.errors).toBeUndefined();
    const created = res.body.data.createWebhookEndpoint;
    receiver.secrets.set(path, created.secret);
    return { id: created.endpoint.id as string, secret: created.secret as string, index: t.responses.length - 1 };
  }

  async function deliveriesOf(endpointId: string) {
    return t.app.db.prisma.webhookDelivery.findMany({ where: { endpointId }, orderBy: { createdAt: "asc" } });
  }

  beforeAll(async () => {
    await receiver.listen();
    t = await startTestApp({ database: "postgres", env: { WEBHOOK_ALLOW_PRIVATE_URLS: "on" } });
    // A second replica on the same database, with the same secrets, where private URLs are off.
    second = await startTestApp({
      database: "postgres",
      databaseUrl: t.db!.url,
      env: { ENCRYPTION_KEYS: t.app.env.ENCRYPTION_KEYS!, AUTH_SECRET: t.app.env.AUTH_SECRET!, WEBHOOK_ALLOW_PRIVATE_URLS: "off" },
    });
    alice = await t.signUp({ name: "Alice" });
    bob = await t.signUp({ name: "Bob" });
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
    await receiver.close();
  });

  it("creates an endpoint and shows its whsec_ secret once, stored only sealed", async () => {
    const created = await createEndpoint("/flaky", "flaky", ["HEALTH_DEGRADED", "WEBHOOK_TEST"]);
    ({ id: flakyId, secret } = created);
    createResponseIndex = created.index;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), "base64").length).toBeGreaterThanOrEqual(24);

    const row = await t.app.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: flakyId } });
    expect(row).toMatchObject({ workspaceId: alice.workspaceId, events: ["health.degraded", "webhook.test"], enabled: true, keyId: "test1" });
    expect(row.secretEnc).toMatch(/^v1\.test1\./);
    expect(t.app.vault.open(row.secretEnc, { table: "webhook_endpoint", rowId: flakyId, field: "secret" })).toBe(secret);
    const audit = await t.app.db.prisma.auditEvent.findMany({ where: { workspaceId: alice.workspaceId, action: "webhook.created" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.metadata).toEqual({ origin: receiver.url, events: ["health.degraded", "webhook.test"] });

    const list = await gqlAlice("{ webhookEndpoints { id url events enabled description deliveries { id } } }");
    expect(list.body.data.webhookEndpoints).toEqual([
      { id: flakyId, url: `${receiver.url}/flaky`, events: ["HEALTH_DEGRADED", "WEBHOOK_TEST"], enabled: true, description: "receiver /flaky", deliveries: [] },
    ]);
    // No field of the type can reach the secret.
    const probe = await gqlAlice("{ webhookEndpoints { secret } }");
    expect(probe.body.errors?.[0]?.message).toMatch(/Cannot query field "secret"/);
  });

  it("validates arguments with BAD_USER_INPUT", async () => {
    const create = (url: string, events?: string[], description?: string) =>
      gqlAlice("mutation($url: String!, $events: [WebhookEventType!], $d: String) { createWebhookEndpoint(url: $url, events: $events, description: $d) { secret } }", { url, events, d: description });
    const cases: [Promise<Awaited<ReturnType<typeof create>>>, RegExp][] = [
      [create("ftp://example.com/hook"), /https/],
      [create("http://user:pass@127.0.0.1:9/hook"), /user name or password/],
      [create("not a url"), /not a valid URL/],
      // UNKNOWN (an output-only value for stored types a version dropped) is refused by the domain.
      [create(`${receiver.url}/x`, ["UNKNOWN"]), /Unknown event type "unknown"/],
      [create(`${receiver.url}/x`, [], "d".repeat(201)), /at most 200/],
    ];
    for (const [pending, message] of cases) {
      const res = await pending;
      expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      expect(res.body.errors?.[0]?.message).toMatch(message);
    }
    // Event types are the WebhookEventType enum: GraphQL itself refuses any other name.
    const madeUp = await create(`${receiver.url}/x`, ["HEALTH_DEGRADED", "MADE_UP"]);
    expect(madeUp.body.errors?.[0]?.message).toMatch(/^Variable "\$events" got invalid value "MADE_UP".*WebhookEventType/);
    expect(madeUp.body.data ?? null).toBeNull();
    expect(await t.app.db.prisma.webhookEndpoint.count()).toBe(1);
  });

  it("refuses private and loopback URLs when WEBHOOK_ALLOW_PRIVATE_URLS=off", async () => {
    const key = await createWorkspaceApiKey({ auth: t.app.auth, prisma: t.app.db.prisma, userId: alice.userId, workspaceId: alice.workspaceId, name: "ops", role: "admin" });
    for (const url of [`${receiver.url}/x`, "http://localhost:8080/x", "http://10.0.0.5/x", "http://[::1]:8080/x", "http://169.254.169.254/latest/meta-data"]) {
      const res = await second.gql(`mutation($url: String!) { createWebhookEndpoint(url: $url) { secret } }`, { apiKey: key.key, variables: { url } });
      expect(res.body.errors?.[0]?.extensions?.code, url).toBe("BAD_USER_INPUT");
      expect(res.body.errors?.[0]?.message).toMatch(/private, loopback or special-use/);
    }
  });

  it("queues subscribed events without tokens, retries with backoff and delivers signed messages with one webhook-id", async () => {
    const queued = await emitWorkspaceEvent({
      prisma: services().prisma,
      workspaceId: alice.workspaceId,
      type: "health.degraded",
      data: { integrationId: "int_1", providerId: "slack", healthStatus: "DEGRADED", message: "slow", accessToken: "xoxb-secret-token" } as never,
    });
    expect(queued).toBe(1);
    // Not subscribed to integration.connected; Bob's workspace has no endpoints.
    expect(await emitWorkspaceEvent({ prisma: services().prisma, workspaceId: alice.workspaceId, type: "integration.connected", data: {} })).toBe(0);
    expect(await emitWorkspaceEvent({ prisma: services().prisma, workspaceId: bob.workspaceId, type: "health.degraded", data: {} })).toBe(0);

    let clock = new Date();
    const dispatcher = createWebhookDispatcher({ ...services(), now: () => clock });
    const seconds = (s: number) => (clock = new Date(clock.getTime() + s * 1000));
    const state = async () => (await deliveriesOf(flakyId))[0]!;

    expect(await dispatcher.runOnce()).toBe(1);
    let d = await state();
    expect(d).toMatchObject({ status: "pending", attempts: 1, responseStatus: 500 });
    // The status only: the receiver's body ("receiver error xxx…") is never kept.
    expect(d.lastError).toBe("HTTP 500");
    const firstDelay = d.nextAttemptAt!.getTime() - clock.getTime();
    expect(firstDelay).toBeGreaterThanOrEqual(4500);
    expect(firstDelay).toBeLessThanOrEqual(5500);

    expect(await dispatcher.runOnce()).toBe(0); // not due yet
    seconds(6);
    expect(await dispatcher.runOnce()).toBe(1);
    d = await state();
    expect(d).toMatchObject({ status: "pending", attempts: 2, responseStatus: 500 });
    const secondDelay = d.nextAttemptAt!.getTime() - clock.getTime();
    expect(secondDelay).toBeGreaterThanOrEqual(27_000);
    expect(secondDelay).toBeLessThanOrEqual(33_000);

    seconds(20);
    expect(await dispatcher.runOnce()).toBe(0);
    seconds(15);
    expect(await dispatcher.runOnce()).toBe(1);

    const got = receiver.received.filter((r) => r.path === "/flaky");
    expect(got.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(got.every((r) => r.verified)).toBe(true);
    expect(new Set(got.map((r) => r.headers["webhook-id"]))).toEqual(new Set([d.messageId]));
    expect(d.messageId).toMatch(/^msg_[A-Za-z0-9_-]{20,}$/);
    for (const r of got) {
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.headers["user-agent"]).toBe(USER_AGENT);
      expect(r.headers["webhook-signature"]).toMatch(/^v1,/);
      expect(Math.abs(Number(r.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
      expect(r.body).not.toContain("xoxb-secret-token");
    }
    const payload = JSON.parse(got[2]!.body);
    expect(payload).toEqual({ type: "health.degraded", timestamp: expect.any(String), data: { integrationId: "int_1", providerId: "slack", healthStatus: "DEGRADED", message: "slow" } });

    const log = await gqlAlice("{ webhookEndpoints { id deliveries { messageId eventType status attempts responseStatus lastError nextAttemptAt } } }");
    expect(log.body.data.webhookEndpoints[0].deliveries).toEqual([
      { messageId: d.messageId, eventType: "HEALTH_DEGRADED", status: "delivered", attempts: 3, responseStatus: 200, lastError: null, nextAttemptAt: null },
    ]);
  });

  it("gives up after WEBHOOK_MAX_ATTEMPTS, treats redirects as failures, and re-checks the URL policy at delivery", async () => {
    const down = await createEndpoint("/down", "down", ["INTEGRATION_DISCONNECTED"]);
    const moved = await createEndpoint("/moved", "redirect", ["INTEGRATION_DISCONNECTED"]);
    expect(await emitWorkspaceEvent({ prisma: services().prisma, workspaceId: alice.workspaceId, type: "integration.disconnected", data: { integrationId: "int_2", providerId: "google" } })).toBe(2);
    let clock = new Date();
    const dispatcher = createWebhookDispatcher({ ...services(), env: { ...services().env, WEBHOOK_MAX_ATTEMPTS: 2 }, now: () => clock });
    expect(await dispatcher.runOnce()).toBe(2);
    clock = new Date(clock.getTime() + 60_000);
    expect(await dispatcher.runOnce()).toBe(2);
    expect(await dispatcher.runOnce()).toBe(0);
    const [gaveUp] = await deliveriesOf(down.id);
    expect(gaveUp).toMatchObject({ status: "failed", attempts: 2, responseStatus: 500, nextAttemptAt: null });
    const [redirected] = await deliveriesOf(moved.id);
    expect(redirected).toMatchObject({ status: "failed", attempts: 2, responseStatus: 302, lastError: "HTTP 302: redirects are not followed" });
    expect(receiver.received.filter((r) => r.path === "/elsewhere")).toHaveLength(0);

    // An endpoint saved while loopback was allowed is refused when the policy says otherwise.
    await t.app.db.prisma.webhookEndpoint.updateMany({ where: { id: { in: [down.id, moved.id] } }, data: { events: ["integration.connected"] } });
    const before = receiver.received.length;
    expect(await emitWorkspaceEvent({ prisma: services().prisma, workspaceId: alice.workspaceId, type: "integration.connected", data: {} })).toBe(2);
    const strict = createWebhookDispatcher({ ...services(), env: { ...services().env, allowPrivateWebhookUrls: false, WEBHOOK_MAX_ATTEMPTS: 1 } });
    expect(await strict.runOnce()).toBe(2);
    expect(receiver.received.length).toBe(before);
    const refused = await t.app.db.prisma.webhookDelivery.findMany({ where: { eventType: "integration.connected" } });
    expect(refused.map((r) => [r.status, r.lastError])).toEqual([
      ["failed", "URL refused: the URL points at a private, loopback or special-use address (127.0.0.0/8, loopback (RFC 1122))"],
      ["failed", "URL refused: the URL points at a private, loopback or special-use address (127.0.0.0/8, loopback (RFC 1122))"],
    ]);
    await gqlAlice(`mutation { a: deleteWebhookEndpoint(id: "${down.id}") b: deleteWebhookEndpoint(id: "${moved.id}") }`);
  });

  it("never delivers one message twice when two dispatchers on two database clients race", async () => {
    const { id } = await createEndpoint("/ok", "ok", ["INTEGRATION_REAUTH_REQUIRED"]);
    for (let i = 0; i < 40; i++) {
      await emitWorkspaceEvent({ prisma: services().prisma, workspaceId: alice.workspaceId, type: "integration.reauth_required", data: { integrationId: `int_${i}` } });
    }
    const one = createWebhookDispatcher({ ...t.app.services });
    const two = createWebhookDispatcher({ ...second.app.services, env: { ...second.app.services.env, allowPrivateWebhookUrls: true } });
    expect(second.app.services.prisma).not.toBe(t.app.services.prisma);
    const [a, b] = await Promise.all([one.runOnce(), two.runOnce()]);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    expect(a + b).toBe(40);
    expect(await Promise.all([one.runOnce(), two.runOnce()])).toEqual([0, 0]);

    const got = receiver.received.filter((r) => r.path === "/ok");
    const ids = got.map((r) => r.headers["webhook-id"]);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    expect(got.every((r) => r.verified)).toBe(true);
    const rows = await deliveriesOf(id);
    expect(rows.every((r) => r.status === "delivered" && r.attempts === 1)).toBe(true);
  });

  it("polls with start() and stops cleanly", async () => {
    const dispatcher = createWebhookDispatcher({ ...t.app.services });
    await emitWorkspaceEvent({ prisma: services().prisma, workspaceId: alice.workspaceId, type: "integration.reauth_required", data: { integrationId: "int_poll" } });
    dispatcher.start();
    dispatcher.start(); // idempotent
    const deadline = Date.now() + 10_000;
    while ((await t.app.db.prisma.webhookDelivery.count({ where: { status: "pending" } })) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await dispatcher.stop();
    expect(await t.app.db.prisma.webhookDelivery.count({ where: { status: "pending" } })).toBe(0);
  });

  it("sendTestWebhook delivers a signed webhook.test right away", async () => {
    const res = await gqlAlice(`mutation { sendTestWebhook(id: "${flakyId}") { id messageId eventType status attempts responseStatus } }`);
    expect(res.body.errors).toBeUndefined();
    const delivery = res.body.data.sendTestWebhook;
    // The flaky receiver answers 500 twice per message: the first attempt fails and is queued again.
    expect(delivery).toMatchObject({ eventType: "WEBHOOK_TEST", status: "pending", attempts: 1, responseStatus: 500 });

    const ok = await createEndpoint("/ok-test", "ok");
    const sent = await gqlAlice(`mutation { sendTestWebhook(id: "${ok.id}") { messageId eventType status attempts responseStatus lastError } }`);
    expect(sent.body.data.sendTestWebhook).toMatchObject({ eventType: "WEBHOOK_TEST", status: "delivered", attempts: 1, responseStatus: 200, lastError: null });
    const got = receiver.received.filter((r) => r.path === "/ok-test");
    expect(got).toHaveLength(1);
    expect(got[0]!.verified).toBe(true);
    expect(got[0]!.headers["webhook-id"]).toBe(sent.body.data.sendTestWebhook.messageId);
    expect(new Webhook(ok.secret).verify(got[0]!.body, got[0]!.headers)).toMatchObject({ type: "webhook.test", data: { endpointId: ok.id } });
    await t.app.db.prisma.webhookDelivery.deleteMany({ where: { endpointId: flakyId, eventType: "webhook.test" } });
  });

  it("updates and disables endpoints; a disabled endpoint gets nothing new", async () => {
    const res = await gqlAlice(
      `mutation { updateWebhookEndpoint(id: "${flakyId}", events: [], description: null, enabled: false) { id events description enabled url } }`,
    );
    expect(res.body.data.updateWebhookEndpoint).toEqual({ id: flakyId, events: [], description: null, enabled: false, url: `${receiver.url}/flaky` });
    const bad = await gqlAlice(`mutation { updateWebhookEndpoint(id: "${flakyId}", url: "ftp://x") { id } }`);
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "url" });
    const before = (await deliveriesOf(flakyId)).length;
    await emitWorkspaceEvent({ prisma: services().prisma, workspaceId: alice.workspaceId, type: "health.recovered", data: {} });
    expect((await deliveriesOf(flakyId)).length).toBe(before);
    await gqlAlice(`mutation { updateWebhookEndpoint(id: "${flakyId}", enabled: true) { id } }`);
    await createWebhookDispatcher({ ...services() }).runOnce();
  });

  it("turns a sweep where 4 of 5 Slack connections failed into one provider.incident delivery", async () => {
    const { id } = await createEndpoint("/incidents", "ok", ["PROVIDER_INCIDENT", "HEALTH_DEGRADED", "HEALTH_UNHEALTHY"]);
    const sweep: SweepResult[] = [1, 2, 3, 4, 5].map((n) => ({
      workspaceId: alice.workspaceId,
      integrationId: `slack_${n}`,
      providerId: "slack",
      transition: n <= 2 ? "degraded" : n <= 4 ? "unhealthy" : null,
    }));
    const events = summarizeSweep(sweep);
    expect(events).toEqual([
      { workspaceId: alice.workspaceId, type: "provider.incident", data: { providerId: "slack", count: 4, checked: 5, integrationIds: ["slack_1", "slack_2", "slack_3", "slack_4"] } },
    ]);
    for (const e of events) await emitWorkspaceEvent({ prisma: services().prisma, ...e });
    await createWebhookDispatcher({ ...services() }).runOnce();
    const rows = await deliveriesOf(id);
    expect(rows.map((r) => [r.eventType, r.status])).toEqual([["provider.incident", "delivered"]]);
    const got = receiver.received.filter((r) => r.path === "/incidents");
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0]!.body).data).toEqual({ providerId: "slack", count: 4, checked: 5, integrationIds: ["slack_1", "slack_2", "slack_3", "slack_4"] });
  });

  it("loads endpoints with their deliveries in one database operation", async () => {
    const original = t.app.services.prisma;
    const operations: string[] = [];
    t.app.services.prisma = original.$extends({
      query: {
        $allOperations({ model, operation, args, query }) {
          if (model?.startsWith("Webhook")) operations.push(`${model}.${operation}`);
          return query(args);
        },
      },
    }) as unknown as typeof original;
    try {
      const res = await gqlAlice("{ webhookEndpoints { id deliveries(first: 5) { id status } } }");
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.webhookEndpoints.length).toBeGreaterThanOrEqual(3);
    } finally {
      t.app.services.prisma = original;
    }
    expect(operations).toEqual(["WebhookEndpoint.findMany"]);
  });

  it("lets only owners and admins manage webhooks", async () => {
    for (const role of ["member", "viewer"] as const) {
      const key = await createWorkspaceApiKey({ auth: t.app.auth, prisma: t.app.db.prisma, userId: alice.userId, workspaceId: alice.workspaceId, name: role, role });
      const ops = [
        "{ webhookEndpoints { id } }",
        `mutation { createWebhookEndpoint(url: "${receiver.url}/nope") { secret } }`,
        `mutation { updateWebhookEndpoint(id: "${flakyId}", enabled: false) { id } }`,
        `mutation { deleteWebhookEndpoint(id: "${flakyId}") }`,
        `mutation { sendTestWebhook(id: "${flakyId}") { id } }`,
      ];
      for (const op of ops) {
        const res = await t.gql(op, { apiKey: key.key });
        expect(res.body.errors?.[0]?.extensions?.code, `${role}: ${op}`).toBe("FORBIDDEN");
        expect(res.body.data).toBeNull();
      }
    }
    const admin = await createWorkspaceApiKey({ auth: t.app.auth, prisma: t.app.db.prisma, userId: alice.userId, workspaceId: alice.workspaceId, name: "admin", role: "admin" });
    const list = await t.gql("{ webhookEndpoints { id } }", { apiKey: admin.key });
    expect(list.body.data.webhookEndpoints.map((e: { id: string }) => e.id)).toContain(flakyId);
    expect(await t.app.db.prisma.webhookEndpoint.count({ where: { id: flakyId, enabled: true } })).toBe(1);
  });

  it("keeps endpoints invisible to other workspaces", async () => {
    const asBob = (query: string) => t.gql(query, { cookie: bob.cookie });
    expect((await asBob("{ webhookEndpoints { id } }")).body.data.webhookEndpoints).toEqual([]);
    for (const op of [
      `mutation { deleteWebhookEndpoint(id: "${flakyId}") }`,
      `mutation { updateWebhookEndpoint(id: "${flakyId}", url: "${receiver.url}/stolen") { id } }`,
      `mutation { sendTestWebhook(id: "${flakyId}") { id } }`,
    ]) {
      const res = await asBob(op);
      expect(res.body.errors?.[0]?.extensions?.code, op).toBe("NOT_FOUND");
    }
    const row = await t.app.db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: flakyId } });
    expect(row.url).toBe(`${receiver.url}/flaky`);
    expect(receiver.received.some((r) => r.path === "/stolen")).toBe(false);
  });

  it("deletes an endpoint with its deliveries, and the secret never appears again", async () => {
    const res = await gqlAlice(`mutation { deleteWebhookEndpoint(id: "${flakyId}") }`);
    expect(res.body.data).toEqual({ deleteWebhookEndpoint: true });
    expect(await t.app.db.prisma.webhookDelivery.count({ where: { endpointId: flakyId } })).toBe(0);
    expect((await gqlAlice(`mutation { deleteWebhookEndpoint(id: "${flakyId}") }`)).body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const actions = (await t.app.db.prisma.auditEvent.findMany({ where: { workspaceId: alice.workspaceId, targetId: flakyId }, orderBy: { createdAt: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["webhook.created", "webhook.updated", "webhook.updated", "webhook.deleted"]);

    // Not in any later response, in any row of the database, nor in the logs.
    const body = secret.slice("whsec_".length);
    const later = [...t.responses.slice(0, createResponseIndex), ...t.responses.slice(createResponseIndex + 1)];
    expect(later.some((r) => r.includes(body))).toBe(false);
    expect(t.responses[createResponseIndex]).toContain(secret);
    const tables = ["webhook_endpoint", "webhook_delivery", "audit_event"];
    for (const table of tables) {
      const rows = await t.app.db.query<{ row: string }>(`SELECT row_to_json(x)::text AS row FROM ${table} x`);
      for (const r of rows) expect(r.row).not.toContain(body);
    }
    expect(t.logs()).not.toContain(body);
    expect(second.logs()).not.toContain(body);
  });
});

describe("webhooks on the embedded database (PGlite)", () => {
  it("claims, signs and delivers with the same SQL", async () => {
    const receiver = startReceiver();
    await receiver.listen();
    const t = await startTestApp({ database: "pglite", env: { WEBHOOK_ALLOW_PRIVATE_URLS: "on" } });
    try {
      const owner = await t.signUp();
      receiver.modes.set("/pglite", "flaky");
      const res = await t.gql(`mutation($url: String!) { createWebhookEndpoint(url: $url) { secret endpoint { id } } }`, { cookie: owner.cookie, variables: { url: `${receiver.url}/pglite` } });
      receiver.secrets.set("/pglite", res.body.data.createWebhookEndpoint.secret);
      expect(await emitWorkspaceEvent({ prisma: t.app.services.prisma, workspaceId: owner.workspaceId, type: "health.unhealthy", data: { integrationId: "i" } })).toBe(1);
      let clock = new Date();
      const dispatcher = createWebhookDispatcher({ ...t.app.services, now: () => clock });
      for (let i = 0; i < 3; i++) {
        expect(await dispatcher.runOnce()).toBe(1);
        expect(await dispatcher.runOnce()).toBe(0);
        clock = new Date(clock.getTime() + 3_600_000);
      }
      const [row] = await t.app.db.prisma.webhookDelivery.findMany();
      expect(row).toMatchObject({ status: "delivered", attempts: 3, responseStatus: 200 });
      expect(receiver.received.map((r) => [r.status, r.verified])).toEqual([
        [500, true],
        [500, true],
        [200, true],
      ]);
    } finally {
      await t.close();
      await receiver.close();
    }
  });
});
