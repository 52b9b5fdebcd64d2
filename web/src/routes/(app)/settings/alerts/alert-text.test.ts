import { describe, expect, it } from "vitest";
import { cannotSend, channelCannotSend, channelTarget, deliveryEventText, parseEmails, slackConnectionText, slackWorkspaceOf } from "./alert-text";

const acme = { id: "int-acme", label: "Acme Sandbox", canPost: true };
const globex = { id: "int-globex", label: "Globex Sandbox", canPost: true };
const ready = { emailConfigured: true, emailFrom: "Switchboard <a@x.test>", slackConnected: true, slackCanPost: true, slackConnections: [acme], sandboxWebhookUrl: null };
const two = { ...ready, slackConnections: [acme, globex] };
const slackChannel = (slackIntegrationId: string | null) => ({ kind: "SLACK" as const, emails: [], slackChannel: "#alerts", webhookUrlMasked: null, slackIntegrationId });

describe("alert channel words", () => {
  it("says what stops a kind of channel from sending", () => {
    expect(cannotSend("EMAIL", { ...ready, emailConfigured: false })).toMatch(/SMTP_URL is not set/);
    expect(cannotSend("SLACK", { ...ready, slackConnected: false, slackCanPost: false, slackConnections: [] })).toMatch(/not connected/);
    expect(cannotSend("SLACK", { ...ready, slackCanPost: false, slackConnections: [{ ...acme, canPost: false }] })).toBe("The Slack connection lacks the chat:write permission.");
    expect(cannotSend("SLACK", { ...two, slackCanPost: false })).toBe("None of the connected Slack workspaces has the chat:write permission.");
    // An incoming webhook needs neither SMTP nor a Slack connection.
    expect(cannotSend("SLACK_WEBHOOK", { ...ready, emailConfigured: false, slackConnected: false, slackCanPost: false, slackConnections: [] })).toBeNull();
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

describe("a Slack channel's workspace", () => {
  it("is the one it names, else the only one connected; never a guess among several", () => {
    expect(slackWorkspaceOf({ slackIntegrationId: null }, [acme])).toBe(acme);
    expect(slackWorkspaceOf({ slackIntegrationId: "int-globex" }, [acme, globex])).toBe(globex);
    expect(slackWorkspaceOf({ slackIntegrationId: null }, [acme, globex])).toBe("unchosen");
    expect(slackWorkspaceOf({ slackIntegrationId: "int-gone" }, [acme, globex])).toBe("missing");
    expect(slackWorkspaceOf({ slackIntegrationId: null }, [])).toBeNull();
  });

  it("is named on the channel's row", () => {
    expect(channelTarget(slackChannel(null), [acme])).toBe("Posts to #alerts in Acme Sandbox");
    expect(channelTarget(slackChannel("int-globex"), [acme, globex])).toBe("Posts to #alerts in Globex Sandbox");
    expect(channelTarget(slackChannel(null), [acme, globex])).toBe("Posts to #alerts (no Slack workspace chosen)");
    expect(channelTarget(slackChannel("int-gone"), [acme])).toBe("Posts to #alerts in a Slack workspace that is not connected now");
    expect(channelTarget(slackChannel(null), [])).toBe("Posts to #alerts");
  });

  it("says why a channel cannot post: none chosen among several, gone, or without chat:write", () => {
    expect(channelCannotSend(slackChannel(null), ready)).toBeNull();
    expect(channelCannotSend(slackChannel("int-acme"), two)).toBeNull();
    expect(channelCannotSend(slackChannel(null), two)).toBe("Several Slack workspaces are connected: choose the one that posts.");
    expect(channelCannotSend(slackChannel("int-gone"), two)).toMatch(/^The chosen Slack workspace is not connected now/);
    expect(channelCannotSend(slackChannel("int-globex"), { ...two, slackConnections: [acme, { ...globex, canPost: false }] })).toBe("Globex Sandbox lacks the chat:write permission.");
    expect(channelCannotSend({ kind: "EMAIL", slackIntegrationId: null }, { ...two, emailConfigured: false })).toMatch(/SMTP_URL/);
  });

  it("offers each connection by its label, saying which cannot post", () => {
    expect(slackConnectionText(acme)).toBe("Acme Sandbox");
    expect(slackConnectionText({ ...globex, canPost: false })).toBe("Globex Sandbox (no chat:write)");
  });
});
