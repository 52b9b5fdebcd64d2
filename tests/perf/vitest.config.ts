import base from "../vitest.config.ts";

// Runs only tests/perf/*.test.ts with the settings of the main test run (graphql alias, root):
//   tests/node_modules/.bin/vitest run --config tests/perf/vitest.config.ts
export default { ...base, test: { ...base.test, include: ["tests/perf/*.test.ts"] } };
