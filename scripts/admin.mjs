#!/usr/bin/env node
// `pnpm admin <command>` (or `npm run admin -- <command>`): the operator CLI, api/src/cli/admin.ts.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { generate, install, root } from "./lib.mjs";

process.env.SB_STEPS_TO_STDERR = "1";
const tsx = join(root, "api/node_modules/.bin/tsx");
if (!existsSync(tsx)) install();
generate();
const result = spawnSync(tsx, [join(root, "api/src/cli/admin.ts"), ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
process.exit(result.status ?? 1);
