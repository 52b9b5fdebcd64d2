import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTokens } from "@switchboard/api/domain/integrations/tokens";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { consent } from "../support/sandbox-consent.ts";
import { waitFor } from "../support/ws.ts";
import { privatePostgresLog, requirePrivatePostgres, startPrivatePostgres, type PrivatePostgres } from "../support/private-postgres.ts";

// A real immediate-mode restart of the database server (every backend killed without a
// checkpoint, crash recovery on start), in the middle of a health sweep and in the middle of an
// OAuth callback. The cluster is this file's own (initdb in a temp dir), so the crash disturbs
// no other test file; the app runs its migrations on it at start.

const enabled = requirePrivatePostgres();

const PROVIDERS = ["slack", "hubspot", "google", "salesforce"] as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

/** Polls an async condition (a throw counts as not yet) until it holds. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe.skipIf(!enabled)("Postgres restarted in immediate mode", () => {
  let pg: PrivatePostgres;
  let t: TestApp;
  const probe = async (path: string) => (await fetch(`${t.url}${path}`)).status;
  /** /readyz polled without waiting for earlier answers, so an outage of a few hundred ms is seen. */
  const watchReadiness = () => {
    const seen: number[] = [];
    const pending: Promise<unknown>[] = [];
    const timer = setInterval(() => pending.push(probe("/readyz").then((s) => seen.push(s), () => seen.push(-1))), 40);
    return {
      seen,
      async stop() {
        clearInterval(timer);
        await Promise.all(pending);
      },
    };
  };

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    pg = await startPrivatePostgres();
    t = await startTestApp({
      database: "postgres",
      databaseUrl: pg.url,
      // Two checks at a time, so a sweep of eight runs in waves across the restart; the
      // shortest lease the settings allow, so checks the crash interrupted are due again soon.
      env: { HEALTH_CHECK_CONCURRENCY: "2", HEALTH_CHECK_LEASE_SECONDS: "10" },
    });
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await t?.close();
    await pg?.destroy();
  });

  it("in the middle of a sweep: the sweep settles, nothing stays claimed, the next sweeps check what is due, history has no duplicates, tokens still open", async () => {
    const prisma = t.app.db.prisma;
    const users = await Promise.all([t.signUp(), t.signUp()]);
    const ids = await Promise.all(users.flatMap((user) => PROVIDERS.map((p) => connectSandbox(t, user, p))));
    await prisma.integration.updateMany({ where: { id: { in: ids } }, data: { nextHealthCheckAt: new Date(Date.now() - 1000) } });
    for (const p of PROVIDERS) t.app.sandbox!.setFault(p, { mode: "slow", delayMs: 500 });

    const pidBefore = pg.pid();
    const sweepStarted = Date.now();
    let settledAt = 0;
    const sweep = t.app.scheduler.sweep().finally(() => (settledAt = Date.now()));
    await sleep(300); // the first wave waits on the providers
    expect(settledAt, "the sweep was still running when the restart began").toBe(0);
    const readiness = watchReadiness();
    const restartStarted = Date.now();
    await pg.restartImmediate();
    const restartEnded = Date.now();
    expect(pg.pid(), "a new postmaster").not.toBe(pidBefore);
    expect(privatePostgresLog(pg)).toMatch(/not properly shut down; automatic recovery in progress/);
    // The process stays up through it.
    expect(await probe("/healthz")).toBe(200);

    const first = await within(sweep, 30_000, "the sweep that crossed the restart");
    expect(settledAt).toBeGreaterThan(restartStarted);
    await until(async () => (await probe("/readyz")) === 200, 15_000, "/readyz ready again");
    await readiness.stop();
    expect(readiness.seen, "readiness reported the outage").toContain(503);
    expect(await probe("/readyz")).toBe(200);
    for (const p of PROVIDERS) t.app.sandbox!.setFault(p, { mode: "ok" });

    // Checks the crash interrupted keep their lease until it runs out (10 s), never longer.
    await until(
      async () => (await prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM "integration" WHERE "healthLeaseUntil" >= now()`)[0]!.n === 0,
      20_000,
      "every lease of the interrupted sweep to run out",
    );
    const [{ due }] = await prisma.$queryRaw<{ due: number }[]>`
      SELECT count(*)::int AS due FROM "integration" WHERE status = 'CONNECTED' AND "nextHealthCheckAt" <= now()`;
    const second = await t.app.scheduler.sweep();
    expect(second.errors).toBe(0);
    expect(second.claimed).toBe(due);
    expect(second.results).toHaveLength(due);
    // Nobody was forgotten: a connection neither sweep checked was one whose check the crash cut
    // off (counted as an error) and whose claim was given back with the next check one interval
    // later; nothing is claimed, nothing is overdue.
    const interval = t.app.env.HEALTH_CHECK_INTERVAL_SECONDS * 1000 * 1.1;
    const checked = new Set([...first.results, ...second.results].map((r) => r.integrationId));
    expect(ids.length - checked.size).toBeLessThanOrEqual(first.errors);
    for (const row of await prisma.integration.findMany({ where: { id: { in: ids } } })) {
      expect(row.status).toBe("CONNECTED");
      expect(row.healthLeaseUntil).toBeNull();
      expect(row.nextHealthCheckAt!.getTime()).toBeGreaterThan(Date.now());
      if (!checked.has(row.id)) expect(row.nextHealthCheckAt!.getTime()).toBeLessThanOrEqual(sweepStarted + interval + 60_000);
    }
    // And every connection is checkable: all due at once, all checked, all healthy.
    await prisma.integration.updateMany({ where: { id: { in: ids } }, data: { nextHealthCheckAt: new Date(Date.now() - 1000) } });
    const third = await t.app.scheduler.sweep();
    expect(third.errors).toBe(0);
    expect(third.claimed).toBe(ids.length);
    expect(third.results.map((r) => r.status)).toEqual(ids.map(() => "HEALTHY"));

    // History: one row per completed check, never two. A write whose COMMIT went out as the
    // server died may have landed although the sweep counted it as an error, so at most that
    // many extra rows are allowed.
    const logs = await prisma.integrationHealthLog.findMany({ where: { integrationId: { in: ids } }, orderBy: { checkedAt: "asc" } });
    const scheduled = logs.filter((l) => l.trigger === "SCHEDULED");
    const completed = [...first.results, ...second.results, ...third.results];
    for (const id of ids) expect(logs.filter((l) => l.integrationId === id && l.trigger === "CALLBACK")).toHaveLength(1);
    const unmatched = [...scheduled];
    for (const r of completed) {
      const at = unmatched.findIndex((l) => l.integrationId === r.integrationId && l.latencyMs === r.latencyMs && l.status === r.status);
      expect(at, `a history row for the completed check of ${r.integrationId}`).toBeGreaterThanOrEqual(0);
      unmatched.splice(at, 1);
    }
    expect(unmatched.length, "history rows without a completed check").toBeLessThanOrEqual(first.errors);
    const keys = logs.map((l) => `${l.integrationId}@${l.checkedAt.toISOString()}`);
    expect(new Set(keys).size).toBe(keys.length);

    // Tokens written before the crash still open, and a refresh (HubSpot access tokens expire)
    // stores new ones that open too.
    for (const row of await prisma.integration.findMany({ where: { id: { in: ids } } })) expect(openTokens(t.app.vault, row)?.accessToken).toBeTruthy();
    const hubspot = (await prisma.integration.findFirstOrThrow({ where: { workspaceId: users[0]!.workspaceId, providerId: "hubspot" } })).id;
    await prisma.integration.update({ where: { id: hubspot }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
    const refreshesBefore = t.app.sandbox!.stats("hubspot").tokenRequests.refresh_token;
    const tested = await t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status steps { step ok } } }`, { cookie: users[0]!.cookie, variables: { id: hubspot } });
    expect(tested.body.errors).toBeUndefined();
    expect(tested.body.data.testIntegration.status).toBe("HEALTHY");
    expect(tested.body.data.testIntegration.steps.find((s: { step: string }) => s.step === "token").ok).toBe(true);
    expect(t.app.sandbox!.stats("hubspot").tokenRequests.refresh_token).toBe(refreshesBefore + 1);
    const refreshed = await prisma.integration.findUniqueOrThrow({ where: { id: hubspot } });
    expect(refreshed.tokenExpiresAt!.getTime()).toBeGreaterThan(Date.now());
    expect(openTokens(t.app.vault, refreshed)?.refreshToken).toBeTruthy();

    expect(unhandled).toEqual([]);
    console.info(
      `sweep across the restart: claimed ${first.claimed}, completed ${first.results.length}, errors ${first.errors}, ${first.durationMs} ms ` +
        `(started ${restartStarted - sweepStarted} ms in, restart took ${restartEnded - restartStarted} ms); next sweep claimed ${second.claimed} of ${due} due`,
    );
  }, 90_000);

  const COMPLETE = `mutation($p: ID!, $q: String!) { completeIntegrationConnection(provider: $p, callbackQuery: $q) { errorCode integrationId redirectTo } }`;

  /** Starts a connect and approves it at the sandbox; the callback is not sent yet. */
  async function approved(user: { cookie: string }, provider: string) {
    const started = await t.gql(`mutation($p: ID!) { connectIntegration(provider: $p) { authorizationUrl } }`, { cookie: user.cookie, variables: { p: provider } });
    expect(started.body.errors).toBeUndefined();
    const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
    const back = await consent(started.body.data.connectIntegration.authorizationUrl, { origin: t.origin });
    return { cookie: `${user.cookie}; ${binding}`, query: back.search };
  }

  /** What a workspace holds for a provider: all of a connection, or nothing of it. */
  async function assertWholeOrNothing(workspaceId: string, provider: string, outcome: { errorCode: string | null; integrationId: string | null }) {
    const prisma = t.app.db.prisma;
    const rows = await prisma.integration.findMany({ where: { workspaceId, providerId: provider } });
    const audits = await prisma.auditEvent.count({ where: { workspaceId, action: "integration.connected" } });
    const history = await prisma.integrationHealthLog.count({ where: { workspaceId, trigger: "CALLBACK" } });
    if (rows.length === 0) {
      // Not stored: the person was told, and nothing of the connection exists.
      expect(outcome.errorCode).toBeTruthy();
      expect(audits).toBe(0);
      expect(history).toBe(0);
      return null;
    }
    // Stored: all of it, in one piece, and the tokens open.
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.status).toBe("CONNECTED");
    expect(openTokens(t.app.vault, row)?.accessToken).toBeTruthy();
    expect(audits).toBe(1);
    expect(history).toBe(1);
    if (outcome.integrationId) expect(outcome.integrationId).toBe(row.id);
    return row;
  }

  it("in the middle of an OAuth callback: the connection is stored whole or not at all, the state cannot be replayed, connecting again works", async () => {
    const sandbox = t.app.sandbox!;
    const codeExchanges = () => sandbox.stats("slack").tokenRequests.authorization_code;

    // 1. Restarted while the token request is held: the database is back before the tokens are stored.
    const alice = await t.signUp();
    const a = await approved(alice, "slack");
    sandbox.setFault("slack", { mode: "slow", delayMs: 1200 });
    const exchangesBefore = codeExchanges();
    const pidBefore = pg.pid();
    const pendingA = t.gql(COMPLETE, { cookie: a.cookie, variables: { p: "slack", q: a.query } });
    await waitFor(() => codeExchanges() === exchangesBefore + 1, 10_000, "the code exchange to reach the provider");
    await pg.restartImmediate();
    expect(pg.pid()).not.toBe(pidBefore);
    const doneA = await within(pendingA, 30_000, "the callback across the restart");
    sandbox.setFault("slack", { mode: "ok" });
    expect(doneA.status).toBe(200);
    const outcomeA = doneA.body.data?.completeIntegrationConnection ?? { errorCode: "graphql_error", integrationId: null, redirectTo: "" };
    const rowA = await assertWholeOrNothing(alice.workspaceId, "slack", outcomeA);
    if (outcomeA.integrationId) expect(outcomeA.redirectTo).toContain("connected=slack");
    else expect(outcomeA.redirectTo).toMatch(/[?&]error=/);
    // The state was consumed before the exchange: replaying the callback is refused without a second exchange.
    const replayA = await t.gql(COMPLETE, { cookie: a.cookie, variables: { p: "slack", q: a.query } });
    expect(replayA.body.data.completeIntegrationConnection.errorCode).toBe("STATE_MISMATCH");
    expect(codeExchanges()).toBe(exchangesBefore + 1);

    // 2. Stopped (immediate) while the token request is held, started after the callback gave
    //    up: storing fails, the person gets an error redirect, nothing is stored.
    const bob = await t.signUp();
    const b = await approved(bob, "slack");
    sandbox.setFault("slack", { mode: "slow", delayMs: 1500 });
    const bExchanges = codeExchanges();
    const pendingB = t.gql(COMPLETE, { cookie: b.cookie, variables: { p: "slack", q: b.query } });
    await waitFor(() => codeExchanges() === bExchanges + 1, 10_000, "the code exchange to reach the provider");
    await pg.stopImmediate();
    let doneB;
    try {
      doneB = await within(pendingB, 30_000, "the callback while the database is down");
      expect(await probe("/healthz")).toBe(200);
      expect(await probe("/readyz")).toBe(503);
    } finally {
      await pg.start();
    }
    sandbox.setFault("slack", { mode: "ok" });
    await until(async () => (await probe("/readyz")) === 200, 15_000, "/readyz ready again");
    expect(doneB.status).toBe(200);
    const outcomeB = doneB.body.data.completeIntegrationConnection;
    expect(outcomeB.integrationId).toBeNull();
    // Not the provider's fault, and the person is told to try again (not "the provider did not issue a token").
    expect(outcomeB.errorCode).toBe("API_UNAVAILABLE");
    expect(outcomeB.redirectTo).toBe("/dashboard/integrations?error=api_unavailable&provider=slack");
    expect(await assertWholeOrNothing(bob.workspaceId, "slack", outcomeB)).toBeNull();
    expect(await t.app.db.prisma.integration.count({ where: { workspaceId: bob.workspaceId } })).toBe(0);
    const replayB = await t.gql(COMPLETE, { cookie: b.cookie, variables: { p: "slack", q: b.query } });
    expect(replayB.body.data.completeIntegrationConnection.errorCode).toBe("STATE_MISMATCH");
    expect(codeExchanges()).toBe(bExchanges + 1);

    // 3. A fresh attempt works for both, and the stored tokens are usable.
    for (const user of [alice, bob]) {
      const id = await connectSandbox(t, user, "slack");
      if (user === alice && rowA) expect(id).toBe(rowA.id);
      const tested = await t.gql(`mutation($id: ID!) { testIntegration(id: $id) { status } }`, { cookie: user.cookie, variables: { id } });
      expect(tested.body.data.testIntegration.status).toBe("HEALTHY");
      expect(await t.app.db.prisma.integration.count({ where: { workspaceId: user.workspaceId } })).toBe(1);
    }
    expect(unhandled).toEqual([]);
    console.info(`callback across the restart: ${outcomeA.integrationId ? "connected" : `error ${outcomeA.errorCode}`}; callback with the database down: error ${outcomeB.errorCode}`);
  }, 90_000);
});
