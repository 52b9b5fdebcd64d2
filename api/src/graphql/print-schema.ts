import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "./schema.ts";

// `pnpm --filter @switchboard/api schema` rewrites the committed schema.graphql;
// tests/integration/schema.test.ts fails when it drifts from the code.
export const SCHEMA_FILE = fileURLToPath(new URL("../../../schema.graphql", import.meta.url));

export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_FILE, printedSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
