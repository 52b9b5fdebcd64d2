import { describe, expect, it } from "vitest";
import { isFiltering, matchesFilters, NO_FILTERS, readFilters, withFilters, type Searchable } from "./dashboard-filters";

const hubspot: Searchable = { providerId: "hubspot", providerName: "HubSpot", state: "UNHEALTHY", labels: ["Acme Sandbox Portal", null] };
const salesforce: Searchable = { providerId: "salesforce", providerName: "Salesforce", state: "HEALTHY", labels: ["Zoë Ops", "acme--uat.sandbox"] };
const slack: Searchable = { providerId: "slack", providerName: "Slack", state: "NOT_CONNECTED", labels: [] };

describe("readFilters / withFilters", () => {
  it("reads ?q=&provider=&state= and ignores an unknown state", () => {
    expect(readFilters(new URL("http://x/dashboard/integrations?q=acme&provider=slack&state=UNHEALTHY"))).toEqual({
      q: "acme",
      provider: "slack",
      state: "UNHEALTHY",
    });
    expect(readFilters(new URL("http://x/dashboard/integrations?state=BROKEN"))).toEqual(NO_FILTERS);
  });

  it("writes only the filters in use and keeps other parameters", () => {
    const url = withFilters(new URL("http://x/dashboard/integrations?q=old&keep=1"), { q: "  acme ", provider: "", state: "FAILING" });
    expect(url.searchParams.get("q")).toBe("acme");
    expect(url.searchParams.has("provider")).toBe(false);
    expect(url.searchParams.get("state")).toBe("FAILING");
    expect(url.searchParams.get("keep")).toBe("1");
    expect(withFilters(url, NO_FILTERS).search).toBe("?keep=1");
  });

  it("round-trips", () => {
    const filters = { q: "zoë ops", provider: "salesforce", state: "HEALTHY" as const };
    expect(readFilters(withFilters(new URL("http://x/d"), filters))).toEqual(filters);
  });

  it("knows when a filter is in use", () => {
    expect(isFiltering(NO_FILTERS)).toBe(false);
    expect(isFiltering({ ...NO_FILTERS, q: "   " })).toBe(false);
    expect(isFiltering({ ...NO_FILTERS, state: "HEALTHY" })).toBe(true);
  });
});

describe("matchesFilters", () => {
  const all = [hubspot, salesforce, slack];
  const ids = (filters: Parameters<typeof matchesFilters>[1]) => all.filter((i) => matchesFilters(i, filters)).map((i) => i.providerId);

  it("searches provider names, account names and orgs, every word, ignoring case and accents", () => {
    expect(ids({ ...NO_FILTERS, q: "acme" })).toEqual(["hubspot", "salesforce"]);
    expect(ids({ ...NO_FILTERS, q: "ZOE" })).toEqual(["salesforce"]);
    expect(ids({ ...NO_FILTERS, q: "acme portal" })).toEqual(["hubspot"]);
    expect(ids({ ...NO_FILTERS, q: "sla" })).toEqual(["slack"]);
    expect(ids({ ...NO_FILTERS, q: "nothing like it" })).toEqual([]);
  });

  it("filters by provider and by state, together with the text", () => {
    expect(ids({ ...NO_FILTERS, provider: "salesforce" })).toEqual(["salesforce"]);
    expect(ids({ ...NO_FILTERS, state: "UNHEALTHY" })).toEqual(["hubspot"]);
    expect(ids({ q: "acme", provider: "", state: "HEALTHY" })).toEqual(["salesforce"]);
    expect(ids({ q: "acme", provider: "slack", state: "" })).toEqual([]);
    expect(ids(NO_FILTERS)).toEqual(["hubspot", "salesforce", "slack"]);
  });
});
