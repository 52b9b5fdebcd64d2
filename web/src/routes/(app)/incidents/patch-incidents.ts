import type { Incident } from "$lib/graphql/types";

// The Incidents page's live updates without a refetch. A health event concerns one connection,
// and the only incident it can open, extend or close is that connection's latest, which the
// event carries; a removed connection takes its incidents with it (ON DELETE CASCADE).

/** What the events said since the list was fetched: incidents by id, and removed connections. */
export type IncidentPatches = { incidents: Record<string, Incident>; removed: string[] };

export const NO_PATCHES: IncidentPatches = { incidents: {}, removed: [] };

/**
 * One event into the patches. `latest`: the connection's latest incident, null when it has none,
 * undefined when the connection no longer exists.
 */
export function addIncidentEvent(patches: IncidentPatches, event: { integrationId: string; latest: Incident | null | undefined }): IncidentPatches {
  if (event.latest === undefined) {
    const incidents = Object.fromEntries(Object.entries(patches.incidents).filter(([, i]) => i.integration.id !== event.integrationId));
    return { incidents, removed: [...patches.removed, event.integrationId] };
  }
  if (!event.latest) return patches;
  return { ...patches, incidents: { ...patches.incidents, [event.latest.id]: event.latest } };
}

/**
 * The rows to show: the fetched pages (latest first) with the patches applied. An incident the
 * pages do not hold is added only where the pages reach (they are complete, or it started after
 * the oldest fetched one), so "Load older" still continues from the last fetched row without a gap.
 */
export function patchIncidents({ loaded, patches, onlyOpen, complete }: { loaded: readonly Incident[]; patches: IncidentPatches; onlyOpen: boolean; complete: boolean }): Incident[] {
  const byId = new Map<string, Incident>();
  // A later page may repeat a row of an earlier one; the earlier page is the fresher copy.
  for (const incident of loaded) if (!byId.has(incident.id)) byId.set(incident.id, incident);
  const oldest = loaded.length ? Math.min(...loaded.map((i) => Date.parse(i.startedAt))) : null;
  for (const incident of Object.values(patches.incidents)) {
    if (byId.has(incident.id) || complete || oldest === null || Date.parse(incident.startedAt) >= oldest) byId.set(incident.id, incident);
  }
  return [...byId.values()]
    .filter((i) => !patches.removed.includes(i.integration.id) && (!onlyOpen || i.open))
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt) || (a.id < b.id ? 1 : -1));
}
