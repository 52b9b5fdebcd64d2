import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { rescheduleToInterval } from "@switchboard/api/jobs/health-scheduler";
import { nextCheckTime } from "@switchboard/api/domain/health/check-integration";

// The sandbox's fault controls drive every health transition through the real scheduler.

const enabled = await requirePostgres();

// Timings with wide margins on both sides, so a loaded machine (checks and the emulators share
// two cores with other work) cannot turn one outcome into another: a healthy answer (~10 ms idle,
// a few hundred ms under heavy load) stays far under the slow threshold; the slow fault's delay
// is a timer, so it is always over the threshold, and it ends far before the timeout.
const SLOW_THRESHOLD_MS = 1000;
const SLOW_DELAY_MS = 2000;
const TIMEOUT_MS = 4000;

describe.skipIf(!enabled)("health checks, thresholds and the scheduler", () => {
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({
      database: "postgres",
      env: { HEALTH_CHECK_TIMEOUT_MS: String(TIMEOUT_MS), HEALTH_SLOW_THRESHOLD_MS: String(SLOW_THRESHOLD_MS), HEALTH_CHECK_INTERVAL_SECONDS: "300" },
    });
    user = await t.signUp({ name: "Hal" });
    for (const p of ["slack", "hubspot", "google", "salesforce"]) ids[p] = await connectSandbox(t, user, p);
  });
  afterAll(() => t?.close());
  // Faults off before each test; the sandbox keeps the grants issued at connect time.
  beforeEach(() => {
    for (const p of ["slack", "hubspot", "google", "salesforce"] as const) t.app.sandbox!.setFault(p, { mode: "ok" });
  });

  const prisma = () => t.app.db.prisma;
  async function due(...providers: string[]) {
    await prisma().integration.updateMany({ where: { id: { in: providers.map((p) => ids[p]!) } }, data: { nextHealthCheckAt: new Date(Date.now() - 1000) } });
  }
  async function sweep(...providers: string[]) {
    await due(...providers);
    return t.app.scheduler.sweep();
  }
  const row = (p: string) => prisma().integration.findUniqueOrThrow({ where: { id: ids[p]! } });

  it("checks due connections, records each check with its steps, and schedules the next one with jitter", async () => {
    const summary = await sweep("slack", "hubspot", "google", "salesforce");
    expect(summary.claimed).toBe(4);
    expect(summary.results.map((r) => r.status)).toEqual(["HEALTHY", "HEALTHY", "HEALTHY", "HEALTHY"]);
    for (const p of Object.keys(ids)) {
      const r = await row(p);
      const inSeconds = (r.nextHealthCheckAt!.getTime() - Date.now()) / 1000;
      expect(inSeconds).toBeGreaterThan(300 * 0.89);
      expect(inSeconds).toBeLessThan(300 * 1.11);
      expect(r.healthLeaseUntil).toBeNull();
    }
    const logs = await prisma().integrationHealthLog.findMany({ where: { integrationId: ids.slack, trigger: "SCHEDULED" } });
    expect(logs).toHaveLength(1);
    expect((logs[0]!.steps as { step: string }[]).map((s) => s.step)).toEqual(["token", "api", "identity", "scopes"]);
    // Nothing is due now: a second sweep claims nothing.
    expect((await t.app.scheduler.sweep()).claimed).toBe(0);
  });

  it("500 three times → degraded, degraded, unhealthy; two successes → healthy", async () => {
    t.app.sandbox!.setFault("google", { mode: "server_error" });
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push((await sweep("google")).results[0]!.status);
    expect(seen).toEqual(["DEGRADED", "DEGRADED", "UNHEALTHY"]);
    expect(await row("google")).toMatchObject({ status: "CONNECTED", healthStatus: "UNHEALTHY", consecutiveFailures: 3, healthErrorCode: "provider_error" });
    t.app.sandbox!.setFault("google", { mode: "ok" });
    seen.length = 0;
    for (let i = 0; i < 2; i++) seen.push((await sweep("google")).results[0]!.status);
    expect(seen).toEqual(["UNHEALTHY", "HEALTHY"]);
    const transitions = await prisma().integrationHealthLog.findMany({ where: { integrationId: ids.google, trigger: "SCHEDULED", transitionFrom: { not: null } }, orderBy: { checkedAt: "asc" } });
    expect(transitions.map((l) => `${l.transitionFrom}→${l.status}`)).toEqual(["HEALTHY→DEGRADED", "DEGRADED→UNHEALTHY", "UNHEALTHY→HEALTHY"]);
  });

  it("429 with Retry-After → degraded, and not checked again before it", async () => {
    t.app.sandbox!.setFault("hubspot", { mode: "rate_limited", retryAfterSeconds: 900 });
    const result = (await sweep("hubspot")).results[0]!;
    expect(result).toMatchObject({ status: "DEGRADED", errorCode: "rate_limited" });
    const r = await row("hubspot");
    expect(r.nextHealthCheckAt!.getTime()).toBeGreaterThanOrEqual(Date.now() + 890_000);
    t.app.sandbox!.setFault("hubspot", { mode: "ok" });
    expect((await t.app.scheduler.sweep()).claimed).toBe(0);
  });

  it("a slow answer → degraded; a hanging provider → timeout, without holding up the other checks", async () => {
    t.app.sandbox!.setFault("salesforce", { mode: "slow", delayMs: SLOW_DELAY_MS });
    const slow = (await sweep("salesforce")).results[0]!;
    expect(slow).toMatchObject({ status: "DEGRADED", errorCode: "slow" });
    t.app.sandbox!.setFault("salesforce", { mode: "hang" });
    const started = Date.now();
    const summary = await sweep("salesforce", "slack");
    // One timeout's wait, not two (nor forever).
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 1.75);
    const bySalesforce = summary.results.find((r) => r.providerId === "salesforce")!;
    expect(bySalesforce.errorCode).toBe("timeout");
    // Slack's check ran beside the hanging one, not after it.
    const bySlack = summary.results.find((r) => r.providerId === "slack")!;
    expect(bySlack.status).toBe("HEALTHY");
    expect(bySlack.latencyMs).toBeLessThan(TIMEOUT_MS / 2);
    expect(bySlack.checkedAt.getTime()).toBeLessThan(bySalesforce.checkedAt.getTime() - TIMEOUT_MS / 2);
  });

  it("401 → reconnect required, at once, and no more scheduled checks until reconnected", async () => {
    t.app.sandbox!.setFault("slack", { mode: "unauthorized" });
    const result = (await sweep("slack")).results[0]!;
    expect(result).toMatchObject({ status: "UNHEALTHY", reauthRequired: true, transition: "reauth_required" });
    const r = await row("slack");
    expect(r).toMatchObject({ status: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY", nextHealthCheckAt: null });
    await prisma().integration.update({ where: { id: ids.slack }, data: { nextHealthCheckAt: new Date(Date.now() - 1000) } });
    expect((await t.app.scheduler.sweep()).claimed).toBe(0); // only CONNECTED ones are swept
    const gql = await t.gql(`query($id: ID!) { integration(id: $id) { status healthStatus suggestedAction } }`, { cookie: user.cookie, variables: { id: ids.slack } });
    expect(gql.body.data.integration).toEqual({ status: "REAUTH_REQUIRED", healthStatus: "UNHEALTHY", suggestedAction: "Reconnect" });
  });

  it("keeps history and uptime per connection", async () => {
    const res = await t.gql(`query($id: ID!) { integration(id: $id) { healthHistory(first: 3) { status trigger latencyMs errorCode } uptime { last24h last7d last30d } } }`, {
      cookie: user.cookie,
      variables: { id: ids.google },
    });
    const integration = res.body.data.integration;
    expect(integration.healthHistory).toHaveLength(3);
    expect(integration.healthHistory[0]).toMatchObject({ status: "HEALTHY", trigger: "SCHEDULED" });
    // google: connect (healthy) + 1 healthy sweep + 3 failing + 2 recovering; up = healthy or degraded.
    expect(integration.uptime.last24h).toBeGreaterThan(0.4);
    expect(integration.uptime.last24h).toBeLessThan(1);
    expect(integration.uptime.last30d).toBe(integration.uptime.last24h);
    // Paging with `before`: the next page continues exactly where the first ended.
    const page = async (before?: string) =>
      (await t.gql(`query($id: ID!, $b: DateTime) { integration(id: $id) { healthHistory(first: 4, before: $b) { id checkedAt } } }`, { cookie: user.cookie, variables: { id: ids.google, b: before } })).body.data.integration.healthHistory as { id: string; checkedAt: string }[];
    const first = await page();
    const second = await page(first[first.length - 1]!.checkedAt);
    const all = (await t.app.db.prisma.integrationHealthLog.findMany({ where: { integrationId: ids.google }, orderBy: [{ checkedAt: "desc" }, { id: "desc" }] })).map((l) => l.id);
    expect(first.map((c) => c.id)).toEqual(all.slice(0, 4));
    expect(second.map((c) => c.id)).toEqual(all.filter((_, i) => i >= 4).slice(0, 4).filter((id) => !first.some((c) => c.id === id)));
  });

  it("serves Prometheus metrics", async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/switchboard_health_checks_total\{provider="google",result="UNHEALTHY"\} \d+/);
    expect(text).toMatch(/switchboard_health_check_duration_seconds_bucket/);
    expect(text).toMatch(/switchboard_health_sweep_duration_seconds_count \d+/);
    expect(text).toMatch(/switchboard_health_oldest_overdue_seconds \d/);
    expect(text).toMatch(/switchboard_graphql_subscriptions_open \d/);
  });

  it("HubSpot's introspection calling the token inactive is an authentication failure: refresh, then reconnect required", async () => {
    t.app.sandbox!.setFault("hubspot", { mode: "unauthorized" });
    const result = (await sweep("hubspot")).results[0]!;
    expect(result).toMatchObject({ status: "UNHEALTHY", reauthRequired: true, errorCode: "invalid_grant" });
    expect(await row("hubspot")).toMatchObject({ status: "REAUTH_REQUIRED" });
  });

  const state = async (p: string) =>
    (await t.gql(`query($id: ID!) { integration(id: $id) { state consecutiveFailures unhealthyAfter healthStatus status } }`, { cookie: user.cookie, variables: { id: ids[p] } })).body.data.integration;

  it("after a failed check the next one comes at the retry interval (30 s), and the card's state reads failing 1 of 3, then unhealthy", async () => {
    // The timeout of an earlier test counted; start from a healthy row.
    await prisma().integration.update({ where: { id: ids.salesforce }, data: { healthStatus: "HEALTHY", consecutiveFailures: 0, consecutiveSuccesses: 2 } });
    t.app.sandbox!.setFault("salesforce", { mode: "server_error" });
    expect((await sweep("salesforce")).results[0]).toMatchObject({ status: "DEGRADED", outcome: "failure" });
    const inSeconds = ((await row("salesforce")).nextHealthCheckAt!.getTime() - Date.now()) / 1000;
    expect(inSeconds).toBeGreaterThan(30 * 0.89 - 1);
    expect(inSeconds).toBeLessThan(30 * 1.11);
    expect(await state("salesforce")).toEqual({ state: "FAILING", consecutiveFailures: 1, unhealthyAfter: 3, healthStatus: "DEGRADED", status: "CONNECTED" });
    await sweep("salesforce");
    await sweep("salesforce");
    expect(await state("salesforce")).toMatchObject({ state: "UNHEALTHY", consecutiveFailures: 3, healthStatus: "UNHEALTHY", status: "CONNECTED" });
    // Recovery is checked at the retry interval too (a failure set it), and needs two successes.
    t.app.sandbox!.setFault("salesforce", { mode: "ok" });
    await sweep("salesforce");
    expect((await state("salesforce")).state).toBe("UNHEALTHY");
    await sweep("salesforce");
    expect(await state("salesforce")).toMatchObject({ state: "HEALTHY", consecutiveFailures: 0 });
    // A success goes back to the regular interval.
    expect((await row("salesforce")).nextHealthCheckAt!.getTime() - Date.now()).toBeGreaterThan(300 * 0.89 * 1000);
    // The other states, as the cards see them.
    expect((await state("slack")).state).toBe("REAUTH_REQUIRED");
  });

  it("a provider's Retry-After later than the retry interval wins", () => {
    const now = Date.now();
    expect(nextCheckTime(30, now, 600).getTime()).toBe(now + 600_000);
    expect(nextCheckTime(30, now, 1).getTime()).toBeLessThan(now + 34_000);
  });

  it("a fault set on /sandbox makes that provider's connected rows due at once", async () => {
    await prisma().integration.update({ where: { id: ids.google }, data: { nextHealthCheckAt: new Date(Date.now() + 3600_000) } });
    await prisma().integration.update({ where: { id: ids.salesforce }, data: { nextHealthCheckAt: new Date(Date.now() + 3600_000) } });
    // Through the controls, as a person does (the in-process setFault of the other tests does not).
    const res = await fetch(`${t.url}/sandbox/_control`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: t.origin, cookie: user.cookie },
      body: JSON.stringify({ provider: "google", fault: { mode: "server_error" } }),
    });
    expect(res.status).toBe(200);
    // Done before the control answered.
    expect((await row("google")).nextHealthCheckAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect((await row("salesforce")).nextHealthCheckAt!.getTime()).toBeGreaterThan(Date.now() + 3000_000);
    const summary = await t.app.scheduler.sweep();
    expect(summary.results.map((r) => r.providerId)).toEqual(["google"]);
  });

  it("an interval change pulls in connections scheduled further away than the new interval, once", async () => {
    await prisma().integration.update({ where: { id: ids.google }, data: { nextHealthCheckAt: new Date(Date.now() + 2 * 3600_000) } });
    await prisma().integration.update({ where: { id: ids.salesforce }, data: { nextHealthCheckAt: new Date(Date.now() + 200_000) } });
    expect(await rescheduleToInterval(prisma(), 300)).toBe(1);
    const google = (await row("google")).nextHealthCheckAt!.getTime() - Date.now();
    expect(google).toBeGreaterThanOrEqual(-1000);
    expect(google).toBeLessThan(300_000);
    const salesforce = (await row("salesforce")).nextHealthCheckAt!.getTime() - Date.now();
    expect(salesforce).toBeGreaterThan(190_000);
    // Idempotent: a second replica starting at the same time moves nothing.
    expect(await rescheduleToInterval(prisma(), 300)).toBe(0);
    // A rate limit's Retry-After is kept.
    await prisma().integration.update({ where: { id: ids.salesforce }, data: { healthErrorCode: "rate_limited", nextHealthCheckAt: new Date(Date.now() + 3600_000) } });
    expect(await rescheduleToInterval(prisma(), 300)).toBe(0);
  });
});
