import { describe, expect, it } from "vitest";
import { filterVariables, filtersSearch, hasFilters, readFilters } from "./audit-filters";

describe("audit log filters in the URL", () => {
  it("reads the four filters and drops malformed dates", () => {
    const filters = readFilters(new URLSearchParams("action=member.invited&actor=u1&from=2026-12-01&to=not-a-date&x=1"));
    expect(filters).toEqual({ action: "member.invited", actor: "u1", from: "2026-12-01", to: "" });
    expect(hasFilters(filters)).toBe(true);
    expect(hasFilters(readFilters(new URLSearchParams("")))).toBe(false);
  });

  it("writes only the filters that are set, and nothing when none is", () => {
    expect(filtersSearch({ action: "webhook.*", actor: "", from: "", to: "2026-12-06" })).toBe("?action=webhook.*&to=2026-12-06");
    expect(filtersSearch({ action: "", actor: "", from: "", to: "" })).toBe("");
    const round = readFilters(new URLSearchParams(filtersSearch({ action: "api_key.created", actor: "user-1", from: "2026-11-30", to: "2026-12-06" })));
    expect(round).toEqual({ action: "api_key.created", actor: "user-1", from: "2026-11-30", to: "2026-12-06" });
  });

  it("turns days into a range: from the first day's start up to the end of the last day", () => {
    const vars = filterVariables({ action: "", actor: "", from: "2026-12-01", to: "2026-12-01" });
    expect(vars.action).toBeNull();
    expect(vars.actorUserId).toBeNull();
    expect(new Date(vars.from!).getTime()).toBe(new Date(2026, 11, 1).getTime());
    expect(new Date(vars.to!).getTime()).toBe(new Date(2026, 11, 2).getTime());
    // The last day of a month rolls over into the next one.
    expect(new Date(filterVariables({ action: "", actor: "", from: "", to: "2026-11-30" }).to!).getTime()).toBe(new Date(2026, 11, 1).getTime());
  });
});
