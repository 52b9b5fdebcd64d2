import type { ConnectionCount, Integration, IntegrationState, Provider } from "$lib/graphql/types";
import { isFiltering, LISTED_STATUSES, matchesFilters, type DashboardFilters } from "$lib/dashboard-filters";
import { byAttention, needsAttention, worstState, type Totals } from "$lib/integration-attention";

// The dashboard's groups: one per catalog provider, holding the connections of it that are
// loaded (several per provider since issue 14), with the provider's counts for the whole
// workspace (Query.integrationCounts) whatever page of the list is loaded. The counts follow
// live events here, so an event about a loaded connection costs no request. Pure, so the rules
// are unit-tested.

/** The part of a connection the counts read. */
export type Counted = Pick<Integration, "providerId" | "state">;

/**
 * The counts after one connection changed from `before` to `after` (null: it did not exist /
 * no longer exists), as Query.integrationCounts would answer them. Providers left without
 * connections leave the list, as in the API's answer.
 */
export function applyCountChange(counts: readonly ConnectionCount[], before: Counted | null, after: Counted | null): ConnectionCount[] {
  if (!before && !after) return counts.slice();
  if (before && after && before.providerId === after.providerId && before.state === after.state) return counts.slice();
  let next = counts.map((count) => ({ ...count, states: count.states.map((s) => ({ ...s })) }));
  const change = (connection: Counted, delta: 1 | -1) => {
    let count = next.find((c) => c.providerId === connection.providerId);
    if (!count) {
      if (delta < 0) return;
      count = { providerId: connection.providerId, total: 0, connected: 0, needsAttention: 0, states: [] };
      next.push(count);
    }
    count.total = Math.max(0, count.total + delta);
    // The API's "connected" is every connection that is not disconnected (state NOT_CONNECTED).
    if (connection.state !== "NOT_CONNECTED") count.connected = Math.max(0, count.connected + delta);
    if (needsAttention(connection.state)) count.needsAttention = Math.max(0, count.needsAttention + delta);
    const state = count.states.find((s) => s.state === connection.state);
    if (state) state.count = Math.max(0, state.count + delta);
    else if (delta > 0) count.states.push({ state: connection.state, count: 1 });
    count.states = count.states.filter((s) => s.count > 0);
  };
  if (before) change(before, -1);
  if (after) change(after, 1);
  next = next.filter((count) => count.total > 0);
  return next;
}

/** The summary line's numbers for the whole workspace. */
export function totalsOf(counts: readonly ConnectionCount[]): Totals {
  let connected = 0;
  let attention = 0;
  let unchecked = 0;
  for (const count of counts) {
    connected += count.connected;
    attention += count.needsAttention;
    unchecked += count.states.find((s) => s.state === "UNKNOWN")?.count ?? 0;
  }
  return { connected, attention, unchecked };
}

export type ProviderGroup = {
  provider: Provider;
  /** The loaded connections shown in the group (never a disconnected one), worst first. */
  connections: Integration[];
  /** Connections of the provider in the workspace that are not disconnected. */
  connected: number;
  needsAttention: number;
  /** The provider's worst connection state: the group's place on the page. */
  state: IntegrationState;
};

/**
 * One group per catalog provider, the ones that need attention first (then the catalog's
 * order). A connection whose provider left the catalog has no group, as it had no card before.
 */
export function groupByProvider(providers: readonly Provider[], connections: readonly Integration[], counts: readonly ConnectionCount[]): ProviderGroup[] {
  const countOf = new Map(counts.map((count) => [count.providerId, count]));
  const groups = providers.map((provider): ProviderGroup => {
    const listed = byAttention(
      connections.filter((c) => c.providerId === provider.id && LISTED_STATUSES.includes(c.status)),
      (c) => c.state,
    );
    const count = countOf.get(provider.id);
    const countStates = (count?.states ?? []).filter((s) => s.count > 0 && s.state !== "NOT_CONNECTED").map((s) => s.state);
    return {
      provider,
      connections: listed,
      // The counts may lag a page that is newer than them by an event; never fewer than shown.
      connected: Math.max(count?.connected ?? 0, listed.length),
      needsAttention: Math.max(count?.needsAttention ?? 0, listed.filter((c) => needsAttention(c.state)).length),
      state: worstState([...countStates, ...listed.map((c) => c.state)]),
    };
  });
  return byAttention(groups, (group) => group.state);
}

/**
 * The groups the filters leave. The connections were filtered by the API; a live event may
 * have moved one out of the state asked for since, so the state and provider are checked again.
 * A provider without a matching connection still shows when its own name matches and the
 * state asked for is none, or "Not connected" and it has no connection.
 */
export function filterGroups(groups: readonly ProviderGroup[], filters: DashboardFilters): ProviderGroup[] {
  if (!isFiltering(filters)) return groups.slice();
  return groups.flatMap((group) => {
    if (filters.provider && group.provider.id !== filters.provider) return [];
    const connections = group.connections.filter((c) => !filters.state || c.state === filters.state);
    if (connections.length > 0) return [{ ...group, connections }];
    const nameMatches = matchesFilters(
      { providerId: group.provider.id, providerName: group.provider.name, state: group.state, labels: [] },
      { ...filters, provider: "", state: "" },
    );
    const stateMatches = !filters.state || (filters.state === "NOT_CONNECTED" && group.connected === 0);
    return nameMatches && stateMatches ? [{ ...group, connections }] : [];
  });
}
