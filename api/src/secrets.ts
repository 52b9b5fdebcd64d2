import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Env } from "./env.ts";
import type { Logger } from "./logger.ts";
import { DATA_FILES, ensurePrivateDir, ensurePrivateFile, writePrivateFileAtomic, type ModeWarning } from "./data-dir.ts";

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
  checkDataDir(env, logger);
  const missing = [!env.ENCRYPTION_KEYS && "ENCRYPTION_KEYS", !env.AUTH_SECRET && "AUTH_SECRET"].filter(Boolean) as string[];
  if (missing.length === 0) return { authSecret: env.AUTH_SECRET!, encryptionKeys: parseEncryptionKeys(env.ENCRYPTION_KEYS!) };
  if (!env.mayGenerateSecrets) throw new MissingSecretError(missing);

  const file = resolve(env.DATA_DIR, DATA_FILES.secrets);
  let stored: { authSecret?: string; encryptionKeys?: string } = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8"));
  if (!stored.authSecret || !stored.encryptionKeys) {
    stored = {
      authSecret: stored.authSecret ?? randomBytes(48).toString("base64url"),
      encryptionKeys: stored.encryptionKeys ?? `dev1:${randomBytes(32).toString("base64")}`,
    };
    ensurePrivateDir(env.DATA_DIR, warnMode(logger));
    writePrivateFileAtomic(file, JSON.stringify(stored, null, 2));
    logger.warn({ file, generated: missing }, "generated development secrets; set ENCRYPTION_KEYS and AUTH_SECRET for a deployment");
  } else {
    logger.warn({ file, using: missing }, "using development secrets from DATA_DIR; set ENCRYPTION_KEYS and AUTH_SECRET for a deployment");
  }
  return {
    authSecret: env.AUTH_SECRET ?? stored.authSecret!,
    encryptionKeys: parseEncryptionKeys(env.ENCRYPTION_KEYS ?? stored.encryptionKeys!),
  };
}

const warnMode =
  (logger: Logger): ModeWarning =>
  (details, message) =>
    logger.warn(details, message);

/**
 * DATA_DIR is 0700 and its files 0600 (generated secrets, the embedded database's lock, the
 * sandbox's state). Start-up narrows a directory or file left more open, with a warning; this
 * runs first in every process that opens DATA_DIR (server and admin CLI). A DATA_DIR that does
 * not exist yet is created 0700 by whatever first writes there.
 */
function checkDataDir(env: Env, logger: Logger): void {
  const dir = env.DATA_DIR;
  if (dir.startsWith("memory://") || !existsSync(dir)) return;
  const warn = warnMode(logger);
  ensurePrivateDir(dir, warn);
  for (const name of Object.values(DATA_FILES)) {
    const file = resolve(dir, name);
    if (existsSync(file)) ensurePrivateFile(file, warn);
  }
}
