import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { wsClient, wsQuery } from "../support/ws.ts";
import { THROTTLE_RULES } from "@switchboard/api/auth/throttle";

// Throttling (issue 12, item 4). The finding: sign-in throttling keyed on X-Forwarded-For as the
// client sent it, so a new header per attempt was never throttled, and there was no per-account
// limit. Now the address is the socket's (X-Forwarded-For only from TRUSTED_PROXIES), sign-in
// is limited per account and per address, sign-up and invalid API keys per address; the
// answer is HTTP 429 with Retry-After and a message that says so; the counts live in Postgres.

const enabled = await requirePostgres();

type Answer = { status: number; retryAfter: string | null; body: { code?: string; message?: string } };

async function post(t: TestApp, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${t.url}${path}`, { method: "POST", headers: { "content-type": "application/json", origin: t.origin, ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: Answer["body"] = {};
  try {
    parsed = JSON.parse(text) as Answer["body"];
  } catch {
    parsed = { message: text };
  }
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: parsed };
}

const signIn = (t: TestApp, email: string, password: string, from?: string) => post(t, "/api/auth/sign-in/email", { email, password }, from ? { "x-forwarded-for": from } : {});
let n = 0;
/** A new address each call: 198.18.x.y (a benchmarking range nobody uses). */
const nextAddress = () => `198.18.${Math.floor(++n / 250)}.${(n % 250) + 1}`;

describe.skipIf(!enabled)("throttling without trusted proxies (X-Forwarded-For is ignored)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
  });
  afterAll(() => t?.close());
  // Every request here comes from 127.0.0.1: each test starts with no counts.
  afterEach(async () => {
    await t.app.db.prisma.$executeRaw`DELETE FROM "auth_throttle"`;
  });

  it("finding: a new X-Forwarded-For per attempt was never throttled; the sixth failure for an account is refused with 429 and Retry-After", async () => {
    const victim = await t.signUp({ name: "Victim" });
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 8; i++) {
      last = await signIn(t, victim.email, `wrong-guess-${i}`, nextAddress());
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    expect(Number(last!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(last!.retryAfter)).toBeLessThanOrEqual(THROTTLE_RULES["sign-in:account"].baseSeconds);
    expect(last!.body).toMatchObject({ code: "TOO_MANY_ATTEMPTS", message: expect.stringMatching(/^Too many failed sign-in attempts for this account\. Try again in \d+ seconds\.$/) });
    // Even the right password waits: a guess that happens to be right learns nothing.
    expect((await signIn(t, victim.email, "correct horse battery")).status).toBe(429);
    // The session records the socket's address, not the header.
    await t.signIn((await t.signUp({ name: "Other" })).email);
    const sessions = await t.app.db.prisma.session.findMany({ select: { ipAddress: true } });
    expect(new Set(sessions.map((s) => s.ipAddress))).toEqual(new Set(["127.0.0.1"]));
  });

  it("the wait grows with each further failure, and a success clears the account's count", async () => {
    const user = await t.signUp({ name: "Grower" });
    for (let i = 0; i < 5; i++) await signIn(t, user.email, `nope-${i}`);
    const expire = () => t.app.db.prisma.$executeRaw`UPDATE "auth_throttle" SET "blockedUntil" = now() - interval '1 second' WHERE "blockedUntil" IS NOT NULL`;
    const waitOf = async () => Number((await signIn(t, user.email, "still wrong")).retryAfter);
    expect(await waitOf()).toBeGreaterThan(THROTTLE_RULES["sign-in:account"].baseSeconds - 2); // blocked by the 5th failure
    await expire();
    expect((await signIn(t, user.email, "sixth wrong")).status).toBe(401);
    expect(await waitOf()).toBeGreaterThan(THROTTLE_RULES["sign-in:account"].baseSeconds * 2 - 2);
    await expire();
    expect((await signIn(t, user.email, "correct horse battery")).status).toBe(200);
    // Cleared: five more failures before the next wait.
    for (let i = 0; i < 5; i++) expect((await signIn(t, user.email, `again-${i}`)).status).toBe(401);
    expect((await signIn(t, user.email, "again-5")).status).toBe(429);
    await expire();
  });

  it("parallel guesses cannot slip past the count", async () => {
    const user = await t.signUp({ name: "Burst" });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => signIn(t, user.email, `burst-${i}`)));
    expect(answers.filter((a) => a.status === 401).length).toBeLessThanOrEqual(THROTTLE_RULES["sign-in:account"].threshold);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(20 - THROTTLE_RULES["sign-in:account"].threshold);
    await t.app.db.prisma.$executeRaw`DELETE FROM "auth_throttle"`;
  });

  it("invalid API keys are throttled per address, over HTTP and graphql-ws; the address then gets 429 even with a valid key", async () => {
    const owner = await t.signUp({ name: "Keys" });
    const valid = (await t.gql(`mutation { createApiKey(name: "k") { key } }`, { cookie: owner.cookie })).body.data.createApiKey.key;
    const statuses: number[] = [];
    for (let i = 0; i < THROTTLE_RULES["api-key:address"].threshold + 2; i++) {
      statuses.push((await t.gql(`{ viewer { role } }`, { apiKey: `sb_invalid${i}${"x".repeat(40)}`, headers: { "x-forwarded-for": nextAddress() } })).status);
    }
    expect(statuses.slice(0, THROTTLE_RULES["api-key:address"].threshold)).toEqual(Array(THROTTLE_RULES["api-key:address"].threshold).fill(401));
    expect(statuses.slice(-1)).toEqual([429]);
    const blocked = await fetch(`${t.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${valid}` }, body: JSON.stringify({ query: "{ viewer { role } }" }) });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await blocked.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]).toMatchObject({ message: expect.stringMatching(/Too many invalid API keys/), extensions: { code: "TOO_MANY_REQUESTS" } });
    // graphql-ws: the socket is refused while the address waits.
    const client = wsClient(t.url, { authorization: `Bearer ${valid}`, headers: { origin: t.origin } });
    await expect(wsQuery(client, "{ viewer { role } }")).rejects.toBeTruthy();
    await client.dispose();
    // Sessions (cookies) are not API-key guesses: they still work from the same address.
    expect((await t.gql(`{ viewer { role } }`, { cookie: owner.cookie })).status).toBe(200);
    await t.app.db.prisma.$executeRaw`DELETE FROM "auth_throttle"`;
    expect((await t.gql(`{ viewer { role } }`, { apiKey: valid })).status).toBe(200);
  });

  it("sign-ups are throttled per address", async () => {
    const limit = THROTTLE_RULES["sign-up:address"].threshold;
    const answers: number[] = [];
    // Refused passwords cost no hashing and still count as attempts.
    for (let i = 0; i < limit + 1; i++) answers.push((await post(t, "/api/auth/sign-up/email", { email: `bulk${i}@example.test`, password: "aaaaaaaaaaaa", name: "Bulk" }, { "x-forwarded-for": nextAddress() })).status);
    expect(answers.slice(0, limit).every((s) => s === 400)).toBe(true);
    const refused = await post(t, "/api/auth/sign-up/email", { email: "one-more@example.test", password: "correct horse battery", name: "More" });
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/Too many accounts created from your network/);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(await t.app.db.prisma.user.count({ where: { email: "one-more@example.test" } })).toBe(0);
    await t.app.db.prisma.$executeRaw`DELETE FROM "auth_throttle"`;
  });
});

describe.skipIf(!enabled)("throttling behind trusted proxies (TRUSTED_PROXIES)", () => {
  let t: TestApp;
  let replica: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres", env: { TRUSTED_PROXIES: "127.0.0.1/32, 10.0.0.0/8, ::1/128" } });
    replica = await startTestApp({ database: "postgres", databaseUrl: t.db!.url, env: { TRUSTED_PROXIES: "127.0.0.1/32, 10.0.0.0/8, ::1/128", ENCRYPTION_KEYS: t.app.env.ENCRYPTION_KEYS!, AUTH_SECRET: t.app.env.AUTH_SECRET! } });
  });
  afterAll(async () => {
    await replica?.close();
    await t?.close();
  });

  it("reads X-Forwarded-For from a trusted proxy: the client is the first untrusted hop from the right", async () => {
    const user = await t.signUp({ name: "Proxied" });
    const ipOf = async (xff: string) => {
      const res = await fetch(`${t.url}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json", origin: t.origin, "x-forwarded-for": xff }, body: JSON.stringify({ email: user.email, password: "correct horse battery" }) });
      expect(res.status).toBe(200);
      const token = decodeURIComponent(res.headers.getSetCookie()[0]!.split(";")[0]!.split("=")[1]!).split(".")[0]!;
      return (await t.app.db.prisma.session.findUniqueOrThrow({ where: { token } })).ipAddress;
    };
    expect(await ipOf("203.0.113.9")).toBe("203.0.113.9");
    expect(await ipOf("192.0.2.1, 203.0.113.9, 10.1.2.3")).toBe("203.0.113.9"); // a client-written first hop is ignored
    expect(await ipOf("not-an-address, 10.1.2.3")).toBe("10.1.2.3"); // garbage ends the walk at the proxy that sent it
  });

  it("locks an account whatever the addresses, and only that account", async () => {
    const victim = await t.signUp({ name: "Target" });
    const bystander = await t.signUp({ name: "Bystander" });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await signIn(t, victim.email, `spray-${i}`, nextAddress())).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const fresh = nextAddress();
    expect((await signIn(t, victim.email, "correct horse battery", fresh)).status).toBe(429);
    expect((await signIn(t, bystander.email, "correct horse battery", fresh)).status).toBe(200);
    // Another replica on the same database knows it too (the counts are in Postgres).
    expect((await signIn(replica, victim.email, "correct horse battery", nextAddress())).status).toBe(429);
  });

  it("throttles one address that tries many accounts, and only that address", async () => {
    const attacker = nextAddress();
    const limit = THROTTLE_RULES["sign-in:address"].threshold;
    for (let i = 0; i < limit; i++) expect((await signIn(t, `nobody${i}@example.test`, "whatever pass", attacker)).status).toBe(401);
    const someone = await t.signUp({ name: "Someone" });
    const refused = await signIn(t, someone.email, "correct horse battery", attacker);
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/from your network/);
    expect((await signIn(t, someone.email, "correct horse battery", nextAddress())).status).toBe(200);
    // IPv6 clients are counted per /64: a new address in the same network is the same client.
    const v6 = (i: number) => `2001:db8:1:2::${i.toString(16)}`;
    for (let i = 0; i < limit; i++) await signIn(t, `v6-${i}@example.test`, "whatever pass", v6(i + 1));
    expect((await signIn(t, someone.email, "correct horse battery", v6(999))).status).toBe(429);
    expect((await signIn(t, someone.email, "correct horse battery", "2001:db8:1:3::1")).status).toBe(200);
  });
});

describe("TRUSTED_PROXIES must be addresses or CIDRs", () => {
  it("refuses to start with a bad entry, naming it", async () => {
    await expect(startTestApp({ database: "pglite", env: { TRUSTED_PROXIES: "10.0.0.0/8, proxy.internal" } })).rejects.toThrow(/TRUSTED_PROXIES: "proxy\.internal" is not an IP address or CIDR/);
  });
});
