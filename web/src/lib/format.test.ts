import { describe, expect, it } from "vitest";
import { formatLatency, httpUrlOrNull, providerAnswerText } from "./format";

describe("providerAnswerText", () => {
  it("names the provider's status, the endpoint and its own words", () => {
    expect(providerAnswerText("Slack", { httpStatus: 500, endpoint: "POST /api/auth.test", providerMessage: "internal_error" })).toBe(
      "Slack answered 500 at POST /api/auth.test: internal_error",
    );
    expect(providerAnswerText("HubSpot", { httpStatus: 429, endpoint: "GET /account-info/v3/details", providerMessage: null })).toBe(
      "HubSpot answered 429 at GET /account-info/v3/details",
    );
    expect(providerAnswerText("Google", { httpStatus: 401, endpoint: null, providerMessage: "invalid_token" })).toBe("Google answered 401: invalid_token");
  });

  it("without a status (network errors, timeouts): no answer, and where", () => {
    expect(providerAnswerText("Slack", { httpStatus: null, endpoint: "POST /api/auth.test", providerMessage: null })).toBe("No answer from Slack at POST /api/auth.test");
    expect(providerAnswerText("Slack", { httpStatus: null, endpoint: null, providerMessage: "ratelimited" })).toBe("Slack said: ratelimited");
    expect(providerAnswerText("Slack", { httpStatus: null, endpoint: null, providerMessage: null })).toBeNull();
  });
});

describe("formatLatency", () => {
  it("milliseconds under a second, seconds above", () => {
    expect(formatLatency(142)).toBe("142 ms");
    expect(formatLatency(2345)).toBe("2.3 s");
  });
});

describe("httpUrlOrNull", () => {
  it("only http(s) URLs may become links", () => {
    expect(httpUrlOrNull("https://status.slack.com/")).toBe("https://status.slack.com/");
    expect(httpUrlOrNull("HTTP://example.test")).toBe("HTTP://example.test");
    expect(httpUrlOrNull("javascript:alert(1)")).toBeNull();
    expect(httpUrlOrNull(null)).toBeNull();
  });
});
