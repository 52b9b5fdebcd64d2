#!/usr/bin/env node
// `npm run bench`: every benchmark of tests/perf against its bare baseline in the same run; prints
// a table and rewrites docs/performance.md. Needs Postgres and Redis on 127.0.0.1 (as the tests).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { generate, install, main, root } from "./lib.mjs";

main(() => {
  install();
  generate();
  const result = spawnSync(join(root, "api/node_modules/.bin/tsx"), [join(root, "tests/perf/run.ts"), ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
  process.exit(result.status ?? 1);
});
