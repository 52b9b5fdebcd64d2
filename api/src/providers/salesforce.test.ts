import { describe, expect, it } from "vitest";
import { forOrg, orgLoginUrl, parseOrg } from "./salesforce.ts";
import type { CatalogProvider } from "./catalog.ts";

// Which org a Salesforce connection signs in to (salesforce.md §1): what a person may type, and
// where each choice sends the token, userinfo and revoke calls.

const urls = { production: "https://login.salesforce.com", sandbox: "https://test.salesforce.com", myDomain: "https://{domain}.my.salesforce.com" };

describe("Salesforce orgs", () => {
  it("accepts production, sandbox and My Domains in the forms people type them", () => {
    expect(parseOrg(undefined)).toEqual({ ok: true, org: "production" });
    expect(parseOrg(" Sandbox ")).toEqual({ ok: true, org: "sandbox" });
    expect(parseOrg("acme")).toEqual({ ok: true, org: "https://acme.my.salesforce.com" });
    expect(parseOrg("acme--uat.sandbox")).toEqual({ ok: true, org: "https://acme--uat.sandbox.my.salesforce.com" });
    expect(parseOrg("https://Acme.my.salesforce.com/")).toEqual({ ok: true, org: "https://acme.my.salesforce.com" });
    expect(parseOrg("acme-dev-ed.develop.my.salesforce.com")).toEqual({ ok: true, org: "https://acme-dev-ed.develop.my.salesforce.com" });
  });

  it("refuses anything that could send the code or tokens elsewhere, with a reason", () => {
    for (const bad of [
      "https://acme.lightning.force.com",
      "acme.lightning.force.com",
      "http://acme.my.salesforce.com",
      "https://acme.my.salesforce.com.evil.example",
      "https://evil.example/acme.my.salesforce.com",
      "https://user@acme.my.salesforce.com",
      "https://acme.my.salesforce.com:8443",
      "https://acme.my.salesforce.com/services",
      "https://acme.my.salesforce.com?x=1",
      "javascript:alert(1)",
      "acme/../evil",
      "-acme",
      "a".repeat(201),
    ]) {
      expect(parseOrg(bad).ok, bad).toBe(false);
    }
    expect(parseOrg("https://acme.lightning.force.com")).toMatchObject({ ok: false, message: expect.stringContaining("My Domain URL") });
  });

  it("moves the token, userinfo and revoke endpoints to the org's login host, once", () => {
    const provider = {
      id: "salesforce",
      authorizationUrl: "https://login.salesforce.com/services/oauth2/authorize",
      tokenUrl: "https://login.salesforce.com/services/oauth2/token",
      revocationUrl: "https://login.salesforce.com/services/oauth2/revoke",
      userinfoUrl: "https://login.salesforce.com/services/oauth2/userinfo",
      orgLoginUrls: urls,
    } as CatalogProvider;
    const sandbox = forOrg(provider, "sandbox");
    expect(sandbox).toMatchObject({ org: "sandbox", tokenUrl: "https://test.salesforce.com/services/oauth2/token", revocationUrl: "https://test.salesforce.com/services/oauth2/revoke", userinfoUrl: "https://test.salesforce.com/services/oauth2/userinfo" });
    expect(forOrg(sandbox, "sandbox")).toBe(sandbox);
    expect(forOrg(provider, "https://acme.my.salesforce.com").authorizationUrl).toBe("https://acme.my.salesforce.com/services/oauth2/authorize");
    expect(forOrg(provider, undefined).tokenUrl).toBe(provider.tokenUrl);
    // The emulator's hosts nest under the production one: moved once, never twice.
    const emulated = { ...urls, production: "http://localhost:3000/sandbox/salesforce", sandbox: "http://localhost:3000/sandbox/salesforce/test" };
    expect(orgLoginUrl(emulated, "sandbox")).toBe("http://localhost:3000/sandbox/salesforce/test");
    const local = forOrg({ ...provider, tokenUrl: "http://localhost:3000/sandbox/salesforce/services/oauth2/token", orgLoginUrls: emulated } as CatalogProvider, "sandbox");
    expect(local.tokenUrl).toBe("http://localhost:3000/sandbox/salesforce/test/services/oauth2/token");
  });
});
