import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Env } from "./env.ts";
import type { Logger } from "./logger.ts";

export type EncryptionKey = { id: string; key: Buffer };
export type Secrets = { authSecret: string; encryptionKeys: EncryptionKey[] };

export class MissingSecretError extends Error {
  constructor(names: string[]) {
    super(
      `${names.join(" and ")} must be set for a deployment (DATABASE_URL is set or NODE_ENV=production). ` +
        `Generate them with: ENCRYPTION_KEYS=k1:$(openssl rand -base64 32)  AUTH_SECRET=$(openssl rand -base64 48)`,
    );
    this.name = "MissingSecretError";
  }
}

export function parseEncryptionKeys(value: string): EncryptionKey[] {
  return value.split(",").map((entry) => {
    const [id, key] = entry.trim().split(":") as [string, string];
    return { id, key: Buffer.from(key, "base64") };
  });
}

/**
 * The secrets the process runs with. A deployment must be given them; the embedded default
 * (no DATABASE_URL) generates them once into DATA_DIR/secrets.json, so that a laptop runs with
 * one command and restarts keep sessions and stored tokens readable.
 */
export function resolveSecrets(env: Env, logger: Logger): Secrets {
  const missing = [!env.ENCRYPTION_KEYS && "ENCRYPTION_KEYS", !env.AUTH_SECRET && "AUTH_SECRET"].filter(Boolean) as string[];
  if (missing.length === 0) return { authSecret: env.AUTH_SECRET!, encryptionKeys: parseEncryptionKeys(env.ENCRYPTION_KEYS!) };
  if (!env.mayGenerateSecrets) throw new MissingSecretError(missing);

  const file = resolve(env.DATA_DIR, "secrets.json");
  let stored: { authSecret?: string; encryptionKeys?: string } = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8"));
  if (!stored.authSecret || !stored.encryptionKeys) {
    stored = {
      authSecret: stored.authSecret ?? randomBytes(48).toString("base64url"),
      encryptionKeys: stored.encryptionKeys ?? `dev1:${randomBytes(32).toString("base64")}`,
    };
    mkdirSync(env.DATA_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    logger.warn({ file, generated: missing }, "generated development secrets; set ENCRYPTION_KEYS and AUTH_SECRET for a deployment");
  } else {
    logger.warn({ file, using: missing }, "using development secrets from DATA_DIR; set ENCRYPTION_KEYS and AUTH_SECRET for a deployment");
  }
  return {
    authSecret: env.AUTH_SECRET ?? stored.authSecret!,
    encryptionKeys: parseEncryptionKeys(env.ENCRYPTION_KEYS ?? stored.encryptionKeys!),
  };
}
