import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { waitFor, wsClient, wsSubscribe } from "../support/ws.ts";

// Issue 13 items 6-8: a health event carries the card's data (HealthEvent.integration), errors
// name the provider's HTTP status, endpoint and words, and codes and kinds are schema enums.
// Over a real graphql-ws socket against the Slack emulator.

const CARD = `id status state healthStatus healthMessage healthErrorCode consecutiveFailures suggestedAction lastHealthCheckAt grantedScopes missingScopes lastRevocation
  lastError { code message step httpStatus endpoint providerMessage at }
  provider { id statusPageUrl }
  uptime { last24h checks30d }
  recentChecks: healthHistory(first: 30) { id status errorCode }`;
const SUB = `subscription { healthStatus { integrationId kind errorCode integration { ${CARD} } } }`;

describe("health events carry the card", () => {
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;
  beforeAll(async () => {
    t = await startTestApp({ database: "pglite" });
    user = await t.signUp({ name: "Eve" });
  });
  afterAll(() => t?.close());

  const card = async (id: string) => {
    const res = await t.gql(`query($id: ID!) { integration(id: $id) { ${CARD} } }`, { cookie: user.cookie, variables: { id } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.integration;
  };

  it("connect, failed check with its details, failed revocation, disconnect, removed: each event's integration equals Query.integration", async () => {
    const socket = wsClient(t.url, { headers: { cookie: user.cookie, origin: t.origin } });
    const sub = wsSubscribe(socket, SUB);
    try {
      const id = await connectSandbox(t, user, "slack");
      await waitFor(() => sub.events.some((e) => (e.data as any)?.healthStatus.kind === "CONNECTED"), 5000, "the connected event");
      const connected = sub.events.find((e) => (e.data as any).healthStatus.kind === "CONNECTED")!.data as any;
      expect(connected.healthStatus.integration).toEqual(await card(id));
      expect(connected.healthStatus.integration.provider.statusPageUrl).toBe("https://slack-status.com");

      // Slack answers auth.test with HTTP 500 {"ok":false,"error":"internal_error"}.
      t.app.sandbox!.setFault("slack", { mode: "server_error" });
      const seen = sub.events.length;
      const test = await t.gql(`mutation($id: ID!) { testIntegration(id: $id) { errorCode steps { step ok code httpStatus endpoint providerMessage } } }`, { cookie: user.cookie, variables: { id } });
      expect(test.body.errors).toBeUndefined();
      expect(test.body.data.testIntegration.errorCode).toBe("PROVIDER_ERROR");
      const api = test.body.data.testIntegration.steps.find((s: { step: string }) => s.step === "api");
      expect(api).toEqual({ step: "api", ok: false, code: "PROVIDER_ERROR", httpStatus: 500, endpoint: expect.stringMatching(/^POST \/(.+\/)?api\/auth\.test$/), providerMessage: "internal_error" });
      expect(api.endpoint).not.toContain("?");

      await waitFor(() => sub.events.length > seen, 5000, "the check event");
      const failed = sub.events[seen]!.data as any;
      expect(failed.healthStatus).toMatchObject({ integrationId: id, kind: "CHECK", errorCode: "PROVIDER_ERROR" });
      const shown = await card(id);
      expect(failed.healthStatus.integration).toEqual(shown);
      expect(shown).toMatchObject({
        state: "FAILING",
        consecutiveFailures: 1,
        healthErrorCode: "PROVIDER_ERROR",
        lastError: { code: "PROVIDER_ERROR", step: "api", httpStatus: 500, endpoint: api.endpoint, providerMessage: "internal_error", at: shown.lastHealthCheckAt },
        suggestedAction: expect.stringContaining("Slack's status page"),
      });

      // Revocation fails (the emulator's revocation is never faulted: an unreachable URL stands
      // in): tokens kept, and the card hears of it.
      const slack = t.app.services.catalog.find((c) => c.id === "slack")!;
      const original = slack.revocationUrl;
      slack.revocationUrl = "http://127.0.0.1:9/unreachable";
      const before = sub.events.length;
      const kept = await t.gql(`mutation($id: ID!) { disconnectIntegration(id: $id) { disconnected revocationError } }`, { cookie: user.cookie, variables: { id } }).finally(() => (slack.revocationUrl = original));
      expect(kept.body.data.disconnectIntegration).toEqual({ disconnected: false, revocationError: "NETWORK" });
      await waitFor(() => sub.events.length > before, 5000, "the revocation_failed event");
      const refused = sub.events[before]!.data as any;
      expect(refused.healthStatus.kind).toBe("REVOCATION_FAILED");
      expect(refused.healthStatus.integration).toEqual(await card(id));
      expect(refused.healthStatus.integration.lastRevocation).toBe("failed:network");

      t.app.sandbox!.setFault("slack", { mode: "ok" });
      const beforeForget = sub.events.length;
      const gone = await t.gql(`mutation($id: ID!) { disconnectIntegration(id: $id, forget: true) { disconnected } }`, { cookie: user.cookie, variables: { id } });
      expect(gone.body.data.disconnectIntegration.disconnected).toBe(true);
      await waitFor(() => sub.events.length > beforeForget, 5000, "the disconnected event");
      const disconnected = sub.events[beforeForget]!.data as any;
      expect(disconnected.healthStatus.kind).toBe("DISCONNECTED");
      expect(disconnected.healthStatus.integration).toEqual(await card(id));
      expect(disconnected.healthStatus.integration).toMatchObject({ status: "DISCONNECTED", state: "NOT_CONNECTED", lastError: null, suggestedAction: null });

      // An event about a connection that no longer exists (or is not the subscriber's) carries null.
      const beforeGone = sub.events.length;
      t.app.realtime.publish("health:workspace", user.workspaceId, { integrationId: "deleted-one", workspaceId: user.workspaceId, providerId: "slack", status: "DISCONNECTED", healthStatus: "UNKNOWN", healthMessage: null, errorCode: null, checkedAt: new Date().toISOString(), kind: "removed" });
      await waitFor(() => sub.events.length > beforeGone, 5000, "the removed event");
      expect(sub.events[beforeGone]).toEqual({ data: { healthStatus: { integrationId: "deleted-one", kind: "REMOVED", errorCode: null, integration: null } } });
      expect(sub.errors).toEqual([]);
    } finally {
      sub.dispose();
      await socket.dispose();
    }
  });

  it("answers UNKNOWN for a stored code this version does not know, instead of failing the query", async () => {
    const id = await connectSandbox(t, user, "hubspot");
    await t.app.db.prisma.integration.update({ where: { id }, data: { healthErrorCode: "from_a_newer_release", healthMessage: "?" } });
    const res = await t.gql(`query($id: ID!) { integration(id: $id) { healthErrorCode lastError { code } suggestedAction } }`, { cookie: user.cookie, variables: { id } });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.integration).toEqual({ healthErrorCode: "UNKNOWN", lastError: { code: "UNKNOWN" }, suggestedAction: "Test the connection to get a current result." });
  });

  it("lists every built-in provider's status page", async () => {
    const res = await t.gql(`{ providers { id statusPageUrl } }`, { cookie: user.cookie });
    expect(Object.fromEntries(res.body.data.providers.map((p: { id: string; statusPageUrl: string }) => [p.id, p.statusPageUrl]))).toEqual({
      slack: "https://slack-status.com",
      hubspot: "https://status.hubspot.com",
      google: "https://www.google.com/appsstatus/dashboard/",
      salesforce: "https://status.salesforce.com",
    });
  });
});
