import { describe, expect, it } from "vitest";
import type { IntegrationState } from "$lib/graphql/types";
import { byAttention, needsAttention, pageTitle, stateText, summaryLine, summaryText, transitionOf, worstState, type StateView } from "./integration-attention";

const view = (state: IntegrationState, consecutiveFailures = 0, unhealthyAfter = 3): StateView => ({ state, consecutiveFailures, unhealthyAfter });

describe("byAttention", () => {
  it("puts the cards that need attention first, then healthy, then not connected", () => {
    const cards: [string, IntegrationState][] = [
      ["slack", "HEALTHY"],
      ["hubspot", "NOT_CONNECTED"],
      ["google", "FAILING"],
      ["salesforce", "UNHEALTHY"],
      ["acme", "REAUTH_REQUIRED"],
      ["zendesk", "MISSING_SCOPES"],
      ["notion", "UNKNOWN"],
    ];
    expect(byAttention(cards, ([, state]) => state).map(([id]) => id)).toEqual([
      "salesforce",
      "acme",
      "zendesk",
      "google",
      "slack",
      "notion",
      "hubspot",
    ]);
  });

  it("keeps the catalog's order among cards of the same state, and does not change its input", () => {
    const cards = ["a", "b", "c", "d"].map((id, i) => ({ id, state: (i % 2 ? "HEALTHY" : "NOT_CONNECTED") as IntegrationState }));
    const before = cards.map((c) => c.id);
    expect(byAttention(cards, (c) => c.state).map((c) => c.id)).toEqual(["b", "d", "a", "c"]);
    expect(cards.map((c) => c.id)).toEqual(before);
  });
});

describe("summaryLine", () => {
  it("counts connections and those that need attention", () => {
    expect(summaryLine(["HEALTHY", "HEALTHY", "HEALTHY", "UNHEALTHY", "NOT_CONNECTED"])).toBe("4 connected · 1 needs attention");
    expect(summaryLine(["FAILING", "REAUTH_REQUIRED", "HEALTHY"])).toBe("3 connected · 2 need attention");
  });
  it("says when all are healthy, or nothing is connected", () => {
    expect(summaryLine(["HEALTHY", "HEALTHY", "NOT_CONNECTED"])).toBe("2 connected · all healthy");
    expect(summaryLine(["HEALTHY"])).toBe("1 connected · healthy");
    expect(summaryLine(["NOT_CONNECTED", "NOT_CONNECTED"])).toBe("Nothing connected yet");
    expect(summaryLine([])).toBe("Nothing connected yet");
  });
  it("does not call a connection that was never checked healthy", () => {
    expect(summaryLine(["HEALTHY", "UNKNOWN"])).toBe("2 connected · 1 not checked yet");
  });
});

describe("summaryText", () => {
  it("reads the workspace's counts (integrationCounts), whatever page is loaded", () => {
    expect(summaryText({ connected: 3, attention: 2, unchecked: 0 })).toBe("3 connected · 2 need attention");
    expect(summaryText({ connected: 120, attention: 0, unchecked: 0 })).toBe("120 connected · all healthy");
    expect(summaryText({ connected: 2, attention: 1, unchecked: 1 })).toBe("2 connected · 1 needs attention · 1 not checked yet");
    expect(summaryText({ connected: 0, attention: 0, unchecked: 0 })).toBe("Nothing connected yet");
  });
});

describe("worstState", () => {
  it("is the state that sorts first, or NOT_CONNECTED for none", () => {
    expect(worstState(["HEALTHY", "FAILING", "UNKNOWN"])).toBe("FAILING");
    expect(worstState(["MISSING_SCOPES", "UNHEALTHY"])).toBe("UNHEALTHY");
    expect(worstState([])).toBe("NOT_CONNECTED");
  });
});

describe("pageTitle", () => {
  it("leads with the count of connections that need attention, and is plain at 0", () => {
    expect(pageTitle(1)).toBe("(1) Integrations · Switchboard");
    expect(pageTitle(12)).toBe("(12) Integrations · Switchboard");
    expect(pageTitle(0)).toBe("Integrations · Switchboard");
  });
});

describe("needsAttention and stateText", () => {
  it("covers the failing states only", () => {
    expect(["UNHEALTHY", "REAUTH_REQUIRED", "MISSING_SCOPES", "FAILING"].every((s) => needsAttention(s as IntegrationState))).toBe(true);
    expect(["HEALTHY", "UNKNOWN", "NOT_CONNECTED"].some((s) => needsAttention(s as IntegrationState))).toBe(false);
    expect(needsAttention(null)).toBe(false);
  });
  it("shows the failure count of a failing connection", () => {
    expect(stateText(view("FAILING", 2, 3))).toBe("Failing 2 of 3");
    expect(stateText(view("REAUTH_REQUIRED"))).toBe("Reconnect required");
  });
});

describe("transitionOf", () => {
  it("announces a connection going bad, as an error", () => {
    expect(transitionOf("HubSpot", view("HEALTHY"), view("FAILING", 1, 3))).toEqual({
      tone: "error",
      text: "HubSpot is failing its checks (1 of 3 before Unhealthy).",
      attention: true,
    });
    expect(transitionOf("HubSpot", view("FAILING", 2, 3), view("UNHEALTHY", 3, 3))?.text).toBe("HubSpot is unhealthy.");
    expect(transitionOf("Slack", view("HEALTHY"), view("REAUTH_REQUIRED"))?.text).toBe("Slack needs to be reconnected.");
    expect(transitionOf("Slack", view("HEALTHY"), view("MISSING_SCOPES"))?.text).toBe("Slack is missing scopes.");
    // A new connection whose first check fails is news too.
    expect(transitionOf("Slack", view("UNKNOWN"), view("FAILING", 1, 3))?.tone).toBe("error");
  });

  it("announces each further failure on the way to Unhealthy, but not the same count twice", () => {
    expect(transitionOf("HubSpot", view("FAILING", 1, 3), view("FAILING", 2, 3))?.text).toBe(
      "HubSpot is failing its checks (2 of 3 before Unhealthy).",
    );
    expect(transitionOf("HubSpot", view("FAILING", 2, 3), view("FAILING", 2, 3))).toBeNull();
    expect(transitionOf("HubSpot", view("UNHEALTHY", 5, 3), view("UNHEALTHY", 6, 3))).toBeNull();
  });

  it("announces a recovery, as a success", () => {
    expect(transitionOf("HubSpot", view("UNHEALTHY"), view("HEALTHY"))).toEqual({
      tone: "success",
      text: "HubSpot recovered: healthy again.",
      attention: false,
    });
  });

  it("is silent about what is not news: no change, connecting, disconnecting, a first healthy check", () => {
    expect(transitionOf("Slack", view("HEALTHY"), view("HEALTHY"))).toBeNull();
    expect(transitionOf("Slack", null, view("HEALTHY"))).toBeNull();
    expect(transitionOf("Slack", view("UNKNOWN"), view("HEALTHY"))).toBeNull();
    expect(transitionOf("Slack", null, view("UNKNOWN"))).toBeNull();
    expect(transitionOf("Slack", view("HEALTHY"), view("NOT_CONNECTED"))).toBeNull();
    expect(transitionOf("Slack", view("UNHEALTHY"), null)).toBeNull();
  });
});
