import type { CombinedError } from "@urql/svelte";

/** A message fit to show the user: the API's own words when it sent any, else what failed. */
export function errorMessage(error: CombinedError | undefined): string {
  if (!error) return "The server sent no result.";
  if (error.response?.status === 401) return "Your session ended. Sign in again.";
  const graphQLMessage = error.graphQLErrors[0]?.message;
  if (graphQLMessage) return graphQLMessage;
  if (error.networkError) return `Could not reach the server (${error.networkError.message}).`;
  return error.message;
}
