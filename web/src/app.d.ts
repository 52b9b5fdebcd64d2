import type { Viewer } from "$lib/graphql/types";

// SvelteKit's ambient types are extended through declaration merging, which needs `interface`.
declare global {
  namespace App {
    interface Locals {
      /** The signed-in caller as the GraphQL API sees it; null when signed out or unreachable. */
      viewer: Viewer | null;
    }
  }
}

export {};
