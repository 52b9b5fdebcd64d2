import { describe, expect, it } from "vitest";
import {
  isFiltering,
  listVariables,
  matchesConnection,
  matchesFilters,
  NO_FILTERS,
  PAGE_SIZE,
  readFilters,
  readPageSize,
  withFilters,
  type Searchable,
} from "./dashboard-filters";

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

describe("listVariables: the filters the API applies", () => {
  it("never lists disconnected connections, and sends provider, state and search when set", () => {
    expect(listVariables(NO_FILTERS)).toEqual({ filter: { status: ["CONNECTED", "REAUTH_REQUIRED", "ERROR"] }, search: null });
    expect(listVariables({ q: "  Acme  ", provider: "slack", state: "FAILING" })).toEqual({
      filter: { status: ["CONNECTED", "REAUTH_REQUIRED", "ERROR"], providers: ["slack"], states: ["FAILING"] },
      search: "Acme",
    });
  });

  it("cuts the search at the API's 200 characters", () => {
    expect(listVariables({ ...NO_FILTERS, q: "x".repeat(250) }).search).toHaveLength(200);
  });
});

describe("matchesConnection: a connection from a live event against the filters, as the API decides", () => {
  const connection = { providerId: "slack", status: "CONNECTED" as const, state: "HEALTHY" as const, label: "Support team", account: { id: "T0GLOBEX", name: "Globex Sandbox" } };

  it("matches label, account name and id, and provider id as one piece of text, ignoring case", () => {
    for (const q of ["support", "TEAM", "globex sand", "t0glob", "sla"]) expect(matchesConnection(connection, { ...NO_FILTERS, q })).toBe(true);
    expect(matchesConnection(connection, { ...NO_FILTERS, q: "support globex" })).toBe(false);
  });

  it("checks provider and state, and never lets a disconnected one in", () => {
    expect(matchesConnection(connection, { ...NO_FILTERS, provider: "hubspot" })).toBe(false);
    expect(matchesConnection(connection, { ...NO_FILTERS, state: "FAILING" })).toBe(false);
    expect(matchesConnection(connection, { ...NO_FILTERS, provider: "slack", state: "HEALTHY" })).toBe(true);
    expect(matchesConnection({ ...connection, status: "DISCONNECTED", state: "NOT_CONNECTED" }, NO_FILTERS)).toBe(false);
  });
});

describe("readPageSize", () => {
  it("reads ?pageSize=N between 1 and 200, else the default", () => {
    expect(readPageSize(new URL("http://x/d"))).toBe(PAGE_SIZE);
    expect(readPageSize(new URL("http://x/d?pageSize=2"))).toBe(2);
    for (const bad of ["0", "201", "2.5", "x", ""]) expect(readPageSize(new URL(`http://x/d?pageSize=${bad}`))).toBe(PAGE_SIZE);
  });
});
