import { describe, expect, it } from "vitest";
import { readOutcome } from "./oauth-outcome";

// The callback's outcome as the dashboard's message (design.md: "Connected to Slack" or "Could not
// connect to Slack: ...").

const names = (id: string) => ({ slack: "Slack", salesforce: "Salesforce" })[id] ?? id;
const outcome = (query: string) => readOutcome(new URL(`http://x/dashboard/integrations?${query}`), names);

describe("readOutcome", () => {
  it("names the provider connected, or none for a plain visit", () => {
    expect(outcome("connected=slack")).toEqual({ tone: "success", text: "Connected to Slack" });
    expect(outcome("provider=slack")).toBeNull();
  });

  it("explains a reconnect that signed in to another account, and one of a connection that is gone", () => {
    expect(outcome("error=account_mismatch&provider=slack")).toEqual({
      tone: "error",
      text: "Could not connect to Slack: you signed in to a different account than the connection you were reconnecting, so nothing was changed. Reconnect and sign in to that connection's own account, or use Add another to connect the other one.",
    });
    expect(outcome("error=unknown_connection&provider=salesforce")?.text).toBe(
      "Could not connect to Salesforce: that connection no longer exists in this workspace (it may have been removed). Reload the page and start again from its card.",
    );
  });
});
