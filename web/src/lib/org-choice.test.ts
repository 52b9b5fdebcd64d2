import { describe, expect, it } from "vitest";
import { checkMyDomain, orgChoiceOf } from "./org-choice";

describe("checkMyDomain", () => {
  const valid: [string, string][] = [
    ["acme", "acme"],
    ["  ACME ", "acme"],
    ["acme-corp", "acme-corp"],
    ["acme--uat.sandbox", "acme--uat.sandbox"],
    ["acme.develop", "acme.develop"],
    ["acme--dev1.scratch", "acme--dev1.scratch"],
    ["https://acme.my.salesforce.com", "https://acme.my.salesforce.com"],
    ["https://acme.my.salesforce.com/", "https://acme.my.salesforce.com/"],
    ["https://acme--uat.sandbox.my.salesforce.com", "https://acme--uat.sandbox.my.salesforce.com"],
  ];
  for (const [input, value] of valid) {
    it(`accepts ${JSON.stringify(input)}`, () => expect(checkMyDomain(input)).toEqual({ valid: true, value }));
  }

  const invalid: [string, RegExp][] = [
    ["", /^Enter your My Domain: acme or https:\/\/acme\.my\.salesforce\.com\.$/],
    ["acme.lightning.force.com", /Use the My Domain URL instead: https:\/\/acme\.my\.salesforce\.com$/],
    ["https://acme--uat.sandbox.lightning.force.com/lightning/page/home", /Use the My Domain URL instead: https:\/\/acme--uat\.sandbox\.my\.salesforce\.com$/],
    ["acme.my.salesforce.com", /Start the URL with https:\/\/, or enter only the name: acme$/],
    ["http://acme.my.salesforce.com", /Start the URL with https:\/\//],
    ["-acme", /^Not a My Domain/],
    ["acme_corp", /^Not a My Domain/],
    ["acme.example", /^Not a My Domain/],
    ["https://acme.my.salesforce.com/home", /^Not a My Domain/],
    ["https://evil.example/acme.my.salesforce.com", /^Not a My Domain/],
    ["login.salesforce.com", /^Not a My Domain/],
  ];
  for (const [input, message] of invalid) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      const check = checkMyDomain(input);
      expect(check.valid).toBe(false);
      if (!check.valid) expect(check.message).toMatch(message);
    });
  }
});

describe("orgChoiceOf", () => {
  it("reads a connection's stored org back into the choice", () => {
    expect(orgChoiceOf(null)).toEqual({ kind: "production", myDomain: "" });
    expect(orgChoiceOf("production")).toEqual({ kind: "production", myDomain: "" });
    expect(orgChoiceOf("sandbox")).toEqual({ kind: "sandbox", myDomain: "" });
    expect(orgChoiceOf("https://acme.my.salesforce.com")).toEqual({ kind: "mydomain", myDomain: "https://acme.my.salesforce.com" });
  });
});
