#!/usr/bin/env node
// The web's GraphQL build step, run before every build, typecheck and test (package.json):
//   1. writes src/lib/graphql/graphql-env.d.ts, the introspection gql.tada types documents with,
//      from ../schema.graphql (`gql.tada generate-output`, configured in tsconfig.json);
//   2. validates every document in src/ against that schema with graphql-js, so a query asking
//      for a field, argument or type the schema lacks fails the build. gql.tada alone would only
//      type such a field as `unknown`.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSchema, parse, validate, Kind } from "graphql";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
export const SCHEMA = join(web, "../schema.graphql");

// The documents are graphql(`…`) calls (gql.tada forbids interpolation, so each is one plain
// template literal); src/lib/graphql/documents.test.ts checks this finds every exported one.
const DOCUMENT = /\bgraphql\(\s*`([^`]*)`/g;

/** @typedef {{ path: string; text: string }} SourceFile */
/** @typedef {{ path: string; source: string }} FoundDocument */

/**
 * Every graphql(`…`) document in the source texts, with where it came from.
 * @param {SourceFile[]} files
 * @returns {FoundDocument[]}
 */
export function extractDocuments(files) {
  const found = [];
  for (const { path, text } of files) {
    for (const match of text.matchAll(DOCUMENT)) found.push({ path, source: match[1] ?? "" });
  }
  return found;
}

/**
 * Validates documents against a schema as one document (fragments are shared by name across
 * documents, as gql.tada's fragment arrays share them). Returns readable errors; none when valid.
 * @param {{ schemaSource: string; documents: FoundDocument[] }} input
 * @returns {string[]}
 */
export function checkDocuments({ schemaSource, documents }) {
  const schema = buildSchema(schemaSource);
  /** @type {string[]} */
  const errors = [];
  /** @type {{ path: string; definition: import("graphql").DefinitionNode }[]} */
  const definitions = [];
  for (const { path, source } of documents) {
    try {
      for (const definition of parse(source).definitions) definitions.push({ path, definition });
    } catch (error) {
      errors.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const where = new Map(definitions.map(({ path, definition }) => [definition, path]));
  /** @type {import("graphql").DocumentNode} */
  const document = { kind: Kind.DOCUMENT, definitions: definitions.map(({ definition }) => definition) };
  for (const error of validate(schema, document)) {
    const node = error.nodes?.[0];
    const owner = node && definitions.find(({ definition }) => definition.loc && node.loc && definition.loc.source === node.loc.source);
    const name = owner && "name" in owner.definition ? owner.definition.name?.value : undefined;
    errors.push(`${owner ? where.get(owner.definition) : "?"}${name ? ` (${name})` : ""}: ${error.message}`);
  }
  return errors;
}

/**
 * The web's source files that may hold documents (tests and declarations excluded).
 * @param {string} [dir]
 * @returns {SourceFile[]}
 */
export function sourceFiles(dir = join(web, "src")) {
  /** @type {SourceFile[]} */
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|svelte)$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name)) files.push({ path: relative(web, path), text: readFileSync(path, "utf8") });
  }
  return files;
}

function main() {
  execFileSync(join(web, "node_modules/.bin/gql.tada"), ["generate-output"], { cwd: web, stdio: ["ignore", "ignore", "inherit"] });
  const documents = extractDocuments(sourceFiles());
  const errors = checkDocuments({ schemaSource: readFileSync(SCHEMA, "utf8"), documents });
  if (errors.length) {
    console.error(`GraphQL documents disagree with schema.graphql:\n  ${errors.join("\n  ")}`);
    process.exit(1);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
