import { Kind, NoSchemaIntrospectionCustomRule, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from "graphql";
import { createGraphQLError } from "graphql-yoga";
import type { Plugin } from "graphql-yoga";

// The depth limit ignores introspection (GraphiQL's own introspection query is about 13 deep),
// which would leave `__schema { types { fields { type { ofType { ofType … } } } } }` unbounded.
// This rule bounds depth inside __schema/__type separately, following fragments (a fragment
// named `__schema` is only a name; what counts is the field it selects).

export const MAX_INTROSPECTION_DEPTH = 15;

function depthOf(set: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  if (!set) return 0;
  let max = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) max = Math.max(max, 1 + depthOf(selection.selectionSet, fragments, seen));
    else if (selection.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, depthOf(selection.selectionSet, fragments, seen));
    else {
      const name = selection.name.value;
      if (seen.has(name)) continue; // a cycle is already an error of its own
      const fragment = fragments.get(name);
      if (fragment) max = Math.max(max, depthOf(fragment.selectionSet, fragments, new Set([...seen, name])));
    }
  }
  return max;
}

export function introspectionDepthRule(maxDepth = MAX_INTROSPECTION_DEPTH) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map(context.getDocument().definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
    return {
      Field(node) {
        if (node.name.value !== "__schema" && node.name.value !== "__type") return;
        const depth = 1 + depthOf(node.selectionSet, fragments, new Set());
        if (depth > maxDepth) {
          context.reportError(createGraphQLError(`Introspection depth limit of ${maxDepth} exceeded, found ${depth}.`, { nodes: [node] }) as never);
        }
      },
    };
  };
}

/**
 * Introspection as GRAPHQL_INTROSPECTION says (env.introspection: off in production unless set
 * on): when off, any `__schema` or `__type` field fails validation, which is the one step
 * HTTP, SSE and graphql-ws (through yoga.getEnveloped) all share. `__typename` stays allowed.
 * When on, its depth is bounded as above.
 */
export function useIntrospectionPolicy({ enabled, maxDepth = MAX_INTROSPECTION_DEPTH }: { enabled: boolean; maxDepth?: number }): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(enabled ? introspectionDepthRule(maxDepth) : NoSchemaIntrospectionCustomRule);
    },
  };
}
