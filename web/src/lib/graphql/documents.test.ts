import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Kind, parse, type DocumentNode } from "graphql";
import { SCHEMA, checkDocuments, extractDocuments, sourceFiles } from "../../../scripts/graphql.mjs";
import * as documents from "./documents";
import packageJson from "../../../package.json";

// The check that `pnpm build`, typecheck and test run first (scripts/graphql.mjs): every
// graphql(`…`) document of the web validated against the committed schema.graphql.

const check = checkDocuments;
const schemaSource = readFileSync(SCHEMA, "utf8");
const found = extractDocuments(sourceFiles());

function definitionNames(document: DocumentNode): string[] {
  return document.definitions.flatMap((definition) =>
    definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION ? [definition.name?.value ?? "?"] : [],
  );
}

describe("GraphQL documents against schema.graphql", () => {
  it("passes every document the web sends", () => {
    expect(found.length).toBeGreaterThan(30);
    expect(check({ schemaSource, documents: found })).toEqual([]);
  });

  it("finds every document documents.ts exports (the check cannot skip one)", () => {
    const exported = new Set(Object.values(documents).flatMap((value) => definitionNames(value as DocumentNode)));
    const extracted = new Set(found.flatMap(({ source }) => definitionNames(parse(source))));
    expect([...exported].filter((name) => !extracted.has(name))).toEqual([]);
    expect(exported.has("Viewer")).toBe(true);
  });

  it("fails a document that asks for a field the schema lacks", () => {
    const errors = check({
      schemaSource,
      documents: [...found, { path: "src/lib/graphql/extra.ts", source: "query Extra { viewer { role favouriteColour } }" }],
    });
    expect(errors).toEqual([`src/lib/graphql/extra.ts (Extra): Cannot query field "favouriteColour" on type "Viewer".`]);
  });

  it("fails the real documents when the schema loses a field they select", () => {
    const withoutPermissions = schemaSource.replace(/^\s*permissions: ViewerPermissions!\n/m, "\n");
    expect(withoutPermissions).not.toBe(schemaSource);
    const errors = check({ schemaSource: withoutPermissions, documents: found });
    expect(errors).toContainEqual(expect.stringMatching(/^src\/lib\/graphql\/documents\.ts \(Viewer\): Cannot query field "permissions" on type "Viewer"/));
  });

  it("fails a document whose variable type disagrees with the argument", () => {
    const errors = check({ schemaSource, documents: [{ path: "x.ts", source: "mutation M($id: String!) { revokeApiKey(id: $id) }" }] });
    expect(errors).toEqual([expect.stringContaining('Variable "$id" of type "String!" used in position expecting type "ID!"')]);
  });

  it("runs before every build, typecheck and test of the web", () => {
    for (const script of ["build", "typecheck", "test"] as const) expect(packageJson.scripts[script]).toMatch(/^node scripts\/graphql\.mjs && /);
  });
});
