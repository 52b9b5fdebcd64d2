import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../env.ts";
import { BUILT_IN_PROVIDERS, CatalogError, loadCatalog } from "./catalog.ts";

// Provider.statusPageUrl: every built-in links its status page; PROVIDERS_FILE may set or
// override one (https only).

const dir = mkdtempSync(join(tmpdir(), "sb-status-page-"));
const providersFile = (text: string) => {
  const path = join(dir, `p-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
};

describe("provider status pages", () => {
  it("every built-in has one", () => {
    for (const p of BUILT_IN_PROVIDERS) expect(p.statusPageUrl, p.id).toMatch(/^https:\/\//);
  });

  it("PROVIDERS_FILE sets one for a catalog provider and overrides a built-in's; http is refused", () => {
    const path = providersFile(
      ["acme:", "  type: oidc", "  name: Acme", "  issuer: https://id.acme.example", "  statusPageUrl: https://status.acme.example", "slack:", "  statusPageUrl: https://status.example/slack"].join("\n"),
    );
    const catalog = loadCatalog(parseEnv({ PROVIDERS_FILE: path }));
    expect(catalog.find((p) => p.id === "acme")?.statusPageUrl).toBe("https://status.acme.example");
    expect(catalog.find((p) => p.id === "slack")?.statusPageUrl).toBe("https://status.example/slack");
    expect(catalog.find((p) => p.id === "google")?.statusPageUrl).toBe("https://www.google.com/appsstatus/dashboard/");
    const plain = providersFile(["slack:", "  statusPageUrl: http://status.example"].join("\n"));
    expect(() => loadCatalog(parseEnv({ PROVIDERS_FILE: plain }))).toThrow(CatalogError);
  });
});
