import { z } from "zod";
import { OutboundError, outboundRequest, type HeaderReader, type OutboundAnswer, type OutboundOptions } from "../http/outbound.ts";
import { OAuthFlowError, type OAuthErrorCode } from "./errors.ts";
import type { TokenSet } from "./types.ts";

// What the provider modules share: reading answers, and the default meaning of an HTTP error.
// Each provider module refines the meaning with what its documentation says (Slack's HTTP 200
// errors, Salesforce's 403 REQUEST_LIMIT_EXCEEDED, Google's 403 reasons, HubSpot's categories).

/** One provider answer, read whole (outboundFetch has already bounded its size and time). */
export type Answer = {
  status: number;
  headers: HeaderReader;
  text: string;
  body: unknown;
  /** The call this answers, "METHOD /path" (no query string: it may carry a token or a query) */
  endpoint?: string;
};

/** "POST /api/auth.test": the method and the URL's path, never its query string or host. */
export function endpointOf(url: string | URL, method = "GET"): string | undefined {
  try {
    return `${method.toUpperCase()} ${new URL(url).pathname}`;
  } catch {
    return undefined;
  }
}

/** An answer whose endpoint is worked out only when something asks (an error about it): most answers are fine. */
class ReadAnswer implements Answer {
  #endpoint: string | undefined | null = null;
  constructor(
    readonly status: number,
    readonly headers: HeaderReader,
    readonly text: string,
    readonly body: unknown,
    private readonly request: { url: string | URL; method?: string } | undefined,
  ) {}
  get endpoint(): string | undefined {
    if (this.#endpoint === null) this.#endpoint = this.request ? endpointOf(this.request.url, this.request.method) : undefined;
    return this.#endpoint;
  }
}

/**
 * Reads an answer (a Response, or an OutboundAnswer already read by outboundRequest); with the
 * request it answers, the answer (and errors about it) name the endpoint.
 */
export async function readAnswer(response: Response | OutboundAnswer, request?: { url: string | URL; method?: string }): Promise<Answer> {
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Some OAuth errors come form-encoded (Salesforce's revoke: error=unsupported_token_type&…,
    // omniphx/forrest issue #213); read them as the object they stand for.
    if (/^[\w.-]+=[^<>\s]*$/.test(text.trim()) && /(^|&)error=/.test(text)) body = Object.fromEntries(new URLSearchParams(text.trim()));
  }
  return new ReadAnswer(response.status, response.headers, text, body, request);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON object answer or a provider_error: "an answer that cannot be read". */
export function objectOf(answer: Answer): Record<string, unknown> {
  if (isObject(answer.body)) return answer.body;
  throw new OAuthFlowError("provider_error", `HTTP ${answer.status}, not a JSON object`).about(answer);
}

/** The provider's own words about an error, for people (never a token: providers do not echo them). */
export function providerText(answer: Answer): string {
  const b = answer.body;
  const first = Array.isArray(b) ? b[0] : b;
  const pick = (o: unknown): string | undefined => {
    if (!isObject(o)) return undefined;
    const error = typeof o.error === "string" ? o.error : undefined;
    const description = typeof o.error_description === "string" ? o.error_description : undefined;
    if (error || description) return [error, description].filter(Boolean).join(": ");
    const code = typeof o.errorCode === "string" ? o.errorCode : typeof o.category === "string" ? o.category : undefined;
    const message = typeof o.message === "string" ? o.message : isObject(o.error) ? pick(o.error) : undefined;
    return [code, message].filter(Boolean).join(": ") || undefined;
  };
  const text = pick(first) ?? (answer.body === undefined && answer.text && !/^\s*</.test(answer.text) ? answer.text : undefined);
  return (text ?? `HTTP ${answer.status}`).replace(/\s+/g, " ").trim().slice(0, 300);
}

export function retryAfter(headers: HeaderReader): number | undefined {
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** RFC 6750 §3: the `error` of a WWW-Authenticate Bearer challenge (invalid_token, insufficient_scope). */
export function bearerChallengeError(headers: HeaderReader): string | undefined {
  return /\berror="([^"]+)"/i.exec(headers.get("www-authenticate") ?? "")?.[1];
}

/**
 * The default meaning of an API error answer. Only signals about the token itself lead to a
 * refresh or a reconnect: a 401, or a Bearer challenge saying invalid_token. A 403 is not by
 * itself "token revoked" (Salesforce answers 403 over its API quota, Google over a rate limit,
 * HubSpot for a missing scope): providers refine 403s; here it is a provider error that shows
 * the provider's text.
 */
export function apiError(answer: Answer): OAuthFlowError {
  const text = providerText(answer);
  const challenge = bearerChallengeError(answer.headers);
  if (answer.status === 429) return new OAuthFlowError("rate_limited", text, retryAfter(answer.headers)).about(answer);
  if (challenge === "insufficient_scope") return new OAuthFlowError("insufficient_scope", text).about(answer);
  if (answer.status === 401 || challenge === "invalid_token") return new OAuthFlowError("token_revoked", text).about(answer);
  return new OAuthFlowError("provider_error", text).about(answer);
}

/** RFC 6749 §5.2 token endpoint errors. */
export function tokenError(answer: Answer): OAuthFlowError {
  const body = isObject(answer.body) ? answer.body : {};
  const text = providerText(answer);
  const error = (code: OAuthErrorCode, retryAfterSeconds?: number) => new OAuthFlowError(code, text, retryAfterSeconds).about(answer);
  if (answer.status === 429) return error("rate_limited", retryAfter(answer.headers));
  if (body.error === "invalid_grant") return error("invalid_grant");
  if (body.error === "invalid_client" || body.error === "invalid_client_id" || body.error === "unauthorized_client") return error("config_error");
  return error(answer.status === 401 ? "config_error" : "provider_error");
}

export type Classify = (answer: Answer) => OAuthFlowError | undefined;

/** Sends a request and returns the answer when it succeeded; otherwise throws the classified error. */
export async function call(url: string, init: RequestInit, classify: Classify = () => undefined, outbound?: OutboundOptions): Promise<Answer> {
  const answer = await readAnswer(await outboundRequest(url, init, outbound), { url, method: init.method });
  if (answer.status >= 200 && answer.status < 300) return answer;
  throw (classify(answer) ?? apiError(answer)).about(answer);
}

export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, accept: "application/json", ...extra };
}

export function form(fields: Record<string, string | undefined>): RequestInit {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) body.set(k, v);
  return { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: body.toString() };
}

export const standardToken = z
  .object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1).optional(),
    expires_in: z.coerce.number().positive().optional(),
    scope: z.string().optional(),
    token_type: z.string().optional(),
  })
  .passthrough();

export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new OAuthFlowError("provider_error", `${what} is missing ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`);
  return parsed.data;
}

export function splitScopes(value: string, separator: string): string[] {
  // Distinct, in order of first mention (every Slack answer carries x-oauth-scopes: a plain loop).
  const out: string[] = [];
  for (const part of value.split(separator === " " ? /\s+/ : separator)) {
    const scope = part.trim();
    if (scope && !out.includes(scope)) out.push(scope);
  }
  return out;
}

export function toTokenSet(parsed: z.infer<typeof standardToken>, requested: string[], separator = " ", extraKeys: string[] = []): TokenSet {
  const extra: Record<string, unknown> = {};
  for (const key of extraKeys) if (parsed[key] !== undefined) extra[key] = parsed[key];
  return {
    accessToken: parsed.access_token,
    refreshToken: parsed.refresh_token,
    expiresAt: parsed.expires_in ? new Date(Date.now() + parsed.expires_in * 1000) : undefined,
    // RFC 6749 §5.1: scope may be omitted when it equals what was requested.
    scopes: parsed.scope !== undefined ? splitScopes(parsed.scope, separator) : requested,
    scopesReported: parsed.scope !== undefined,
    extra,
  };
}

/** A code the caller may act on, for errors that are not OAuthFlowErrors (network, timeouts). */
export function codeOf(error: unknown): OAuthErrorCode {
  if (error instanceof OAuthFlowError) return error.code;
  if (error instanceof OutboundError) return error.code === "timeout" ? "timeout" : "network";
  return "provider_error";
}
