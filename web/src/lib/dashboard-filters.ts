import type { Integration, IntegrationFilterInput, IntegrationState, IntegrationStatus } from "$lib/graphql/types";
import { STATES_IN_ORDER } from "$lib/integration-attention";

// The dashboard's search and filters, kept in the address (?q=&provider=&state=) so a filtered
// view can be shared or bookmarked. The connections are filtered by the API (Query.integrations'
// `filter` and `search`: the list is paged, so only the server sees all of it); the providers,
// which are the catalog and not paged, are matched here.

export type DashboardFilters = { q: string; provider: string; state: IntegrationState | "" };

export const NO_FILTERS: DashboardFilters = { q: "", provider: "", state: "" };

const STATES: ReadonlySet<string> = new Set(STATES_IN_ORDER);

/** Reads the filters from a URL; an unknown state is ignored rather than showing nothing. */
export function readFilters(url: URL): DashboardFilters {
  const state = url.searchParams.get("state") ?? "";
  return {
    q: url.searchParams.get("q") ?? "",
    provider: url.searchParams.get("provider") ?? "",
    state: STATES.has(state) ? (state as IntegrationState) : "",
  };
}

/** The URL with these filters; empty ones leave the address, other parameters stay. */
export function withFilters(url: URL, filters: DashboardFilters): URL {
  const next = new URL(url);
  for (const key of ["q", "provider", "state"] as const) {
    const value = key === "q" ? filters.q.trim() : filters[key];
    if (value) next.searchParams.set(key, value);
    else next.searchParams.delete(key);
  }
  return next;
}

/** Connections per page of the dashboard's list (the API's default; it allows up to 200). */
export const PAGE_SIZE = 50;
const PAGE_SIZE_MAX = 200;

/**
 * How many connections the dashboard loads at a time: ?pageSize=N (1 to 200) when the address
 * says so, for a workspace with few connections to see "Load more" at work; else PAGE_SIZE.
 */
export function readPageSize(url: URL): number {
  const value = Number(url.searchParams.get("pageSize"));
  return Number.isInteger(value) && value >= 1 && value <= PAGE_SIZE_MAX ? value : PAGE_SIZE;
}

/** The API's `search` is at most this long (api/src/domain/integrations/page.ts SEARCH_MAX). */
export const SEARCH_MAX = 200;

/** The connections the dashboard lists: a disconnected one keeps its history but gets no card. */
export const LISTED_STATUSES: readonly IntegrationStatus[] = ["CONNECTED", "REAUTH_REQUIRED", "ERROR"];

/** Query.integrations' `filter` and `search` for these filters. */
export function listVariables(filters: DashboardFilters): { filter: IntegrationFilterInput; search: string | null } {
  const filter: IntegrationFilterInput = { status: [...LISTED_STATUSES] };
  if (filters.provider) filter.providers = [filters.provider];
  if (filters.state) filter.states = [filters.state];
  const search = filters.q.trim().slice(0, SEARCH_MAX);
  return { filter, search: search || null };
}

/**
 * Whether a connection the page learnt of from a live event belongs in the filtered list, as
 * the API would decide: provider, state, and the search as one piece of text within the label,
 * the account's name or id, or the provider id (case-insensitive, as the API's LIKE).
 */
export function matchesConnection(
  connection: Pick<Integration, "providerId" | "status" | "state" | "label"> & { account?: { id?: string | null; name?: string | null } | null },
  filters: DashboardFilters,
): boolean {
  if (!LISTED_STATUSES.includes(connection.status)) return false;
  if (filters.provider && connection.providerId !== filters.provider) return false;
  if (filters.state && connection.state !== filters.state) return false;
  const search = filters.q.trim().toLowerCase();
  if (!search) return true;
  return [connection.label, connection.account?.name, connection.account?.id, connection.providerId].some((text) => !!text && text.toLowerCase().includes(search));
}

export function isFiltering(filters: DashboardFilters): boolean {
  return filters.q.trim() !== "" || filters.provider !== "" || filters.state !== "";
}

/** What the text search looks through for one provider card: its name and id (and any other label). */
export type Searchable = {
  providerId: string;
  providerName: string;
  state: IntegrationState;
  /** Account name, org, and any other label the card shows. */
  labels: readonly (string | null | undefined)[];
};

/** Every word typed must appear (case- and accent-insensitive) in one of the card's texts. */
export function matchesFilters(item: Searchable, filters: DashboardFilters): boolean {
  if (filters.provider && item.providerId !== filters.provider) return false;
  if (filters.state && item.state !== filters.state) return false;
  const words = fold(filters.q).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const texts = [item.providerName, item.providerId, ...item.labels].filter((t): t is string => !!t).map(fold);
  return words.every((word) => texts.some((text) => text.includes(word)));
}

function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{Diacritic}/gu, "").toLowerCase();
}
