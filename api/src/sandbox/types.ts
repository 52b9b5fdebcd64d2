import type { IncomingMessage } from "node:http";
import type { Logger } from "../logger.ts";
import type { SandboxProviderId } from "./catalog.ts";
import type { BodyProblem, Reply } from "./http.ts";
import type { ConsentRequest, Grant, Store } from "./store.ts";

export const FAULT_MODES = ["ok", "unauthorized", "rate_limited", "server_error", "slow", "hang", "revoked"] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

export const DEFAULT_RETRY_AFTER_SECONDS = 30;
export const DEFAULT_DELAY_MS = 3000;

export type Fault = {
  mode: FaultMode;
  /** rate_limited: the Retry-After value (default 30). */
  retryAfterSeconds?: number;
  /** slow: how long to wait before answering (default 3000). */
  delayMs?: number;
};

export type SandboxProviderOptions = {
  /**
   * Slack: token rotation (expiring access tokens plus refresh tokens, S4); HubSpot and
   * Salesforce: a new refresh token on every refresh. Google has no such switch (its refresh
   * tokens do not rotate, G2). Reusing a replaced refresh token revokes the grant.
   */
  rotateRefreshTokens?: boolean;
  /** Overrides the documented access-token lifetime (tests of expiry); Salesforce default 7200. */
  accessTokenLifetimeSeconds?: number;
  /**
   * Google only, default true: the authorization redirect carries iss=https://accounts.google.com
   * (RFC 9207). Google rolls it out per account (google.md §2), so false emulates an account
   * that does not have it yet.
   */
  issParameter?: boolean;
  /**
   * HubSpot only, default false: the v1 OAuth API is gone (sunset February 16, 2027, hubspot.md
   * "Facts added 2026-12-05"): every path under /oauth/v1/ answers 404.
   */
  v1Retired?: boolean;
};

export type SandboxStats = {
  tokenRequests: { authorization_code: number; refresh_token: number };
  apiCalls: number;
  revocations: number;
};

export type ProviderRuntime = {
  fault: Fault;
  /** When the last `revoked` fault revoked every grant (the mode itself is a one-shot action). */
  revokedAt?: number;
  options: SandboxProviderOptions;
  stats: SandboxStats;
};

export type SandboxContext = {
  publicUrl: string;
  origin: string;
  now: () => number;
  logger?: Logger;
  store: Store;
  runtime(provider: SandboxProviderId): ProviderRuntime;
  /** `${publicUrl}/sandbox/<provider>` */
  baseUrl(provider: SandboxProviderId): string;
  /** The registered redirect URI of the app at that provider. */
  callbackUrl(provider: SandboxProviderId): string;
};

/**
 * consent: the authorization page and its form (never faulted); token: the token endpoint
 * (faulted, counted per grant type); api: API, identity and probe endpoints (faulted, counted);
 * revoke: revocation (counted, not faulted, so disconnecting works during an outage drill);
 * other: anything else (neither).
 */
export type EndpointKind = "consent" | "token" | "api" | "revoke" | "other";

export type RouteInput = {
  req: IncomingMessage;
  url: URL;
  /**
   * The login host the request came to, as the path prefix the module's splitHost stripped
   * ("" for the provider's default host; Salesforce "/test" or "/my/<domain>").
   */
  host: string;
  /** Capture groups of the route's path pattern. */
  match: string[];
  /** Body parameters (and query parameters where the route reads both). */
  params: URLSearchParams;
};

export type Route = {
  methods: readonly string[];
  /** Matched against the path after /sandbox/<provider>. */
  path: string | RegExp;
  kind: EndpointKind;
  /** Slack's Web API reads arguments from the query string as well as the body. */
  queryParams?: boolean;
  /** Accepts application/json bodies as well as forms (Slack, S1). */
  json?: boolean;
  /** This endpoint's answer to a missing/invalid token, used by the "unauthorized" fault too. */
  invalidToken?: () => Reply;
  handle(input: RouteInput): Reply | Promise<Reply>;
};

export type AuthorizeOutcome =
  /** Bad client or redirect URI: an error page, never a redirect (RFC 6749 §4.1.2.1). */
  | { kind: "page"; status: number; title: string; message: string }
  /** Any other problem, once the redirect URI is trusted. */
  | { kind: "redirect"; redirectUri: string; params: Record<string, string | undefined> }
  | { kind: "consent"; request: ConsentRequest }
  /** Approve without asking (Salesforce immediate=true after an earlier approval). */
  | { kind: "approve"; request: ConsentRequest };

/** The consent page's lines about the account being connected: [label, value] pairs. */
export type ConsentAccount = [label: string, value: string][];

/** One account a person can authorize as: a Slack workspace, a Google user, a HubSpot portal. */
export type SandboxAccount = {
  /** The form value of the picker, stored on the grant (Grant.account). */
  key: string;
  /** The picker's option text. */
  name: string;
};

/**
 * Several accounts to choose from on the consent page, as the providers' own pages offer (Slack's
 * workspace picker, Google's account chooser, HubSpot's account chooser): a picker labelled
 * `label`, then `lines`, which hold whichever account is chosen. The first account is the
 * default: selected on the page, and the account of a grant stored without one.
 */
export type AccountChoice = {
  label: string;
  accounts: readonly [SandboxAccount, ...SandboxAccount[]];
  lines?: ConsentAccount;
};

/** One fixed account (its lines), or a choice of several. */
export type ConsentAccounts = ConsentAccount | AccountChoice;

export type AuthorizeSpec = {
  path: string;
  /** Look of the consent page: the provider's colour and the demo account(s) (per login host). */
  accent: string;
  account: ConsentAccounts | ((host: string) => ConsentAccounts);
  /** `host` is the login host the authorization request came to (see RouteInput.host). */
  validate(query: URLSearchParams, host: string): AuthorizeOutcome;
  newCode(): string;
  /**
   * The scopes to grant given the ticked ones (Google adds earlier grants of the same account;
   * `account` is the chosen account's key, undefined for a provider without a choice).
   */
  grantScopes?(request: ConsentRequest, ticked: string[], account: string | undefined): string[];
  /** Called once per approval; extra parameters for the success redirect (Google adds scope, iss …). */
  approved?(grant: Grant, request: ConsentRequest): Record<string, string>;
  /** Extra parameters for the access_denied redirect. */
  deniedParams?(request: ConsentRequest): Record<string, string>;
};

export type ProviderModule = {
  id: SandboxProviderId;
  authorize: AuthorizeSpec;
  routes: Route[];
  /**
   * Splits a login-host prefix off the path (Salesforce serves test.salesforce.com and My Domain
   * hosts under /test and /my/<domain>); routes are matched against the rest. Without it, or
   * when it returns undefined, the host is "" and the path is matched whole.
   */
  splitHost?(path: string): { host: string; rest: string } | undefined;
  /**
   * An answer for a path the provider no longer serves (HubSpot v1 after its sunset), given
   * before routing, faults and counters; undefined lets the request through.
   */
  retired?(input: { method: string; path: string }): Reply | undefined;
  /** Answers of the unauthorized / rate_limited / server_error faults for a token or API request. */
  faultReply(input: { mode: "unauthorized" | "rate_limited" | "server_error"; kind: "token" | "api"; route: Route; params: URLSearchParams; retryAfterSeconds: number }): Reply;
  /** A body that could not be parsed, in this provider's invalid_request shape. */
  malformed(input: { kind: EndpointKind; problem: BodyProblem }): Reply;
  /** Forgets what the module remembers beyond the store (earlier consents, approvals). */
  reset?(): void;
  /** What the module remembers beyond the store, as JSON-safe data for the state file. */
  save?(): unknown;
  /** Takes back what save() returned in an earlier process; ignores what it cannot read. */
  load?(saved: unknown): void;
};
