// Bundles the server into dist/main.js: one file that starts in about 2 s (tsx needs about 4 s,
// see ../shared/stack.md). Packages stay external; the generated Prisma client is bundled.
import { build } from "esbuild";

await build({
  // The health check worker (src/jobs/check-worker.ts) is a thread started from its own file.
  entryPoints: { main: "src/main.ts", "check-worker": "src/jobs/check-worker.ts" },
  outdir: "dist",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
console.log("built api/dist/main.js and api/dist/check-worker.js");
