import { describe, expect, it } from "vitest";
import { validateWebhookUrl, type LookupAll } from "./url-policy.ts";

const prod = { NODE_ENV: "production" as const, allowPrivateWebhookUrls: false };
const dev = { NODE_ENV: "development" as const, allowPrivateWebhookUrls: false };
const optedIn = { NODE_ENV: "development" as const, allowPrivateWebhookUrls: true };
const resolvesTo =
  (...addresses: string[]): LookupAll =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
const noDns: LookupAll = async (host) => {
  throw new Error(`no DNS question expected, got one for ${host}`);
};

describe("validateWebhookUrl", () => {
  it("accepts public https URLs and refuses other schemes, credentials and http in production", async () => {
    expect(await validateWebhookUrl("https://hooks.example.com/in", prod, { lookup: resolvesTo("93.184.216.34") })).toMatchObject({
      ok: true,
      addresses: [{ address: "93.184.216.34", family: 4 }],
    });
    expect(await validateWebhookUrl("ftp://example.com/", dev)).toMatchObject({ ok: false });
    expect(await validateWebhookUrl("http://user:pw@example.com/", dev)).toMatchObject({ ok: false, reason: expect.stringMatching(/user name or password/) });
    expect(await validateWebhookUrl("http://hooks.example.com/", prod, { lookup: resolvesTo("93.184.216.34") })).toMatchObject({ ok: false, reason: expect.stringMatching(/https/) });
    expect(await validateWebhookUrl("not a url", dev)).toMatchObject({ ok: false });
  });

  it("refuses special-use literals in every spelling by default, in development as in production", async () => {
    const literals = [
      "http://127.0.0.1/",
      "http://2130706433/", // decimal
      "http://0x7f.1/", // hex, short form
      "http://0x7f000001/",
      "http://017700000001/", // octal
      "http://0177.0.0.1/",
      "http://127.1/",
      "http://127.0.0.1./",
      "http://0/",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/",
      "http://[::]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:7f00:1]/",
      "http://[::127.0.0.1]/", // IPv4-compatible
      "http://[64:ff9b::127.0.0.1]/", // NAT64 of loopback
      "http://[64:ff9b::a9fe:a9fe]/", // NAT64 of the metadata service
      "http://[64:ff9b:1::808:808]/", // local-use NAT64 prefix
      "http://[2002:7f00:1::1]/", // 6to4 of loopback
      "http://[2002:a00:1::]/", // 6to4 of 10.0.0.1
      "http://[2001::1]/", // Teredo
      "http://[fd00::1]/",
      "http://[fe80::1]/",
      "http://localhost/",
      "http://api.localhost./",
    ];
    for (const env of [dev, prod]) {
      for (const url of literals) {
        const https = url.replace(/^http:/, "https:");
        expect(await validateWebhookUrl(https, env, { lookup: noDns }), https).toMatchObject({ ok: false, reason: expect.stringMatching(/private, loopback or special-use/) });
      }
    }
  });

  it("refuses a name when any of its addresses is special-use, without saying which", async () => {
    const check = (addresses: string[]) => validateWebhookUrl("https://hooks.example.com/", prod, { lookup: resolvesTo(...addresses) });
    for (const addresses of [["127.0.0.1"], ["93.184.216.34", "192.168.1.2"], ["2606:4700::1111", "::1"], ["64:ff9b::a00:1"], ["2002:c0a8:101::1"], ["::ffff:10.0.0.1"]]) {
      const result = await check(addresses);
      expect(result, addresses.join()).toEqual({ ok: false, reason: "the host resolves to a private, loopback or special-use address" });
    }
    expect(await check(["93.184.216.34", "2606:4700::1111"])).toMatchObject({ ok: true, addresses: [{ address: "93.184.216.34", family: 4 }, { address: "2606:4700::1111", family: 6 }] });
    // An IPv6-only network reaches public IPv4 hosts through NAT64 and 6to4: those stay allowed.
    expect(await check(["64:ff9b::808:808", "2002:808:808::1"])).toMatchObject({ ok: true });
    expect(await validateWebhookUrl("https://nowhere.example/", prod, { lookup: async () => Promise.reject(new Error("ENOTFOUND")) })).toMatchObject({ ok: false, reason: "the host nowhere.example does not resolve" });
    expect(await validateWebhookUrl("https://nowhere.example/", prod, { lookup: resolvesTo() })).toMatchObject({ ok: false });
  });

  it("allows private receivers only with WEBHOOK_ALLOW_PRIVATE_URLS=on, still resolving once to pin the address", async () => {
    expect(await validateWebhookUrl("http://127.0.0.1:9/", optedIn, { lookup: noDns })).toMatchObject({ ok: true, addresses: [{ address: "127.0.0.1", family: 4 }] });
    expect(await validateWebhookUrl("http://[::1]:9/", optedIn, { lookup: noDns })).toMatchObject({ ok: true, addresses: [{ address: "::1", family: 6 }] });
    expect(await validateWebhookUrl("http://receiver.internal:9/", optedIn, { lookup: resolvesTo("10.1.2.3") })).toMatchObject({ ok: true, addresses: [{ address: "10.1.2.3", family: 4 }] });
    expect((await validateWebhookUrl("http://127.0.0.1:9/", dev)).ok).toBe(false);
  });
});
