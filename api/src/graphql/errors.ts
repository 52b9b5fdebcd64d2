import { createGraphQLError } from "graphql-yoga";
import type { GraphQLError } from "graphql";

// Errors a client is meant to read (yoga masks every other error as "Unexpected error.").
export const errorCodes = {
  UNAUTHENTICATED: "No valid session cookie or API key was sent.",
  FORBIDDEN: "The caller's role does not allow this in the workspace.",
  NOT_FOUND: "No such object in the caller's workspace.",
  BAD_USER_INPUT: "An argument failed validation.",
  PROVIDER_NOT_CONFIGURED: "The provider has no client credentials on this server.",
} as const;

export type ErrorCode = keyof typeof errorCodes;

export function clientError(code: ErrorCode, message: string, status?: number, extra: Record<string, unknown> = {}): GraphQLError {
  // createGraphQLError uses yoga's own graphql instance, so yoga never mistakes it for an
  // unexpected error (and masks it) when two copies of graphql are loaded.
  return createGraphQLError(message, { extensions: { code, ...extra, ...(status ? { http: { status } } : {}) } });
}
