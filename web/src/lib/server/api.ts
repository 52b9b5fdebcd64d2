import { env } from "$env/dynamic/private";
import { stringifyDocument, type TypedDocumentNode } from "@urql/core";

/** One entry of a GraphQL response's `errors`, as the API shapes them (api/src/graphql/errors.ts). */
export type ApiGraphQLError = { message: string; extensions?: { code?: string; reason?: string } };

export type ApiResult<T> = {
  status: number;
  /** Null when the API answered something that is not a GraphQL JSON body. */
  body: { data?: T | null; errors?: ApiGraphQLError[] } | null;
  /** Every Set-Cookie of the response, unparsed, for the caller to pass on to the browser. */
  setCookies: string[];
};

/** The GraphQL API on loopback: main.ts sets it to the same process's port. */
export function apiOrigin(): string {
  return env.SWITCHBOARD_API_URL || "http://127.0.0.1:3000";
}

/**
 * Posts one GraphQL document (from documents.ts, so its result is typed) to the API on behalf of a browser. Only the cookie header is
 * forwarded: the API is the single place that understands sessions (and the OAuth binding
 * cookie), and no other request header should reach it from here. Network failures and
 * timeouts throw; HTTP and GraphQL errors come back as values.
 */
export async function postGraphQL<T, V extends Record<string, unknown>>({
  document,
  variables,
  cookie,
  timeoutMs,
}: {
  document: TypedDocumentNode<T, V>;
  variables?: V;
  cookie: string | null;
  timeoutMs: number;
}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (cookie) headers.cookie = cookie;
  const response = await fetch(`${apiOrigin()}/graphql`, {
    method: "POST",
    headers,
    body: JSON.stringify({ query: stringifyDocument(document), variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  let body: ApiResult<T>["body"] = null;
  try {
    body = (await response.json()) as ApiResult<T>["body"];
  } catch {
    // A proxy's HTML error page or an empty body: the status says enough.
  }
  return { status: response.status, body, setCookies: response.headers.getSetCookie() };
}
