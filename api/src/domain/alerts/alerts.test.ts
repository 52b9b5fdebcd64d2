import { describe, expect, it } from "vitest";
import { checkEmails, checkEvents, checkSlackChannel, checkSlackWebhookUrl, maskSlackWebhookUrl } from "./input.ts";
import { composeAlert, formatDuration, type AlertItem } from "./message.ts";

const env = { NODE_ENV: "production" as const, allowPrivateWebhookUrls: false, sandboxEnabled: false, PUBLIC_URL: "https://sb.example.com" };
const publicLookup = async () => [{ address: "34.1.2.3", family: 4 }];

describe("alert channel input", () => {
  it("accepts Slack's incoming-webhook URLs only (the emulator's in sandbox mode)", async () => {
    const good = "https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstuvwx";
    expect(await checkSlackWebhookUrl(good, env, publicLookup)).toBe(good);
    for (const bad of ["http://hooks.slack.com/services/T1/B1/x", "https://hooks.slack.com/other/T1/B1/x", "https://hooks.slack.com:8443/services/T1/B1/x", "https://evil.example/services/T1/B1/x", "https://u:p@hooks.slack.com/services/T1/B1/x", "not a url"]) {
      await expect(checkSlackWebhookUrl(bad, env, publicLookup), bad).rejects.toMatchObject({ field: "webhookUrl" });
    }
    // The special-address protection of the webhook URL policy applies to the real host too.
    await expect(checkSlackWebhookUrl(good, env, async () => [{ address: "10.0.0.5", family: 4 }])).rejects.toThrow(/private/);
    const sandbox = { ...env, NODE_ENV: "development" as const, sandboxEnabled: true, PUBLIC_URL: "http://localhost:3000" };
    expect(await checkSlackWebhookUrl("http://localhost:3000/sandbox/slack/services/T0SANDBOX/B0SANDBOX/x1", sandbox)).toBe("http://localhost:3000/sandbox/slack/services/T0SANDBOX/B0SANDBOX/x1");
    await expect(checkSlackWebhookUrl("http://localhost:3000/sandbox/slack/services/T0SANDBOX/B0SANDBOX/x1", env)).rejects.toMatchObject({ field: "webhookUrl" });
  });

  it("masks the secret part of a webhook URL", () => {
    expect(maskSlackWebhookUrl("https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstuvwx")).toBe("https://hooks.slack.com/services/T0001/B0001/••••••••uvwx");
    expect(maskSlackWebhookUrl("https://hooks.slack.com/services/T0001/B0001/short")).not.toContain("short");
  });

  it("checks addresses, channels and events", () => {
    expect(checkEmails([" Ops@Example.com ", "ops@example.com"])).toEqual(["ops@example.com"]);
    expect(() => checkEmails([])).toThrow(/at least one/);
    expect(() => checkEmails(["nope"])).toThrow(/not an e-mail/);
    expect(checkSlackChannel("alerts")).toBe("#alerts");
    expect(checkSlackChannel("C0123ABC")).toBe("C0123ABC");
    expect(() => checkSlackChannel("#Has Spaces")).toThrow();
    expect(checkEvents(undefined)).toEqual(["DOWN", "RECOVERED", "REAUTH_REQUIRED", "MISSING_SCOPES"]);
    expect(checkEvents(["RECOVERED", "DOWN", "DOWN"])).toEqual(["DOWN", "RECOVERED"]);
    expect(() => checkEvents([])).toThrow(/at least one/);
    expect(() => checkEvents(["UP"])).toThrow(/Unknown event/);
  });
});

describe("alert messages", () => {
  const item = (over: Partial<AlertItem> = {}): AlertItem => ({
    integrationId: "i1",
    providerId: "slack",
    providerName: "Slack",
    accountName: "Acme",
    errorCode: "provider_error",
    message: "HTTP 500 from slack.com",
    startedAt: new Date("2026-12-06T10:00:00.000Z"),
    endedAt: null,
    ...over,
  });

  it("names provider, account, error, start, duration and link", () => {
    const down = composeAlert("DOWN", [item()], "https://sb.example.com/");
    expect(down.subject).toBe("[Switchboard] Down: Slack (Acme) (provider_error)");
    expect(down.text).toContain("Error: provider_error - HTTP 500 from slack.com");
    expect(down.text).toContain("Started: 2026-12-06 10:00:00 UTC");
    expect(down.text).toContain("Details: https://sb.example.com/dashboard/integrations/i1");
    const up = composeAlert("RECOVERED", [item({ endedAt: new Date("2026-12-06T11:02:05.000Z") })], "https://sb.example.com");
    expect(up.subject).toBe("[Switchboard] Recovered: Slack (Acme) after 1h 2m 5s");
    expect(up.text).toContain("Lasted: 1h 2m 5s");
  });

  it("one message for several connections, naming each", () => {
    const many = composeAlert("DOWN", [item(), item({ integrationId: "i2", providerId: "google", providerName: "Google", accountName: null })], "https://sb.example.com");
    expect(many.subject).toBe("[Switchboard] Down: 2 connections (Google, Slack)");
    expect(many.text).toContain("Account: (unknown)");
    expect(many.text).toContain("/dashboard/integrations/i2");
    expect(formatDuration(59)).toBe("59s");
    expect(formatDuration(3600)).toBe("1h 0m 0s");
  });
});
