import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// prisma/migrations at the repository root, found by walking up from this module, so the same
// code works from api/src (tsx, tests) and from the bundle in api/dist.
function findMigrations(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "prisma", "migrations");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return join(process.cwd(), "prisma", "migrations");
}

export const DEFAULT_MIGRATIONS_DIR = process.env.SWITCHBOARD_MIGRATIONS_DIR ?? findMigrations();
