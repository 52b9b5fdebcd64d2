import { GraphQLError } from "graphql";

// Errors a client is meant to read (yoga masks every other error as "Unexpected error.").
export const errorCodes = {
  UNAUTHENTICATED: "No valid session cookie or API key was sent.",
  FORBIDDEN: "The caller's role does not allow this in the workspace.",
  NOT_FOUND: "No such object in the caller's workspace.",
  BAD_USER_INPUT: "An argument failed validation.",
} as const;

export type ErrorCode = keyof typeof errorCodes;

export function clientError(code: ErrorCode, message: string, status?: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...(status ? { http: { status } } : {}) } });
}
