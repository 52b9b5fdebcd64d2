import type { IntegrationState } from "$lib/graphql/types";

// What the dashboard says about the workspace as a whole, from each connection's one main state
// (Integration.state, decided by the API): the order of the cards, the summary line, the tab
// title and the words of a transition's toast. Pure, so the rules are unit-tested.

/** The part of an Integration these rules read. */
export type StateView = {
  state: IntegrationState;
  consecutiveFailures: number;
  unhealthyAfter: number;
};

/** States a person should act on (or at least look at) now. */
const ATTENTION: ReadonlySet<IntegrationState> = new Set(["UNHEALTHY", "REAUTH_REQUIRED", "MISSING_SCOPES", "FAILING"]);

/** Cards that need attention first (the worst first), then the working ones, then the rest. */
const RANK: Record<IntegrationState, number> = {
  UNHEALTHY: 0,
  REAUTH_REQUIRED: 1,
  MISSING_SCOPES: 2,
  FAILING: 3,
  HEALTHY: 4,
  UNKNOWN: 5,
  NOT_CONNECTED: 6,
};

export const STATE_LABELS: Record<IntegrationState, string> = {
  HEALTHY: "Healthy",
  FAILING: "Failing",
  UNHEALTHY: "Unhealthy",
  REAUTH_REQUIRED: "Reconnect required",
  MISSING_SCOPES: "Missing scopes",
  UNKNOWN: "Not checked yet",
  NOT_CONNECTED: "Not connected",
};

/** The filter's order: the same as the cards'. */
export const STATES_IN_ORDER = (Object.keys(RANK) as IntegrationState[]).sort((a, b) => RANK[a] - RANK[b]);

export function needsAttention(state: IntegrationState | null | undefined): boolean {
  return !!state && ATTENTION.has(state);
}

/**
 * Sorts by state, worst first; items of the same state keep their order (the catalog's), so
 * cards do not shuffle among themselves on every event.
 */
export function byAttention<T>(items: readonly T[], stateOf: (item: T) => IntegrationState): T[] {
  return items
    .map((item, index) => ({ item, index, rank: RANK[stateOf(item)] }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ item }) => item);
}

/** The workspace's connections as the summary line counts them. */
export type Totals = { connected: number; attention: number; unchecked: number };

/** "4 connected · 1 needs attention"; "2 connected · all healthy"; "Nothing connected yet". */
export function summaryText({ connected, attention, unchecked }: Totals): string {
  if (connected <= 0) return "Nothing connected yet";
  const parts = [`${connected} connected`];
  if (attention > 0) parts.push(`${attention} ${attention === 1 ? "needs" : "need"} attention`);
  if (unchecked > 0) parts.push(`${unchecked} not checked yet`);
  if (attention === 0 && unchecked === 0) parts.push(connected === 1 ? "healthy" : "all healthy");
  return parts.join(" · ");
}

/** The summary line of a list of connection states. */
export function summaryLine(states: readonly IntegrationState[]): string {
  const connected = states.filter((s) => s !== "NOT_CONNECTED");
  return summaryText({
    connected: connected.length,
    attention: connected.filter((s) => ATTENTION.has(s)).length,
    unchecked: connected.filter((s) => s === "UNKNOWN").length,
  });
}

/** The worst of some states, by the cards' order; NOT_CONNECTED when there is none. */
export function worstState(states: Iterable<IntegrationState>): IntegrationState {
  let worst: IntegrationState = "NOT_CONNECTED";
  for (const state of states) if (RANK[state] < RANK[worst]) worst = state;
  return worst;
}

/** The tab's title: the count of connections that need attention leads, as mail clients do. */
export function pageTitle(attention: number, base = "Integrations · Switchboard"): string {
  return attention > 0 ? `(${attention}) ${base}` : base;
}

/** "Failing 2 of 3" for a failing connection, else the state's label. */
export function stateText(view: StateView): string {
  return view.state === "FAILING" ? `Failing ${view.consecutiveFailures} of ${view.unhealthyAfter}` : STATE_LABELS[view.state];
}

export type Transition = { tone: "success" | "error" | "info"; text: string; attention: boolean };

/**
 * What to tell a person when a connection's state changes, or null when the change is not news:
 * connecting and disconnecting (the person who did it already knows, and the card shows it), or
 * a first check that finds a new connection healthy. A count of failures that grows (Failing
 * 1 of 3 → 2 of 3) is news: the connection is getting closer to Unhealthy.
 */
export function transitionOf(name: string, before: StateView | null, after: StateView | null): Transition | null {
  const from = before?.state ?? "NOT_CONNECTED";
  const to = after?.state ?? "NOT_CONNECTED";
  if (!after || to === "NOT_CONNECTED" || to === "UNKNOWN") return null;
  const sameFailing = from === "FAILING" && to === "FAILING" && before?.consecutiveFailures === after.consecutiveFailures;
  if ((from === to && to !== "FAILING") || sameFailing) return null;
  if (ATTENTION.has(to)) {
    const text =
      to === "FAILING"
        ? `${name} is failing its checks (${after.consecutiveFailures} of ${after.unhealthyAfter} before Unhealthy).`
        : to === "UNHEALTHY"
          ? `${name} is unhealthy.`
          : to === "REAUTH_REQUIRED"
            ? `${name} needs to be reconnected.`
            : `${name} is missing scopes.`;
    return { tone: "error", text, attention: true };
  }
  // Healthy again after a problem; a first check of a new connection is not news.
  if (ATTENTION.has(from)) return { tone: "success", text: `${name} recovered: healthy again.`, attention: false };
  return null;
}
