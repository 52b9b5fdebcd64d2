import { describe, expect, it } from "vitest";
import { apiBaseOf, parseProxyUrl, pathRefusal, providerUrl } from "./proxy-path.ts";

const base = new URL("https://slack.com/api");

function target(raw: string) {
  const parsed = parseProxyUrl(raw);
  if (!parsed.ok) throw new Error(`not parsed: ${raw}`);
  return parsed;
}

describe("proxy paths", () => {
  it("joins a plain path and passes the query as sent", () => {
    const parsed = target("/proxy/abc-123/chat.postMessage?channel=%23general&x=a'b&y=");
    expect(parsed.refusal).toBeNull();
    const url = providerUrl(base, parsed.target)!;
    expect(url.url.href).toBe("https://slack.com/api/chat.postMessage");
    expect(url.requestPath).toBe("/api/chat.postMessage?channel=%23general&x=a'b&y=");
  });

  it("keeps the base itself, a trailing slash and harmless encodings", () => {
    expect(providerUrl(base, target("/proxy/abc").target)!.requestPath).toBe("/api");
    expect(providerUrl(base, target("/proxy/abc/").target)!.requestPath).toBe("/api/");
    const sf = new URL("https://acme.my.salesforce.com");
    expect(providerUrl(sf, target("/proxy/abc/services/data/").target)!.requestPath).toBe("/services/data/");
    expect(providerUrl(sf, target("/proxy/abc/services/data/v62.0/sobjects/Account/001%40x:y").target)!.url.pathname).toBe("/services/data/v62.0/sobjects/Account/001%40x:y");
    expect(pathRefusal("files/report%2ejson")).toBeNull();
    expect(pathRefusal("...")).toBeNull();
  });

  it("answers a malformed id as a missing connection", () => {
    expect(parseProxyUrl("/proxy/../x").ok).toBe(false);
    expect(parseProxyUrl("/proxy/%2e%2e/x").ok).toBe(false);
    expect(parseProxyUrl("/proxy//x").ok).toBe(false);
    expect(parseProxyUrl("/other/x").ok).toBe(false);
  });

  it.each([
    "..",
    "../x",
    "./x",
    "a/../../x",
    "a/./b",
    "%2e%2e/x",
    "%2E%2E/x",
    "%2e./x",
    ".%2E/x",
    "a/%2e",
    "..;/x",
    "%2e%2e;jsessionid=1/x",
    "..%2fx",
    "a%2Fb",
    "a%5cb",
    "a\\b",
    "//evil.example/x",
    "a//b",
    "@evil.example",
    "x@evil.example/y",
    "http://evil.example/x",
    "https:evil.example",
    "javascript:alert(1)",
    "%252e%252e/x",
    "%252f",
    "a%00b",
    "a%0d%0aHost:%20evil",
    "a\tb",
    "%zz",
    "%c0%ae%c0%ae/x",
    "a b",
    "caf\u00e9",
    "a#b",
    "a?b",
  ])("refuses %j", (path) => {
    expect(pathRefusal(path)).not.toBeNull();
  });

  it("refuses control characters and fragments in the query", () => {
    expect(target("/proxy/abc/x?a=\u0001").refusal).not.toBeNull();
    expect(target("/proxy/abc/x?a#b").refusal).not.toBeNull();
  });

  it("the second lock: a joined URL must parse to exactly the path asked for, on the base's origin", () => {
    // pathRefusal would stop these; providerUrl alone must stop them too.
    for (const path of ["../x", "%2e%2e/x", "a/%2E%2E/%2e%2e/x", "./x"]) expect(providerUrl(base, { integrationId: "a", path, query: "" })).toBeNull();
  });

  it("API bases: Salesforce's instance_url, the catalog's otherwise", () => {
    expect(apiBaseOf({ type: "salesforce" }, { instance_url: "https://acme.my.salesforce.com" })!.href).toBe("https://acme.my.salesforce.com/");
    expect(apiBaseOf({ type: "salesforce", apiBaseUrl: "https://elsewhere.example" }, {})).toBeNull();
    expect(apiBaseOf({ type: "hubspot", apiBaseUrl: "https://api.hubapi.com" }, null)!.href).toBe("https://api.hubapi.com/");
    expect(apiBaseOf({ type: "oidc" }, null)).toBeNull();
    expect(apiBaseOf({ type: "oauth2", apiBaseUrl: "https://user:pw@api.example" }, null)).toBeNull();
  });
});
