import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

// No Docker engine runs on these machines, so the compose file is checked by reading it.
const root = join(import.meta.dirname, "../..");
const compose = parse(readFileSync(join(root, "docker-compose.yml"), "utf8"));

describe("docker-compose.yml", () => {
  it("runs Postgres 16 and Redis 7 with health checks", () => {
    expect(compose.services.postgres.image).toMatch(/^postgres:16/);
    expect(compose.services.redis.image).toMatch(/^redis:7/);
    for (const name of ["postgres", "redis", "app", "proxy"]) expect(compose.services[name].healthcheck?.test, name).toBeTruthy();
  });

  it("runs two app replicas on Postgres and Redis, started once both are healthy, with required secrets", () => {
    const app = compose.services.app;
    expect(app.deploy.replicas).toBe(2);
    expect(app.ports).toBeUndefined(); // only the proxy publishes a port
    expect(app.environment.DATABASE_URL).toMatch(/@postgres:5432\//);
    expect(app.environment.REDIS_URL).toBe("redis://redis:6379");
    expect(app.environment.ENCRYPTION_KEYS).toMatch(/^\$\{ENCRYPTION_KEYS:\?/);
    expect(app.environment.AUTH_SECRET).toMatch(/^\$\{AUTH_SECRET:\?/);
    expect(app.depends_on).toEqual({ postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
    expect(app.healthcheck.test.join(" ")).toContain("/readyz");
  });

  it("puts one port in front of every replica", () => {
    const proxy = compose.services.proxy;
    expect(proxy.ports).toEqual(["${PORT:-3000}:80"]);
    const caddyfile: string = compose.configs[proxy.configs[0].source].content;
    expect(caddyfile).toMatch(/dynamic a app 3000/);
    expect(caddyfile).toMatch(/health_uri \/readyz/);
  });

  it("builds the app from the Dockerfile with the pinned pnpm", () => {
    const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(pkg.packageManager).toBe("pnpm@10.34.8");
    expect(dockerfile).toContain("pnpm@10.34.8");
    expect(dockerfile).toMatch(/CMD \["node".*api\/dist\/main\.js"\]/);
  });
});
