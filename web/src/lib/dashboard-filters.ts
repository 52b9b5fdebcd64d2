import type { IntegrationState } from "$lib/graphql/types";
import { STATES_IN_ORDER } from "$lib/integration-attention";

// The dashboard's search and filters, kept in the address (?q=&provider=&state=) so a filtered
// view can be shared or bookmarked. Client-side over the loaded list (the list is one page).

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

export function isFiltering(filters: DashboardFilters): boolean {
  return filters.q.trim() !== "" || filters.provider !== "" || filters.state !== "";
}

/** What the text search looks through for one card: the provider, and the connection's account and org. */
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
