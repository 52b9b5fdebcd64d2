import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspaceApiKey } from "../../api/src/auth/api-keys.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { waitFor, wsClient, wsSubscribe } from "../support/ws.ts";

// A health event is executed once per distinct subscription (document, variables, workspace,
// role) and the result is shared by its subscribers. Over real graphql-ws sockets: sharing
// happens, it never crosses a workspace or a role, per-subscriber lifecycles stay independent,
// and the open-subscriptions gauge still counts subscribers.

const DOC = "subscription Events($integrationId: ID) { healthStatus(integrationId: $integrationId) { integrationId kind } }";

function event(workspaceId: string, integrationId: string) {
  return { integrationId, workspaceId, providerId: "slack", status: "CONNECTED" as const, healthStatus: "HEALTHY" as const, healthMessage: null, errorCode: null, checkedAt: new Date().toISOString(), kind: "check" };
}

type Sub = ReturnType<typeof wsSubscribe>;
const ids = (s: Sub) => s.events.map((e) => (e.data as any)?.healthStatus?.integrationId as string);

describe("shared subscription executions over graphql-ws", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: "pglite" });
  });
  afterAll(() => t?.close());

  const gauge = async (name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(await (await fetch(`${t.url}/metrics`)).text())?.[1]);

  it("shares within a workspace and role only, and each subscriber keeps its own lifecycle", async () => {
    const alice = await t.signUp({ name: "Alice" });
    const mallory = await t.signUp({ name: "Mallory" });
    const viewerKey = (await createWorkspaceApiKey({ auth: t.app.auth, prisma: t.app.db.prisma, userId: alice.userId, workspaceId: alice.workspaceId, name: "viewer", role: "viewer" })).key;
    const headers = (cookie: string) => ({ headers: { cookie, origin: t.origin } });
    const aliceSockets = [wsClient(t.url, headers(alice.cookie)), wsClient(t.url, headers(alice.cookie)), wsClient(t.url, headers(alice.cookie))];
    const mallorySocket = wsClient(t.url, headers(mallory.cookie));
    const viewerSocket = wsClient(t.url, { authorization: `Bearer ${viewerKey}` });
    const all = [...aliceSockets, mallorySocket, viewerSocket];
    try {
      const aliceSubs = aliceSockets.map((c) => wsSubscribe(c, DOC));
      const aliceFiltered = wsSubscribe(aliceSockets[0]!, DOC, { integrationId: "only-this" });
      const mallorySub = wsSubscribe(mallorySocket, DOC);
      const viewerSub = wsSubscribe(viewerSocket, DOC);
      const everyone = [...aliceSubs, aliceFiltered, mallorySub, viewerSub];

      // graphql-ws does not acknowledge a subscribe: publish until every stream has an event.
      const probe = setInterval(() => {
        t.app.realtime.publish("health:workspace", alice.workspaceId, event(alice.workspaceId, "only-this"));
        t.app.realtime.publish("health:workspace", mallory.workspaceId, event(mallory.workspaceId, "mallory-probe"));
      }, 50);
      await waitFor(() => everyone.every((s) => s.events.length > 0), 10_000, "every subscription live").finally(() => clearInterval(probe));
      for (const s of everyone) s.events.length = 0;

      // Groups: Alice's 3 identical subscriptions (owner) share one; her filtered one (other
      // variables), the viewer key (same workspace, other role) and Mallory (other workspace)
      // each have their own: 4 executions for 6 subscribers.
      expect(t.app.ws.subscriptions.stats()).toEqual({ groups: 4, members: 6 });
      expect(await gauge("switchboard_graphql_subscription_executions")).toBe(4);
      const openBefore = await gauge("switchboard_graphql_subscriptions_open");
      expect(openBefore).toBeGreaterThanOrEqual(6);

      t.app.realtime.publish("health:workspace", alice.workspaceId, event(alice.workspaceId, "alice-1"));
      t.app.realtime.publish("health:workspace", alice.workspaceId, event(alice.workspaceId, "only-this"));
      await waitFor(() => aliceSubs.every((s) => s.events.length === 2) && viewerSub.events.length === 2 && aliceFiltered.events.length === 1, 5000, "Alice's events");
      for (const s of aliceSubs) expect(ids(s)).toEqual(["alice-1", "only-this"]);
      expect(ids(viewerSub)).toEqual(["alice-1", "only-this"]);
      expect(ids(aliceFiltered)).toEqual(["only-this"]);
      // Nothing of Alice's workspace ever reaches Mallory.
      await new Promise((r) => setTimeout(r, 200));
      expect(mallorySub.events).toEqual([]);

      // One of Alice's subscribers completes: the others keep receiving; the gauge drops by one.
      aliceSubs[0]!.dispose();
      await waitFor(() => t.app.ws.subscriptions.stats().members === 5, 5000, "the member to leave");
      expect(await gauge("switchboard_graphql_subscriptions_open")).toBe(openBefore - 1);
      t.app.realtime.publish("health:workspace", alice.workspaceId, event(alice.workspaceId, "alice-2"));
      await waitFor(() => aliceSubs[1]!.events.length === 3 && aliceSubs[2]!.events.length === 3, 5000, "the others' event");
      expect(ids(aliceSubs[0]!)).toEqual(["alice-1", "only-this"]);

      // A socket closing ends its members only.
      await aliceSockets[2]!.dispose();
      await waitFor(() => t.app.ws.subscriptions.stats().members === 4, 5000, "the socket's member to leave");
      t.app.realtime.publish("health:workspace", alice.workspaceId, event(alice.workspaceId, "alice-3"));
      await waitFor(() => aliceSubs[1]!.events.length === 4, 5000, "the last member's event");
      expect(t.app.ws.subscriptions.stats().groups).toBe(4);

      // A new subscriber of the same kind joins the running execution instead of starting one.
      const late = wsSubscribe(aliceSockets[1]!, DOC);
      const probe2 = setInterval(() => t.app.realtime.publish("health:workspace", alice.workspaceId, event(alice.workspaceId, "late")), 50);
      await waitFor(() => late.events.length > 0, 5000, "the late subscriber").finally(() => clearInterval(probe2));
      expect(t.app.ws.subscriptions.stats()).toEqual({ groups: 4, members: 5 });
    } finally {
      await Promise.all(all.map((c) => c.dispose()));
    }
    // Every execution stops once its last subscriber is gone.
    await waitFor(() => t.app.ws.subscriptions.stats().groups === 0, 5000, "every execution to stop");
  });

  it("an error is answered to that subscriber, and a shared execution still reaches the others", async () => {
    const user = await t.signUp();
    const socket = wsClient(t.url, { headers: { cookie: user.cookie, origin: t.origin } });
    try {
      const good = wsSubscribe(socket, DOC);
      const bad = wsSubscribe(socket, DOC, { integrationId: { $ne: null } });
      await waitFor(() => bad.errors.length > 0 || bad.completed || bad.events.length > 0, 5000, "the bad subscription's answer");
      const answer = JSON.stringify(bad.errors.length ? bad.errors : bad.events);
      expect(answer).toMatch(/ID cannot represent|Variable "\$integrationId"/);
      const probe = setInterval(() => t.app.realtime.publish("health:workspace", user.workspaceId, event(user.workspaceId, "fine")), 50);
      await waitFor(() => good.events.length > 0, 5000, "the good subscription").finally(() => clearInterval(probe));
    } finally {
      await socket.dispose();
    }
  });
});
