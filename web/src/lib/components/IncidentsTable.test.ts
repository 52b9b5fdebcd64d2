import "@testing-library/jest-dom/vitest";
import { describe, expect, it } from "vitest";
import { render, screen, within } from "@testing-library/svelte";
import IncidentsTable, { formatDuration } from "./IncidentsTable.svelte";
import type { Incident } from "$lib/graphql/types";

const NOW = Date.parse("2026-03-04T10:00:00Z");

function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: "inc-1",
    startedAt: new Date(NOW - 3_725_000).toISOString(),
    endedAt: new Date(NOW - 600_000).toISOString(),
    durationSeconds: 3_125,
    errorCode: "PROVIDER_ERROR",
    message: "HubSpot answered HTTP 500",
    checksFailed: 4,
    alertsSent: 2,
    open: false,
    integration: { id: "int-1", provider: { id: "hubspot", name: "HubSpot" } },
    ...overrides,
  };
}

describe("IncidentsTable", () => {
  it("lists start, end, duration, error, failed checks and alerts sent", () => {
    render(IncidentsTable, { incidents: [incident()], now: NOW });
    const table = screen.getByRole("table");
    const headers = within(table).getAllByRole("columnheader").map((h) => h.textContent?.trim());
    expect(headers).toEqual(["Started", "Ended", "Duration", "Error", "Failed checks", "Alerts sent"]);
    const cells = within(table).getAllByRole("cell").map((c) => c.textContent?.replace(/\s+/g, " ").trim());
    expect(cells[2]).toBe("52 min 5 s");
    expect(cells[3]).toBe("PROVIDER_ERROR HubSpot answered HTTP 500");
    expect(cells.slice(4)).toEqual(["4", "2"]);
    expect(screen.getByRole("region", { name: /Incidents/ })).toHaveAttribute("tabindex", "0");
  });

  it("shows an open incident as ongoing, its duration running until now, and names the connection when asked", () => {
    render(IncidentsTable, { incidents: [incident({ open: true, endedAt: null, durationSeconds: 10 })], now: NOW, showConnection: true });
    expect(screen.getByRole("columnheader", { name: "Connection" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "HubSpot" })).toHaveAttribute("href", "/dashboard/integrations/int-1");
    expect(screen.getByText("Ongoing")).toBeInTheDocument();
    expect(screen.getByText("1 h 2 min")).toBeInTheDocument();
  });

  it("formats durations with their two largest units", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(59)).toBe("59 s");
    expect(formatDuration(60)).toBe("1 min");
    expect(formatDuration(3_600)).toBe("1 h");
    expect(formatDuration(3_725)).toBe("1 h 2 min");
    expect(formatDuration(90_061)).toBe("1 d 1 h");
  });
});
