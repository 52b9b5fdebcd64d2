// Bundles the server into dist/main.js: one file that starts in about 2 s (tsx needs about 4 s,
// see ../shared/stack.md). Packages stay external; the generated Prisma client is bundled.
import { build } from "esbuild";

await build({
  entryPoints: ["src/main.ts"],
  outfile: "dist/main.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
console.log("built api/dist/main.js");
