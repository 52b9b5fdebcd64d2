import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// One run for unit tests (next to the code in api/src) and integration tests (real Postgres,
// real PGlite, real HTTP and WebSocket against the composed server).
import { createRequire } from "node:module";

// graphql ships CommonJS (index.js) and ESM (index.mjs) without an exports map: Node gives yoga
// the CommonJS one, Vite would give our sources the ESM one, and two GraphQLError classes would
// exist. Point every import at the file Node itself loads, as in production.
const graphqlEntry = createRequire(new URL("../api/package.json", import.meta.url)).resolve("graphql");

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
  test: {
    root: fileURLToPath(new URL("..", import.meta.url)),
    include: ["api/src/**/*.test.ts", "tests/integration/**/*.test.ts", "tests/security/**/*.test.ts", "tests/reliability/**/*.test.ts", "tests/perf/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files each start their own server and database; two cores here.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
