import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../env.ts";
import { loadCatalog, CatalogError } from "./catalog.ts";
import { expectedIssuer } from "./oauth.ts";

const dir = mkdtempSync(join(tmpdir(), "sb-catalog-unit-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const sandbox = {
  endpoints: (url: string) => Object.fromEntries(["slack", "hubspot", "google", "salesforce"].map((id) => [id, { tokenUrl: `${url}/sandbox/${id}/token` }])),
  client: (id: string) => ({ clientId: `sandbox-${id}`, clientSecret: `sandbox-${id}-secret` }),
};

describe("provider catalog", () => {
  it("points built-ins without credentials at the sandbox, and leaves configured ones alone", () => {
    const catalog = loadCatalog(parseEnv({ SLACK_CLIENT_ID: "real-id", SLACK_CLIENT_SECRET: "real-secret" }), sandbox);
    const slack = catalog.find((p) => p.id === "slack")!;
    expect(slack).toMatchObject({ configured: true, sandbox: false, clientId: "real-id", tokenUrl: "https://slack.com/api/oauth.v2.access" });
    const google = catalog.find((p) => p.id === "google")!;
    expect(google).toMatchObject({ configured: false, sandbox: true, clientId: "sandbox-google", tokenUrl: "http://localhost:3000/sandbox/google/token" });
    expect(google.redirectUri).toBe("http://localhost:3000/api/integrations/oauth/callback/google");
  });

  it("outside sandbox mode, an unconfigured built-in has no credentials at all", () => {
    const catalog = loadCatalog(parseEnv({ NODE_ENV: "production" }), sandbox);
    const hubspot = catalog.find((p) => p.id === "hubspot")!;
    expect(hubspot).toMatchObject({ configured: false, sandbox: false });
    expect(hubspot.clientId).toBeUndefined();
    expect(hubspot.clientSecret).toBeUndefined();
  });

  it("reads overrides and generic providers from YAML and JSON", () => {
    const yaml = file(
      "p.yaml",
      `slack:\n  tokenUrl: http://127.0.0.1:9000/token\n  scopes: [chat:write]\nacme:\n  type: oidc\n  name: Acme ID\n  issuer: http://127.0.0.1:4400\n  clientId: c\n  clientSecret: s\n  scopes: [openid, offline_access]\n`,
    );
    const catalog = loadCatalog(parseEnv({ PROVIDERS_FILE: yaml, SANDBOX: "off" }));
    expect(catalog.find((p) => p.id === "slack")).toMatchObject({ tokenUrl: "http://127.0.0.1:9000/token", scopes: ["chat:write"] });
    expect(catalog.find((p) => p.id === "acme")).toMatchObject({ type: "oidc", name: "Acme ID", configured: true, pkce: true, issuer: "http://127.0.0.1:4400" });
    const json = file("p.json", JSON.stringify({ wiki: { type: "oauth2", name: "Wiki", authorizationUrl: "https://wiki.example/auth", tokenUrl: "https://wiki.example/token", clientId: "a", clientSecret: "b", scopeSeparator: "," } }));
    expect(loadCatalog(parseEnv({ PROVIDERS_FILE: json })).find((p) => p.id === "wiki")).toMatchObject({ type: "oauth2", scopeSeparator: ",", scopes: [] });
  });

  it("built-ins carry their documented issuer; overriding the endpoints keeps it unless the override sets one", () => {
    const plain = loadCatalog(parseEnv({ SANDBOX: "off" }));
    expect(plain.find((p) => p.id === "google")!.issuer).toBe("https://accounts.google.com");
    for (const id of ["slack", "hubspot", "salesforce"]) expect(plain.find((p) => p.id === id)!.issuer, id).toBeUndefined();
    // Sandbox wiring moves Google's endpoints, not its issuer (the emulator sends Google's iss).
    const sandboxed = loadCatalog(parseEnv({}), sandbox).find((p) => p.id === "google")!;
    expect(sandboxed.tokenUrl).toContain("/sandbox/google/");
    expect(expectedIssuer(sandboxed)).toBe("https://accounts.google.com");
    const moved = file("moved.yaml", "google:\n  authorizationUrl: http://127.0.0.1:9000/auth\n  tokenUrl: http://127.0.0.1:9000/token\n");
    expect(expectedIssuer(loadCatalog(parseEnv({ PROVIDERS_FILE: moved, SANDBOX: "off" })).find((p) => p.id === "google")!)).toBe("https://accounts.google.com");
    const own = file("own.yaml", "google:\n  issuer: http://127.0.0.1:9000\nslack:\n  issuer: https://slack.com\n");
    const withOwn = loadCatalog(parseEnv({ PROVIDERS_FILE: own, SANDBOX: "off" }));
    expect(expectedIssuer(withOwn.find((p) => p.id === "google")!)).toBe("http://127.0.0.1:9000");
    expect(withOwn.find((p) => p.id === "slack")!.issuer).toBe("https://slack.com");
    // Without a documented issuer, an iss must equal the authorization endpoint's origin, never the token host.
    expect(expectedIssuer(plain.find((p) => p.id === "hubspot")!)).toBe("https://app.hubspot.com");
  });

  it("Salesforce asks which org; its login hosts can be overridden and are validated", () => {
    expect(loadCatalog(parseEnv({ SANDBOX: "off" })).find((p) => p.id === "salesforce")!.orgLoginUrls).toEqual({
      production: "https://login.salesforce.com",
      sandbox: "https://test.salesforce.com",
      myDomain: "https://{domain}.my.salesforce.com",
    });
    const bad = file("org.yaml", "salesforce:\n  orgLoginUrls:\n    production: https://a.example\n    sandbox: https://b.example\n    myDomain: https://c.example\n");
    expect(() => loadCatalog(parseEnv({ PROVIDERS_FILE: bad }))).toThrow(/salesforce.orgLoginUrls.myDomain: must contain \{domain\}/);
  });

  it("fails with a message naming PROVIDERS_FILE or the variable for every bad catalog", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PROVIDERS_FILE: join(dir, "missing.yaml") }, /PROVIDERS_FILE: cannot read/],
      [{ PROVIDERS_FILE: file("bad.yaml", "acme: [unclosed") }, /PROVIDERS_FILE: .* is not valid YAML/],
      [{ PROVIDERS_FILE: file("bad.json", "{") }, /PROVIDERS_FILE: .* is not valid JSON/],
      [{ PROVIDERS_FILE: file("nourl.yaml", "acme:\n  type: oidc\n  name: A\n  issuer: not a url\n") }, /acme.issuer/],
      [{ PROVIDERS_FILE: file("half.yaml", "acme:\n  type: oidc\n  name: A\n  issuer: https://id.example\n  clientId: only\n") }, /"acme" has clientId without clientSecret/],
      [{ PROVIDERS_FILE: file("notype.yaml", "acme:\n  clientId: a\n  clientSecret: b\n") }, /needs type: oidc or type: oauth2/],
      [{ PROVIDERS_FILE: file("builtin.yaml", "slack:\n  type: oauth2\n  name: S\n  authorizationUrl: https://a.example\n  tokenUrl: https://a.example\n") }, /"slack" is a built-in provider/],
      [{ PROVIDERS_FILE: file("half-builtin.yaml", "google:\n  clientId: only-an-id\n") }, /GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET/],
      [{ PROVIDERS_FILE: file("badid.yaml", "Bad Id:\n  type: oidc\n  name: A\n  issuer: https://id.example\n") }, /provider ids are lower-case/],
      [{ PROVIDERS_FILE: file("extra.yaml", "acme:\n  type: oidc\n  name: A\n  issuer: https://id.example\n  clientSecrett: typo\n") }, /Unrecognized key|unrecognized/i],
    ];
    for (const [env, message] of cases) {
      expect(() => loadCatalog(parseEnv(env)), JSON.stringify(env)).toThrow(CatalogError);
      expect(() => loadCatalog(parseEnv(env)), JSON.stringify(env)).toThrow(message);
    }
  });
});
