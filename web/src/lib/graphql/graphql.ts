import { initGraphQLTada } from "gql.tada";
// Written from ../../../../schema.graphql by `gql.tada generate-output` (scripts/graphql.mjs) before
// every build, typecheck and test; git-ignored, so it cannot drift from the schema.
import type { introspection } from "./graphql-env";

/**
 * The typed `graphql()` of every document: results and variables are inferred from the schema.
 * Fragments are not masked, so a query's result carries its fragments' fields directly, as the
 * components expect.
 */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string };
  disableMasking: true;
}>();

export type { FragmentOf, ResultOf, VariablesOf } from "gql.tada";
