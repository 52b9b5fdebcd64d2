import dns from "node:dns";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { createWebhookDispatcher, createWebhookEndpoint, emitWorkspaceEvent, type LookupAll } from "../../api/src/domain/webhooks/index.ts";

// Webhooks as a way into the server's own network (SSRF), tried as anyone who signs up would:
// a webhook URL on a special-use address (literal, in every spelling, or a name resolving to
// one) is refused by default; WEBHOOK_ALLOW_PRIVATE_URLS=on opts in; a name whose DNS answer
// changes between the check and the connection (rebinding) never reaches the second answer;
// and the receiver's answer body never comes back through the delivery log.

const enabled = await requirePostgres();

// One or more literals in every block of the IANA special-purpose registries, in the spellings
// URL parsers accept (decimal, octal, hex, short forms, trailing dot; IPv6 mapped, compatible,
// translated, NAT64, 6to4, Teredo).
const LITERALS = [
  "http://127.0.0.1/",
  "http://2130706433/",
  "http://0x7f.1/",
  "http://0x7f000001/",
  "http://017700000001/",
  "http://0177.0.0.01/",
  "http://127.1/",
  "http://127.0.0.1./",
  "http://0/",
  "http://0.0.0.0/",
  "http://10.0.0.1/",
  "http://100.64.0.1/",
  "http://100.127.255.254/",
  "http://169.254.169.254/latest/meta-data/",
  "http://2852039166/", // 169.254.169.254
  "http://172.16.0.1/",
  "http://172.31.255.254/",
  "http://192.0.0.170/",
  "http://192.0.2.1/",
  "http://192.31.196.1/",
  "http://192.52.193.1/",
  "http://192.88.99.1/",
  "http://192.168.0.1/",
  "http://192.175.48.1/",
  "http://198.18.0.1/",
  "http://198.19.255.254/",
  "http://198.51.100.1/",
  "http://203.0.113.1/",
  "http://224.0.0.1/",
  "http://239.255.255.250/",
  "http://240.0.0.1/",
  "http://255.255.255.255/",
  "http://[::]/",
  "http://[::1]/",
  "http://[0:0:0:0:0:0:0:1]/",
  "http://[::ffff:127.0.0.1]/",
  "http://[::ffff:7f00:1]/",
  "http://[::ffff:169.254.169.254]/",
  "http://[::127.0.0.1]/",
  "http://[::ffff:0:a00:1]/",
  "http://[64:ff9b::127.0.0.1]/",
  "http://[64:ff9b::a9fe:a9fe]/",
  "http://[64:ff9b::c0a8:101]/",
  "http://[64:ff9b:1::a00:1]/",
  "http://[100::1]/",
  "http://[100:0:0:1::1]/",
  "http://[2001::1]/",
  "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
  "http://[2001:2::1]/",
  "http://[2001:db8::1]/",
  "http://[2002:7f00:1::1]/",
  "http://[2002:a9fe:a9fe::1]/",
  "http://[2620:4f:8000::1]/",
  "http://[3fff::1]/",
  "http://[5f00::1]/",
  "http://[fc00::1]/",
  "http://[fd12:3456::1]/",
  "http://[fe80::1]/",
  "http://[fec0::1]/",
  "http://[ff02::1]/",
  "http://localhost/",
  "http://LOCALHOST./",
  "http://metadata.localhost/",
];

// What a name might resolve to: one address of each block, and mixes with a public one.
const RESOLVED: string[][] = [
  ["127.0.0.1"],
  ["10.1.2.3"],
  ["100.64.0.1"],
  ["169.254.169.254"],
  ["172.20.0.1"],
  ["192.168.1.1"],
  ["192.0.0.171"],
  ["198.18.0.1"],
  ["0.0.0.0"],
  ["224.0.0.251"],
  ["255.255.255.255"],
  ["::1"],
  ["::"],
  ["::ffff:127.0.0.1"],
  ["::127.0.0.1"],
  ["64:ff9b::7f00:1"],
  ["64:ff9b::a9fe:a9fe"],
  ["64:ff9b:1::1"],
  ["2002:a00:1::1"],
  ["2001::1"],
  ["2001:db8::1"],
  ["fd00::1"],
  ["fe80::1"],
  ["fe80::1%eth0"],
  ["ff02::fb"],
  ["93.184.216.34", "10.0.0.1"],
  ["2606:4700::1111", "fe80::1"],
];

const PUBLIC_ADDRESS = "93.184.216.34";
const answers =
  (...addresses: string[]): LookupAll =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

function startReceiver(secretBody: string) {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      hits.push(`${req.headers.host}${req.url}`);
      res.writeHead(500, { "content-type": "text/plain", "x-internal": "1" }).end(secretBody);
    });
  });
  return {
    hits,
    port: 0,
    async listen() {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      this.port = (server.address() as AddressInfo).port;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!enabled)("webhooks cannot reach the server's own network", () => {
  // `t` has the default settings (WEBHOOK_ALLOW_PRIVATE_URLS unset: off); `open` is a replica on
  // the same database with WEBHOOK_ALLOW_PRIVATE_URLS=on.
  let t: TestApp;
  let open: TestApp;
  let owner: Awaited<ReturnType<TestApp["signUp"]>>;
  const internalSecret = `internal-${randomBytes(8).toString("hex")}`;
  const receiver = startReceiver(`{"db_password":"${internalSecret}"}`);

  beforeAll(async () => {
    await receiver.listen();
    t = await startTestApp({ database: "postgres" });
    open = await startTestApp({
      database: "postgres",
      databaseUrl: t.db!.url,
      env: { ENCRYPTION_KEYS: t.app.env.ENCRYPTION_KEYS!, AUTH_SECRET: t.app.env.AUTH_SECRET!, WEBHOOK_ALLOW_PRIVATE_URLS: "on" },
    });
    owner = await t.signUp({ name: "Mallory" });
  });
  afterAll(async () => {
    await open?.close();
    await t?.close();
    await receiver.close();
  });

  const create = (app: TestApp, url: string) =>
    app.gql(`mutation($url: String!) { createWebhookEndpoint(url: $url) { secret endpoint { id } } }`, { cookie: owner.cookie, variables: { url } });
  const createWithDns = (url: string, lookup: LookupAll) =>
    createWebhookEndpoint({ prisma: t.app.db.prisma, vault: t.app.vault, env: t.app.env, workspaceId: owner.workspaceId, actor: { userId: owner.userId }, url, lookup });
  const deliveries = () => t.app.db.prisma.webhookDelivery.findMany({ orderBy: { createdAt: "asc" } });

  it("refuses a literal address in every special-use block and spelling, by default", async () => {
    expect(t.app.env.WEBHOOK_ALLOW_PRIVATE_URLS).toBe("off");
    for (const base of LITERALS) {
      for (const url of [base, base.replace(/^http:\/\/([^/]+)\//, `http://$1:${receiver.port}/`), base.replace(/^http:/, "https:")]) {
        const res = await create(t, url);
        expect(res.body.errors?.[0]?.extensions, url).toMatchObject({ code: "BAD_USER_INPUT", field: "url" });
        expect(res.body.errors?.[0]?.message, url).toMatch(/^Webhook URL refused: the URL points at a private/);
      }
    }
    expect(await t.app.db.prisma.webhookEndpoint.count()).toBe(0);
    expect(receiver.hits).toEqual([]);
  });

  it("refuses a name resolving to any special-use address, without telling which", async () => {
    for (const addresses of RESOLVED) {
      const refused = await createWithDns("https://hooks.customer.example/in", answers(...addresses)).then(
        () => null,
        (error: Error) => error.message,
      );
      expect(refused, addresses.join(", ")).toMatch(/^Webhook URL refused: the host resolves to /);
    }
    // Neither the address nor its block is named: that would answer questions about internal DNS.
    await expect(createWithDns("https://hooks.customer.example/in", answers("10.20.30.40"))).rejects.toThrow(
      /^Webhook URL refused: the host resolves to a private, loopback or special-use address\.$/,
    );
    expect(await t.app.db.prisma.webhookEndpoint.count()).toBe(0);
    // Public answers, including NAT64 and 6to4 forms of public IPv4 addresses, are fine.
    const { endpoint } = await createWithDns("https://hooks.customer.example/in", answers(PUBLIC_ADDRESS, "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"));
    await t.app.db.prisma.webhookEndpoint.delete({ where: { id: endpoint.id } });
  });

  it("WEBHOOK_ALLOW_PRIVATE_URLS=on lets a local receiver in; with it off the delivery is refused again", async () => {
    const created = await create(open, `http://127.0.0.1:${receiver.port}/opted-in`);
    expect(created.body.errors).toBeUndefined();
    const endpointId = created.body.data.createWebhookEndpoint.endpoint.id as string;

    expect(await emitWorkspaceEvent({ prisma: t.app.db.prisma, workspaceId: owner.workspaceId, type: "integration.connected", data: { integrationId: "i1" } })).toBe(1);
    // The replica with the default settings claims it and refuses to send it.
    expect(await createWebhookDispatcher({ ...t.app.services, env: { ...t.app.services.env, WEBHOOK_MAX_ATTEMPTS: 1 } }).runOnce()).toBe(1);
    expect(receiver.hits).toEqual([]);
    expect((await deliveries()).map((d) => [d.status, d.lastError])).toEqual([
      ["failed", "URL refused: the URL points at a private, loopback or special-use address (127.0.0.0/8, loopback (RFC 1122))"],
    ]);

    // The opted-in replica sends the next one.
    await emitWorkspaceEvent({ prisma: t.app.db.prisma, workspaceId: owner.workspaceId, type: "integration.connected", data: { integrationId: "i2" } });
    expect(await createWebhookDispatcher({ ...open.app.services, env: { ...open.app.services.env, WEBHOOK_MAX_ATTEMPTS: 1 } }).runOnce()).toBe(1);
    expect(receiver.hits).toEqual([`127.0.0.1:${receiver.port}/opted-in`]);
    await t.app.db.prisma.webhookEndpoint.delete({ where: { id: endpointId } });
    receiver.hits.length = 0;
  });

  it("keeps the status of an answer in the delivery log, never its body", async () => {
    const created = await create(open, `http://127.0.0.1:${receiver.port}/internal-service`);
    const endpointId = created.body.data.createWebhookEndpoint.endpoint.id as string;
    const sent = await open.gql(`mutation($id: ID!) { sendTestWebhook(id: $id) { status responseStatus lastError } }`, { cookie: owner.cookie, variables: { id: endpointId } });
    expect(sent.body.data.sendTestWebhook).toEqual({ status: "pending", responseStatus: 500, lastError: "HTTP 500" });
    expect(receiver.hits).toEqual([`127.0.0.1:${receiver.port}/internal-service`]);

    const log = await open.gql(`{ webhookEndpoints { deliveries { eventType status attempts responseStatus lastError durationMs responseHeaders } } }`, { cookie: owner.cookie });
    const [delivery] = log.body.data.webhookEndpoints[0].deliveries;
    expect(delivery).toMatchObject({ eventType: "WEBHOOK_TEST", status: "pending", attempts: 1, responseStatus: 500, lastError: "HTTP 500" });
    // Timing and an allowlist of the answer's headers are kept; the receiver's own headers are not.
    expect(delivery.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(delivery.responseHeaders)).toMatchObject({ "content-type": "text/plain" });
    expect(delivery.responseHeaders).not.toContain("x-internal");
    // Nowhere: not in any GraphQL answer, any row, or the logs.
    expect(open.responses.some((r) => r.includes(internalSecret))).toBe(false);
    for (const table of ["webhook_delivery", "webhook_endpoint", "audit_event"]) {
      for (const { row } of await t.app.db.query<{ row: string }>(`SELECT row_to_json(x)::text AS row FROM ${table} x`)) expect(row).not.toContain(internalSecret);
    }
    expect(open.logs()).not.toContain(internalSecret);
    await t.app.db.prisma.webhookEndpoint.delete({ where: { id: endpointId } });
    receiver.hits.length = 0;
  });

  it("connects to the address it checked: a rebinding DNS answer (public, then 127.0.0.1) never reaches the receiver", async () => {
    const host = "rebind.attacker.example";
    // One DNS server for the whole process: the first question about the name gets a public
    // address, every later one 127.0.0.1. It answers the URL policy (injected) and anything that
    // resolves the name on its own through node:dns, as fetch does when it connects.
    let questions = 0;
    const answer = () => (++questions === 1 ? PUBLIC_ADDRESS : "127.0.0.1");
    const rebinding: LookupAll = async () => [{ address: answer(), family: 4 }];
    const systemLookup = dns.lookup;
    dns.lookup = ((hostname: string, options: unknown, callback?: unknown) => {
      if (hostname !== host) return (systemLookup as (...args: unknown[]) => void)(hostname, options, callback);
      const cb = (typeof options === "function" ? options : callback) as (...args: unknown[]) => void;
      const address = answer();
      const all = typeof options === "object" && options !== null && (options as { all?: boolean }).all;
      process.nextTick(() => (all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4)));
    }) as typeof dns.lookup;
    receiver.hits.length = 0;
    try {
      const { endpoint } = await createWithDns(`http://${host}:${receiver.port}/rebound`, rebinding);
      questions = 0;
      await emitWorkspaceEvent({ prisma: t.app.db.prisma, workspaceId: owner.workspaceId, type: "integration.disconnected", data: { integrationId: "i3" } });
      const dispatcher = createWebhookDispatcher({ ...t.app.services, env: { ...t.app.services.env, WEBHOOK_TIMEOUT_MS: 1000, WEBHOOK_MAX_ATTEMPTS: 1 }, lookup: rebinding });
      expect(await dispatcher.runOnce()).toBe(1);
      expect(receiver.hits).toEqual([]);
      // Resolved once for the attempt; the connection used that answer and asked nothing more.
      expect(questions).toBe(1);
      const [delivery] = await t.app.db.prisma.webhookDelivery.findMany({ where: { endpointId: endpoint.id } });
      expect(delivery).toMatchObject({ status: "failed", responseStatus: null });
      expect(delivery!.lastError).toMatch(new RegExp(`^(${host}:${receiver.port} did not answer within 1000 ms|could not reach ${host}:${receiver.port}.*)$`));
    } finally {
      dns.lookup = systemLookup;
    }
  });
});
