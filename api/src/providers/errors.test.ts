import { describe, expect, it } from "vitest";
import { CONNECTION_ERROR_CODES, checkOnlyCodes, connectionErrorCode, nextStepFor, nextSteps, oauthErrorCodes } from "./errors.ts";
import { suggestedAction } from "../graphql/types/integration.ts";

// Issue 13 item 6: every code has a specific next step, never "None yet".

describe("the connection error code catalogue", () => {
  it("lists every catalogue and check-only code once", () => {
    expect(new Set(CONNECTION_ERROR_CODES).size).toBe(CONNECTION_ERROR_CODES.length);
    expect([...CONNECTION_ERROR_CODES].sort()).toEqual([...Object.keys(oauthErrorCodes), ...Object.keys(checkOnlyCodes)].sort());
  });

  it.each(CONNECTION_ERROR_CODES)("%s has a next step of its own", (code) => {
    const step = nextStepFor(code, "Slack");
    expect(step.length).toBeGreaterThan(15);
    expect(step).not.toMatch(/none yet|\{provider\}/i);
    // Specific: no two codes share their words.
    expect(CONNECTION_ERROR_CODES.filter((other) => nextSteps[other] === nextSteps[code])).toEqual([code]);
  });

  it.each(CONNECTION_ERROR_CODES)("a connected connection with %s suggests something", (code) => {
    const row = { status: "CONNECTED", healthErrorCode: code, nextHealthCheckAt: null, requestedScopes: ["a", "b"], grantedScopes: ["a"] };
    const action = suggestedAction(row, "Slack");
    expect(action).toBeTruthy();
    expect(action).not.toMatch(/none yet/i);
  });

  it("maps a stored code it does not know to unknown, and keeps null", () => {
    expect(connectionErrorCode("provider_error")).toBe("provider_error");
    expect(connectionErrorCode("from_a_newer_release")).toBe("unknown");
    expect(connectionErrorCode("__proto__")).toBe("unknown");
    expect(connectionErrorCode(null)).toBeNull();
  });

  it("refines with the row's facts where it has them", () => {
    const base = { status: "CONNECTED", nextHealthCheckAt: new Date("2026-12-06T12:05:00Z"), requestedScopes: ["chat:write", "team:read"], grantedScopes: ["team:read"] };
    expect(suggestedAction({ ...base, healthErrorCode: "insufficient_scope" }, "Slack")).toBe("Reconnect to grant chat:write");
    expect(suggestedAction({ ...base, healthErrorCode: "rate_limited" }, "Slack")).toBe("Rate limited until 12:05 UTC; checks resume by themselves");
    expect(suggestedAction({ ...base, healthErrorCode: "timeout" }, "Slack")).toContain("Slack's status page");
    expect(suggestedAction({ ...base, status: "REAUTH_REQUIRED", healthErrorCode: "invalid_grant" }, "Slack")).toBe("Reconnect");
    expect(suggestedAction({ ...base, healthErrorCode: null }, "Slack")).toBeNull();
  });
});
