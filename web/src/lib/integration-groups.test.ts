import { describe, expect, it } from "vitest";
import type { ConnectionCount, Integration, IntegrationState, IntegrationStatus, Provider } from "$lib/graphql/types";
import { NO_FILTERS } from "./dashboard-filters";
import { applyCountChange, filterGroups, groupByProvider, totalsOf } from "./integration-groups";

// The dashboard's groups and counts: one group per provider with its loaded connections, the
// counts of the whole workspace, and how a live event moves them.

const provider = (id: string, name: string): Provider => ({
  id,
  name,
  description: `${name} things`,
  configured: true,
  sandbox: true,
  redirectUri: `http://x/api/integrations/oauth/callback/${id}`,
  scopes: [],
  type: id,
  orgChoice: false,
});
const PROVIDERS = [provider("slack", "Slack"), provider("hubspot", "HubSpot"), provider("google", "Google")];

const STATUS_OF: Record<IntegrationState, IntegrationStatus> = {
  HEALTHY: "CONNECTED",
  FAILING: "CONNECTED",
  UNHEALTHY: "CONNECTED",
  MISSING_SCOPES: "CONNECTED",
  UNKNOWN: "CONNECTED",
  REAUTH_REQUIRED: "REAUTH_REQUIRED",
  NOT_CONNECTED: "DISCONNECTED",
};

/** The fields these rules read; the rest of an Integration does not matter here. */
function connection(id: string, providerId: string, state: IntegrationState, label = id): Integration {
  return { id, providerId, state, status: STATUS_OF[state], label } as Integration;
}

function count(providerId: string, states: Partial<Record<IntegrationState, number>>): ConnectionCount {
  const list = Object.entries(states).map(([state, n]) => ({ state: state as IntegrationState, count: n! }));
  const total = list.reduce((sum, s) => sum + s.count, 0);
  const connected = list.filter((s) => s.state !== "NOT_CONNECTED").reduce((sum, s) => sum + s.count, 0);
  const attention = list.filter((s) => ["FAILING", "UNHEALTHY", "REAUTH_REQUIRED", "MISSING_SCOPES"].includes(s.state)).reduce((sum, s) => sum + s.count, 0);
  return { providerId, total, connected, needsAttention: attention, states: list };
}

describe("applyCountChange", () => {
  const counts = [count("slack", { HEALTHY: 2 }), count("hubspot", { HEALTHY: 1, NOT_CONNECTED: 1 })];

  it("moves a connection from one state to another", () => {
    const next = applyCountChange(counts, connection("h1", "hubspot", "HEALTHY"), connection("h1", "hubspot", "FAILING"));
    expect(next.find((c) => c.providerId === "hubspot")).toEqual({
      providerId: "hubspot",
      total: 2,
      connected: 1,
      needsAttention: 1,
      states: [
        { state: "NOT_CONNECTED", count: 1 },
        { state: "FAILING", count: 1 },
      ],
    });
    // Its input is left as it was.
    expect(counts[1]!.needsAttention).toBe(0);
  });

  it("counts a new connection, one disconnected, and one removed", () => {
    const added = applyCountChange(counts, null, connection("g1", "google", "UNKNOWN"));
    expect(added.find((c) => c.providerId === "google")).toEqual({ providerId: "google", total: 1, connected: 1, needsAttention: 0, states: [{ state: "UNKNOWN", count: 1 }] });
    const disconnected = applyCountChange(counts, connection("s1", "slack", "HEALTHY"), connection("s1", "slack", "NOT_CONNECTED"));
    expect(disconnected.find((c) => c.providerId === "slack")).toMatchObject({ total: 2, connected: 1 });
    const removed = applyCountChange(applyCountChange(counts, connection("s1", "slack", "HEALTHY"), null), connection("s2", "slack", "HEALTHY"), null);
    // A provider left without connections leaves the counts, as in the API's answer.
    expect(removed.find((c) => c.providerId === "slack")).toBeUndefined();
  });

  it("changes nothing when the state stays", () => {
    expect(applyCountChange(counts, connection("s1", "slack", "HEALTHY"), connection("s1", "slack", "HEALTHY"))).toEqual(counts);
  });
});

describe("totalsOf", () => {
  it("adds up connected, attention and unchecked over the providers", () => {
    expect(totalsOf([count("slack", { HEALTHY: 2, UNKNOWN: 1 }), count("hubspot", { REAUTH_REQUIRED: 1, NOT_CONNECTED: 4 })])).toEqual({ connected: 4, attention: 1, unchecked: 1 });
    expect(totalsOf([])).toEqual({ connected: 0, attention: 0, unchecked: 0 });
  });
});

describe("groupByProvider", () => {
  it("one group per catalog provider with its loaded connections, never a disconnected one", () => {
    const groups = groupByProvider(
      PROVIDERS,
      [connection("s1", "slack", "HEALTHY"), connection("s2", "slack", "NOT_CONNECTED"), connection("x1", "gone", "HEALTHY"), connection("s3", "slack", "FAILING")],
      [count("slack", { HEALTHY: 1, FAILING: 1, NOT_CONNECTED: 1 })],
    );
    expect(groups.map((g) => g.provider.id)).toEqual(["slack", "hubspot", "google"]);
    // Within the group, the one that needs attention first.
    expect(groups[0]!.connections.map((c) => c.id)).toEqual(["s3", "s1"]);
    expect(groups[0]).toMatchObject({ connected: 2, needsAttention: 1, state: "FAILING" });
    expect(groups[1]).toMatchObject({ connections: [], connected: 0, state: "NOT_CONNECTED" });
  });

  it("places a provider by its counts, even when none of its connections is loaded yet", () => {
    const groups = groupByProvider(PROVIDERS, [connection("s1", "slack", "HEALTHY")], [count("slack", { HEALTHY: 1 }), count("google", { UNHEALTHY: 1, HEALTHY: 40 })]);
    expect(groups.map((g) => g.provider.id)).toEqual(["google", "slack", "hubspot"]);
    expect(groups[0]).toMatchObject({ connections: [], connected: 41, needsAttention: 1, state: "UNHEALTHY" });
  });

  it("never counts fewer connections than it shows (counts behind a newer page)", () => {
    const [slack] = groupByProvider(PROVIDERS, [connection("s1", "slack", "HEALTHY"), connection("s2", "slack", "HEALTHY")], [count("slack", { HEALTHY: 1 })]);
    expect(slack!.connected).toBe(2);
  });
});

describe("filterGroups", () => {
  const groups = groupByProvider(
    PROVIDERS,
    [connection("s1", "slack", "HEALTHY", "Acme Sandbox"), connection("g1", "google", "FAILING", "sandy@example.com")],
    [count("slack", { HEALTHY: 1 }), count("google", { FAILING: 1 })],
  );
  const ids = (filters: typeof NO_FILTERS) => filterGroups(groups, filters).map((g) => g.provider.id);

  it("keeps every group without filters", () => {
    expect(ids(NO_FILTERS)).toEqual(["google", "slack", "hubspot"]);
  });

  it("a search keeps the groups with connections the API found, and the providers named like it", () => {
    // The list was fetched with the search: its connections are the API's matches.
    const counts = [count("slack", { HEALTHY: 1 }), count("google", { FAILING: 1 })];
    const found = (list: Integration[], q: string) => filterGroups(groupByProvider(PROVIDERS, list, counts), { ...NO_FILTERS, q }).map((g) => g.provider.id);
    expect(found([], "hub")).toEqual(["hubspot"]);
    expect(found([connection("g1", "google", "FAILING", "sandy@example.com")], "sandy")).toEqual(["google"]);
    // Named like the search, with connections the search did not find: shown, counts and all.
    const [slack] = filterGroups(groupByProvider(PROVIDERS, [], counts), { ...NO_FILTERS, q: "SLA" });
    expect(slack).toMatchObject({ connections: [], connected: 1 });
  });

  it("a state keeps the connections in it; Not connected keeps the providers without any", () => {
    expect(ids({ ...NO_FILTERS, state: "HEALTHY" })).toEqual(["slack"]);
    expect(filterGroups(groups, { ...NO_FILTERS, state: "HEALTHY" })[0]!.connections.map((c) => c.id)).toEqual(["s1"]);
    expect(ids({ ...NO_FILTERS, state: "NOT_CONNECTED" })).toEqual(["hubspot"]);
    expect(ids({ ...NO_FILTERS, provider: "slack", state: "NOT_CONNECTED" })).toEqual([]);
    expect(ids({ ...NO_FILTERS, provider: "hubspot" })).toEqual(["hubspot"]);
  });
});
