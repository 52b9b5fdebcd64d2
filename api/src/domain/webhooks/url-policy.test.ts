import { describe, expect, it } from "vitest";
import { isPrivateAddress, validateWebhookUrl, type LookupAll } from "./url-policy.ts";

const prod = { NODE_ENV: "production" as const, WEBHOOK_ALLOW_PRIVATE_URLS: undefined };
const dev = { NODE_ENV: "development" as const, WEBHOOK_ALLOW_PRIVATE_URLS: undefined };
const resolvesTo =
  (...addresses: string[]): LookupAll =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

describe("validateWebhookUrl", () => {
  it("accepts public https URLs and refuses other schemes, credentials and http in production", async () => {
    expect((await validateWebhookUrl("https://hooks.example.com/in", prod, { lookup: resolvesTo("93.184.216.34") })).ok).toBe(true);
    expect(await validateWebhookUrl("ftp://example.com/", dev)).toMatchObject({ ok: false });
    expect(await validateWebhookUrl("http://user:pw@example.com/", dev)).toMatchObject({ ok: false, reason: expect.stringMatching(/user name or password/) });
    expect(await validateWebhookUrl("http://hooks.example.com/", prod, { lookup: resolvesTo("93.184.216.34") })).toMatchObject({ ok: false, reason: expect.stringMatching(/https/) });
    expect(await validateWebhookUrl("not a url", dev)).toMatchObject({ ok: false });
  });

  it("refuses private literals, localhost and names resolving to private addresses unless allowed", async () => {
    for (const url of ["https://127.0.0.1/", "https://2130706433/", "https://[::1]/", "https://[::ffff:10.0.0.1]/", "https://169.254.169.254/latest", "https://localhost/", "https://[fd00::1]/"]) {
      expect(await validateWebhookUrl(url, prod), url).toMatchObject({ ok: false });
    }
    expect(await validateWebhookUrl("https://evil.example/", prod, { lookup: resolvesTo("93.184.216.34", "192.168.1.2") })).toMatchObject({ ok: false });
    expect(await validateWebhookUrl("https://nowhere.example/", prod, { lookup: async () => Promise.reject(new Error("ENOTFOUND")) })).toMatchObject({ ok: false });
    expect((await validateWebhookUrl("http://127.0.0.1:9/", dev)).ok).toBe(true);
    expect((await validateWebhookUrl("https://127.0.0.1:9/", { ...prod, WEBHOOK_ALLOW_PRIVATE_URLS: "on" })).ok).toBe(true);
    expect((await validateWebhookUrl("http://127.0.0.1:9/", { ...dev, WEBHOOK_ALLOW_PRIVATE_URLS: "off" })).ok).toBe(false);
  });

  it("classifies addresses", () => {
    for (const a of ["10.1.2.3", "172.31.0.1", "100.64.0.1", "0.0.0.0", "::", "fe80::1", "::ffff:127.0.0.1"]) expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ["8.8.8.8", "172.32.0.1", "2606:4700::1111"]) expect(isPrivateAddress(a), a).toBe(false);
  });
});
