import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { requirePostgres } from "../support/postgres.ts";

// Issue 12, item 10 (parts): what a deployment gets without configuring anything more.
// - /metrics was public in production unless METRICS_TOKEN was set: it now refuses without one.
// - DATA_DIR and its files were created with the umask's modes (0755 / 0644 here), so other
//   users of the machine could read the generated secrets and the embedded database.

const hasPostgres = await requirePostgres();
const mode = (path: string) => statSync(path).mode & 0o777;

describe.runIf(hasPostgres)("/metrics in production", () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const t of apps) await t.close();
  });
  const start = async (env: Record<string, string>) => {
    const t = await startTestApp({ database: "postgres", env });
    apps.push(t);
    return t;
  };

  it("without METRICS_TOKEN: 403 with a clear text saying what to set", async () => {
    const t = await start({ NODE_ENV: "production" });
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/METRICS_TOKEN/);
    expect(text).not.toContain("switchboard_");
    // Whatever is sent: there is no token to match.
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: "Bearer anything" } })).status).toBe(403);
  });

  it("with METRICS_TOKEN: 401 without or with a wrong bearer token, 200 with the right one", async () => {
    const token = "metrics-token-0123456789abcdef";
    const t = await start({ NODE_ENV: "production", METRICS_TOKEN: token });
    const anonymous = await fetch(`${t.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await anonymous.text()).toMatch(/Authorization: Bearer <METRICS_TOKEN>/);
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(401);
    expect((await fetch(`${t.url}/metrics`, { headers: { authorization: token } })).status).toBe(401);
    const ok = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("switchboard_health_checks_total");
  });

  it("outside production it stays public unless METRICS_TOKEN is set", async () => {
    const open = await start({ NODE_ENV: "development" });
    expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
    const guarded = await start({ NODE_ENV: "development", METRICS_TOKEN: "dev-metrics-token" });
    expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: "Bearer dev-metrics-token" } })).status).toBe(200);
  });
});

describe("DATA_DIR is 0700 and its files 0600", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "sb-modes-"));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // Embedded mode with nothing configured: the secrets are generated into DATA_DIR.
  const embedded = (dataDir: string) => startTestApp({ database: "pglite", env: { DATA_DIR: dataDir, ENCRYPTION_KEYS: "", AUTH_SECRET: "" } });

  it("a new DATA_DIR: the directory, generated secrets, the PGlite lock and the sandbox state", async () => {
    const dataDir = join(root, "fresh", "data");
    const t = await embedded(dataDir);
    try {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, "secrets.json"))).toBe(0o600);
      expect(mode(join(dataDir, "pglite.lock"))).toBe(0o600);
      expect(mode(join(dataDir, "pglite"))).toBe(0o700);
      t.app.sandbox!.setFault("slack", { mode: "slow", delayMs: 1 });
    } finally {
      await t.close();
    }
    expect(mode(join(dataDir, "sandbox-state.json"))).toBe(0o600);
  });

  it("an existing DATA_DIR left open to others is narrowed at start, with a warning per path", async () => {
    const dataDir = join(root, "open");
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const secrets = join(dataDir, "secrets.json");
    writeFileSync(secrets, JSON.stringify({ authSecret: "a".repeat(48), encryptionKeys: `dev1:${Buffer.alloc(32, 7).toString("base64")}` }));
    chmodSync(secrets, 0o644);
    const state = join(dataDir, "sandbox-state.json");
    writeFileSync(state, JSON.stringify({ version: 1, providers: {}, store: { grants: [], tokens: [] } }));
    chmodSync(state, 0o640);
    // A lock left by a process that is gone is replaced by a 0600 one.
    writeFileSync(join(dataDir, "pglite.lock"), "999999999");
    chmodSync(join(dataDir, "pglite.lock"), 0o644);

    const t = await embedded(dataDir);
    try {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(secrets)).toBe(0o600);
      expect(mode(state)).toBe(0o600);
      expect(mode(join(dataDir, "pglite.lock"))).toBe(0o600);
      const warnings = t
        .logs()
        .split("\n")
        .filter((line) => line.includes("open to other users"))
        .map((line) => JSON.parse(line) as { path: string; mode: string; fixed: boolean; level: string });
      expect(warnings.map((w) => [w.path, w.mode, w.fixed])).toEqual(
        expect.arrayContaining([
          [dataDir, "0755", true],
          [secrets, "0644", true],
          [state, "0640", true],
        ]),
      );
      expect(warnings.every((w) => String(w.level) === "warn")).toBe(true);
    } finally {
      await t.close();
    }
    expect(existsSync(join(dataDir, "pglite.lock"))).toBe(false);
  });
});
