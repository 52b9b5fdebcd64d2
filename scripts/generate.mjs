#!/usr/bin/env node
// Generates the Prisma client and Pothos types offline. Prisma 7's CLI looks for a schema
// engine binary even though `generate` does not use it, and there is no download host here:
// point it at a stub that exits 1 (see ../shared/stack.md).
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stub = join(mkdtempSync(join(tmpdir(), "sb-engine-")), "schema-engine");
writeFileSync(stub, "#!/bin/sh\nexit 1\n");
chmodSync(stub, 0o755);
execFileSync(join(root, "api/node_modules/.bin/prisma"), ["generate"], {
  cwd: join(root, "api"),
  stdio: "inherit",
  env: { ...process.env, PATH: `${join(root, "api/node_modules/.bin")}:${process.env.PATH}`, PRISMA_SCHEMA_ENGINE_BINARY: stub, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
});
// The web's GraphQL types (gql.tada's introspection of ../schema.graphql), checked against its documents.
execFileSync("node", [join(root, "web/scripts/graphql.mjs")], { cwd: join(root, "web"), stdio: "inherit" });
