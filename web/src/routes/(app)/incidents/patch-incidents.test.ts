import { describe, expect, it } from "vitest";
import type { Incident } from "$lib/graphql/types";
import { addIncidentEvent, NO_PATCHES, patchIncidents } from "./patch-incidents";

function incident(id: string, integrationId: string, startedAt: string, open: boolean): Incident {
  return {
    id,
    startedAt,
    endedAt: open ? null : "2026-03-04T10:00:00.000Z",
    durationSeconds: 60,
    errorCode: "PROVIDER_ERROR",
    message: null,
    checksFailed: 1,
    alertsSent: 0,
    open,
    integration: { id: integrationId, provider: { id: integrationId, name: integrationId } },
  };
}

const a = incident("a", "slack", "2026-03-04T09:00:00.000Z", true);
const b = incident("b", "hubspot", "2026-03-04T08:00:00.000Z", false);

describe("incidents patched from live events", () => {
  it("updates a shown incident, adds a new one on top, and keeps the order", () => {
    let patches = addIncidentEvent(NO_PATCHES, { integrationId: "slack", latest: { ...a, open: false, checksFailed: 3 } });
    patches = addIncidentEvent(patches, { integrationId: "hubspot", latest: incident("c", "hubspot", "2026-03-04T09:30:00.000Z", true) });
    const rows = patchIncidents({ loaded: [a, b], patches, onlyOpen: false, complete: false });
    expect(rows.map((i) => [i.id, i.open, i.checksFailed])).toEqual([
      ["c", true, 1],
      ["a", false, 3],
      ["b", false, 1],
    ]);
    // "Ongoing only" drops the one that closed.
    expect(patchIncidents({ loaded: [a], patches, onlyOpen: true, complete: false }).map((i) => i.id)).toEqual(["c"]);
  });

  it("adds an incident older than the fetched pages only when they are complete (no gap before Load older)", () => {
    const old = incident("old", "google", "2026-03-01T00:00:00.000Z", true);
    const patches = addIncidentEvent(NO_PATCHES, { integrationId: "google", latest: old });
    expect(patchIncidents({ loaded: [a, b], patches, onlyOpen: false, complete: false }).map((i) => i.id)).toEqual(["a", "b"]);
    expect(patchIncidents({ loaded: [a, b], patches, onlyOpen: false, complete: true }).map((i) => i.id)).toEqual(["a", "b", "old"]);
  });

  it("drops a removed connection's incidents, and ignores events of connections without any", () => {
    let patches = addIncidentEvent(NO_PATCHES, { integrationId: "slack", latest: { ...a, checksFailed: 2 } });
    patches = addIncidentEvent(patches, { integrationId: "google", latest: null });
    expect(patchIncidents({ loaded: [a, b], patches, onlyOpen: false, complete: true })).toHaveLength(2);
    patches = addIncidentEvent(patches, { integrationId: "slack", latest: undefined });
    expect(patchIncidents({ loaded: [a, b], patches, onlyOpen: false, complete: true }).map((i) => i.id)).toEqual(["b"]);
  });
});
