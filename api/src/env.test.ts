import { describe, expect, it } from "vitest";
import { parseEnv, EnvError } from "./env.ts";

const key = Buffer.alloc(32, 7).toString("base64");

describe("parseEnv", () => {
  it("defaults to the embedded database, sandbox providers and http://localhost:3000", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ PORT: 3000, PUBLIC_URL: "http://localhost:3000", embedded: true, sandboxEnabled: true, mayGenerateSecrets: true, HEALTH_SCHEDULER: "on" });
    expect(env.trustedOrigins).toEqual(["http://localhost:3000"]);
  });

  it("treats a DATABASE_URL or production outside sandbox mode as a deployment that must bring its secrets", () => {
    expect(parseEnv({ DATABASE_URL: "postgresql://x/y" }).mayGenerateSecrets).toBe(false);
    expect(parseEnv({ NODE_ENV: "production" })).toMatchObject({ sandboxEnabled: false, mayGenerateSecrets: false });
    expect(parseEnv({ NODE_ENV: "production", SANDBOX: "on" }).mayGenerateSecrets).toBe(true);
  });

  it("names every bad variable without echoing its value", () => {
    try {
      parseEnv({ PORT: "eighty", SLACK_CLIENT_ID: "id-only", ENCRYPTION_KEYS: "k1:c2hvcnQ=", PUBLIC_URL: "ftp://x", AUTH_SECRET: "tiny-secret-value" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EnvError);
      const message = (error as Error).message;
      for (const name of ["PORT", "SLACK_CLIENT_SECRET", "ENCRYPTION_KEYS", "PUBLIC_URL", "AUTH_SECRET"]) expect(message).toContain(name);
      expect(message).not.toContain("c2hvcnQ=");
      expect(message).not.toContain("tiny-secret-value");
    }
  });

  it("accepts a key ring and trusted origins", () => {
    const env = parseEnv({ ENCRYPTION_KEYS: `new:${key},old:${key}`, TRUSTED_ORIGINS: "http://localhost:5173/, https://admin.example.com", PUBLIC_URL: "https://sb.example.com/" });
    expect(env.PUBLIC_URL).toBe("https://sb.example.com");
    expect(env.trustedOrigins).toEqual(["https://sb.example.com", "http://localhost:5173", "https://admin.example.com"]);
    expect(() => parseEnv({ ENCRYPTION_KEYS: `a:${key},a:${key}` })).toThrow(/twice/);
  });
});
