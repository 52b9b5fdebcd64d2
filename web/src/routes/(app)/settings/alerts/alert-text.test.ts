import { describe, expect, it } from "vitest";
import { cannotSend, channelTarget, deliveryEventText, parseEmails } from "./alert-text";

const ready = { emailConfigured: true, emailFrom: "Switchboard <a@x.test>", slackConnected: true, slackCanPost: true, sandboxWebhookUrl: null };

describe("alert channel words", () => {
  it("says what stops a kind of channel from sending", () => {
    expect(cannotSend("EMAIL", { ...ready, emailConfigured: false })).toMatch(/SMTP_URL is not set/);
    expect(cannotSend("SLACK", { ...ready, slackConnected: false, slackCanPost: false })).toMatch(/not connected/);
    expect(cannotSend("SLACK", { ...ready, slackCanPost: false })).toMatch(/chat:write/);
    // An incoming webhook needs neither SMTP nor a Slack connection.
    expect(cannotSend("SLACK_WEBHOOK", { ...ready, emailConfigured: false, slackConnected: false, slackCanPost: false })).toBeNull();
    for (const kind of ["EMAIL", "SLACK", "SLACK_WEBHOOK"] as const) expect(cannotSend(kind, ready)).toBeNull();
  });

  it("splits recipients on commas, semicolons, spaces and new lines", () => {
    expect(parseEmails(" ops@x.test, dev@x.test;\nboss@x.test  ")).toEqual(["ops@x.test", "dev@x.test", "boss@x.test"]);
    expect(parseEmails(" , ")).toEqual([]);
  });

  it("names targets and delivery events", () => {
    expect(channelTarget({ kind: "EMAIL", emails: ["a@x.test", "b@x.test"], slackChannel: null, webhookUrlMasked: null })).toBe("To a@x.test, b@x.test");
    expect(channelTarget({ kind: "SLACK", emails: [], slackChannel: "#alerts", webhookUrlMasked: null })).toBe("Posts to #alerts");
    expect(deliveryEventText("TEST")).toBe("Test");
    expect(deliveryEventText("REAUTH_REQUIRED")).toBe("Reconnect required");
    expect(deliveryEventText("SOMETHING_NEW")).toBe("SOMETHING_NEW");
  });
});
