import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../env.ts";
import { loadCatalog, CatalogError } from "./catalog.ts";

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
