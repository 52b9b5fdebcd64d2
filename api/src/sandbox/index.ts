import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../logger.ts";
import { authorizeRoutes, sameOrigin } from "./authorize.ts";
import {
  SANDBOX_PROVIDERS,
  isSandboxProvider,
  sandboxBaseUrl,
  sandboxCallbackUrl,
  sandboxClient,
  sandboxEndpoints,
  type SandboxEndpoints,
  type SandboxProviderId,
} from "./catalog.ts";
import { faultSchema, formToControlRequest, parseControlRequest, providerOptionsSchema, type ControlRequest } from "./control.ts";
import { createGoogle } from "./google.ts";
import { controlPage, errorPage } from "./html.ts";
import { parseBody, readBodyOrRefuse, send, type Reply } from "./http.ts";
import { createHubSpot } from "./hubspot.ts";
import { grantTypeOf } from "./oauth.ts";
import { createSalesforce } from "./salesforce.ts";
import { createSlack } from "./slack.ts";
import { createStateWriter, readSavedState, type SavedState, type StateWriter } from "./persist.ts";
import { createStore } from "./store.ts";
import {
  DEFAULT_DELAY_MS,
  DEFAULT_RETRY_AFTER_SECONDS,
  type Fault,
  type ProviderModule,
  type ProviderRuntime,
  type Route,
  type SandboxContext,
  type SandboxProviderOptions,
  type SandboxStats,
} from "./types.ts";

// Built-in emulators of Slack, HubSpot, Google and Salesforce, mounted by the app under
// /sandbox (design.md). Each emulates the documented OAuth and API behaviour of its provider
// (/work/shared/providers/*.md), keeps its grants, tokens, faults and options in memory and, when
// given a state file, on disk across restarts (persist.ts), and can be told to misbehave (faults)
// through /sandbox/_control or the page at /sandbox.
//
// Two kinds of endpoint, two rules. The emulators' OAuth and API endpoints are public: they play
// the providers, whose authorization pages and token endpoints anyone can reach. The controls
// (the page at /sandbox, /sandbox/_control and its form) change what every sandbox connection
// of the server sees (a reset makes each one "Reconnect required"), so the app decides who may
// use them (authorizeControl: a signed-in owner or admin) and they follow the app's CSRF rules.

export { SANDBOX_PROVIDERS, sandboxClient, sandboxEndpoints };
export type { SandboxEndpoints, SandboxProviderId, Fault, SandboxProviderOptions, SandboxStats };
export type { FaultMode } from "./types.ts";

/** What the app says about the person behind a control request. */
export type ControlAccess = "ok" | "anonymous" | "forbidden";

export type SandboxOptions = {
  /** Like http://localhost:3000, without a trailing slash. */
  publicUrl: string;
  logger?: Logger;
  /** Clock for code and token expiry (tests inject one). */
  now?: () => number;
  /** Per-provider switches; reset() returns to these. */
  providers?: Partial<Record<SandboxProviderId, SandboxProviderOptions>>;
  /**
   * Who may use the controls over HTTP. `apiKey` is true for the JSON endpoint, where an API key
   * may stand for its creator; the page and its form take only a browser session. Without this
   * option every HTTP control answers 401: only the in-process setFault/setOptions/reset work.
   */
  authorizeControl?: (req: IncomingMessage, input: { apiKey: boolean }) => Promise<ControlAccess>;
  /** Origins whose pages may call the JSON control endpoint (PUBLIC_URL's origin is always one). */
  trustedOrigins?: string[];
  /**
   * Where grants, tokens, faults and options survive a restart (DATA_DIR/sandbox-state.json),
   * loaded now and saved shortly after each change; memory only without it.
   */
  stateFile?: string;
  /**
   * Called when a fault other than "ok" was set through the controls (page, form or JSON; not
   * the in-process setFault that tests drive): the app makes that provider's connections due
   * for a check now. Awaited before the control answers, so what follows sees it done.
   */
  onFault?: (provider: SandboxProviderId) => Promise<void> | void;
};

export type SandboxProviderState = {
  fault: Fault;
  /** ISO time at which the last `revoked` fault revoked every token, if any. */
  revokedAt: string | null;
  options: SandboxProviderOptions;
  stats: SandboxStats;
  clientId: string;
  endpoints: SandboxEndpoints;
};

export type SandboxState = { providers: Record<SandboxProviderId, SandboxProviderState> };

export type Sandbox = {
  /** Handles a request whose path starts with /sandbox; returns false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Counters tests read: token requests per provider and grant type, API calls, revocations. */
  stats(provider: SandboxProviderId): SandboxStats;
  /** Same as POST /sandbox/_control { provider, fault }. Throws on an invalid fault. */
  setFault(provider: SandboxProviderId, fault: Fault): void;
  /** Same as POST /sandbox/_control { provider, options }; merges into the current options. */
  setOptions(provider: SandboxProviderId, options: SandboxProviderOptions): void;
  state(): SandboxState;
  /** Forgets every code, token and consent; faults back to ok, options and counters to their start. */
  reset(): void;
  /** Saves the state file now if anything changed (the app calls it when it closes). */
  close(): Promise<void>;
};

const emptyStats = (): SandboxStats => ({ tokenRequests: { authorization_code: 0, refresh_token: 0 }, apiCalls: 0, revocations: 0 });

/**
 * Resolves true after `ms`, or false as soon as the client goes away. Without `ms` it only waits
 * for the client (the hang fault). Either way no timer or listener outlives the request.
 */
function waitUnlessClosed(res: ServerResponse, ms?: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed || res.writableEnded) return resolve(false);
    let timer: NodeJS.Timeout | undefined;
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once("close", onClose);
    if (ms !== undefined) {
      timer = setTimeout(() => {
        res.off("close", onClose);
        resolve(true);
      }, ms);
    }
  });
}

function json(status: number, body: unknown): Reply {
  return { status, json: body };
}

const WHY_OWNERS = "The sandbox controls change what every sandbox connection on this server sees, so only a workspace owner or admin may use them.";

/** A refused control request, as JSON (the API endpoint) or as a page (the browser's). */
function refused(access: Exclude<ControlAccess, "ok">, as: "json" | "html"): Reply {
  if (access === "anonymous") {
    if (as === "json") {
      return {
        status: 401,
        headers: { "www-authenticate": 'Bearer realm="sandbox"' },
        json: { error: "unauthenticated", message: `Sign in first. ${WHY_OWNERS} Send a session cookie, or an owner's or admin's API key as Authorization: Bearer <key>.` },
      };
    }
    return { status: 401, html: errorPage({ title: "Sign in to use the sandbox controls", message: WHY_OWNERS, link: { href: "/login?next=%2Fsandbox", label: "Sign in" } }) };
  }
  if (as === "json") return json(403, { error: "forbidden", message: `Your role may not do this. ${WHY_OWNERS}` });
  return { status: 403, html: errorPage({ title: "Only owners and admins may use the sandbox controls", message: `${WHY_OWNERS} Ask an owner of your workspace.`, link: { href: "/dashboard/integrations", label: "Back to the integrations" } }) };
}

export function createSandbox(options: SandboxOptions): Sandbox {
  const publicUrl = options.publicUrl.replace(/\/+$/, "");
  const now = options.now ?? Date.now;
  const logger = options.logger?.child({ component: "sandbox" });
  const initialOptions = (provider: SandboxProviderId): SandboxProviderOptions => providerOptionsSchema.parse(options.providers?.[provider] ?? {});

  const runtimes = Object.fromEntries(
    SANDBOX_PROVIDERS.map((provider) => [provider, { fault: { mode: "ok" }, options: initialOptions(provider), stats: emptyStats() } satisfies ProviderRuntime]),
  ) as Record<SandboxProviderId, ProviderRuntime>;

  const store = createStore();
  const authorizeControl = options.authorizeControl ?? (async () => "anonymous" as const);
  const ctx: SandboxContext = {
    publicUrl,
    origin: new URL(publicUrl).origin,
    now,
    logger,
    store,
    runtime: (provider) => runtimes[provider],
    baseUrl: (provider) => sandboxBaseUrl(publicUrl, provider),
    callbackUrl: (provider) => sandboxCallbackUrl(publicUrl, provider),
  };

  const modules: Record<SandboxProviderId, ProviderModule> = {
    slack: createSlack(ctx),
    hubspot: createHubSpot(ctx),
    google: createGoogle(ctx),
    salesforce: createSalesforce(ctx),
  };
  const routeTables = Object.fromEntries(
    SANDBOX_PROVIDERS.map((provider) => {
      const module = modules[provider];
      return [provider, [...authorizeRoutes(ctx, { provider, spec: module.authorize }), ...module.routes]];
    }),
  ) as Record<SandboxProviderId, Route[]>;

  const trustedOrigins = new Set([ctx.origin, ...(options.trustedOrigins ?? [])]);
  /**
   * The JSON endpoint's CSRF rule, the app's: an Origin, when sent, must be a trusted one ("null"
   * is not); without one (scripts, API keys) a browser's Sec-Fetch-Site must not say cross-site.
   * Its JSON-only body then forces a preflight on any cross-site page, which is never granted.
   */
  function trustedOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin !== undefined) return trustedOrigins.has(origin);
    const site = req.headers["sec-fetch-site"];
    return site === undefined || site === "same-origin" || site === "none";
  }

  function savedState(): SavedState {
    const providers = Object.fromEntries(
      SANDBOX_PROVIDERS.map((provider) => {
        const { fault, revokedAt, options: providerOptions } = runtimes[provider];
        const memory = modules[provider].save?.();
        return [provider, { fault, ...(revokedAt !== undefined ? { revokedAt } : {}), options: providerOptions, ...(memory !== undefined ? { memory } : {}) }];
      }),
    );
    return { version: 1, providers, store: store.snapshot(now()) };
  }

  let writer: StateWriter | undefined;
  if (options.stateFile) {
    const saved = readSavedState(options.stateFile, logger);
    if (saved) {
      for (const provider of SANDBOX_PROVIDERS) {
        const entry = saved.state.providers[provider];
        if (!entry) continue;
        runtimes[provider] = { fault: entry.fault, ...(entry.revokedAt !== undefined ? { revokedAt: entry.revokedAt } : {}), options: entry.options, stats: emptyStats() };
        if (entry.memory !== undefined) modules[provider].load?.(entry.memory);
      }
      store.restore(saved.state.store);
      logger?.info({ file: options.stateFile, grants: saved.state.store.grants.length, tokens: saved.state.store.tokens.length }, "sandbox state restored");
    }
    writer = createStateWriter({ file: options.stateFile, snapshot: savedState, logger, loadedText: saved?.text });
  }
  const changed = () => writer?.changed();

  function setFault(provider: SandboxProviderId, fault: Fault): void {
    const parsed = faultSchema.parse(fault);
    const runtime = runtimes[provider];
    runtime.fault = parsed;
    if (parsed.mode === "revoked") {
      // A one-shot action: everything issued so far dies now; later connections work again.
      const at = now();
      runtime.revokedAt = at;
      const live = store.revokeProvider(provider, at);
      modules[provider].reset?.();
      logger?.info({ provider, grants: live }, "sandbox revoked every token of the provider");
    }
    changed();
    logger?.info({ provider, mode: parsed.mode }, "sandbox fault set");
  }

  function setOptions(provider: SandboxProviderId, next: SandboxProviderOptions): void {
    const checked = parseControlRequest({ provider, options: next });
    if (!checked.ok) throw new Error(checked.message);
    runtimes[provider].options = { ...runtimes[provider].options, ...providerOptionsSchema.parse(next) };
    changed();
    logger?.info({ provider, options: runtimes[provider].options }, "sandbox options set");
  }

  function reset(): void {
    store.clear();
    for (const provider of SANDBOX_PROVIDERS) {
      runtimes[provider] = { fault: { mode: "ok" }, options: initialOptions(provider), stats: emptyStats() };
      modules[provider].reset?.();
    }
    changed();
    logger?.info("sandbox reset");
  }

  function state(): SandboxState {
    const endpoints = sandboxEndpoints(publicUrl);
    const providers = Object.fromEntries(
      SANDBOX_PROVIDERS.map((provider) => {
        const runtime = runtimes[provider];
        return [
          provider,
          {
            fault: { ...runtime.fault },
            revokedAt: runtime.revokedAt === undefined ? null : new Date(runtime.revokedAt).toISOString(),
            options: { ...runtime.options },
            stats: structuredClone(runtime.stats),
            clientId: sandboxClient(provider).clientId,
            endpoints: endpoints[provider],
          },
        ];
      }),
    ) as Record<SandboxProviderId, SandboxProviderState>;
    return { providers };
  }

  async function apply(request: ControlRequest): Promise<void> {
    if ("reset" in request) return reset();
    if (request.options) setOptions(request.provider, request.options);
    if (request.fault) setFault(request.provider, request.fault);
    // A fault set from the controls is checked at once; clearing one waits for the retry
    // interval the last failure set.
    if (request.fault && request.fault.mode !== "ok") await options.onFault?.(request.provider);
  }

  async function controlJson(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "POST") return send(res, { status: 405, headers: { allow: "GET, POST" }, json: { error: "method_not_allowed", message: "Use GET or POST." } });
    if (req.method === "POST" && !trustedOrigin(req)) return send(res, json(403, { error: "forbidden", message: "Cross-origin control requests are refused." }));
    const access = await authorizeControl(req, { apiKey: true });
    if (access !== "ok") return send(res, refused(access, "json"));
    if (req.method === "GET") return send(res, json(200, state()));
    const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    const raw = await readBodyOrRefuse(req, res);
    if (raw === undefined) return;
    // A cross-site page could post a simple (text/plain) request without a preflight.
    if (contentType !== "application/json") return send(res, json(415, { error: "unsupported_media_type", message: "Content-Type must be application/json." }));
    let value: unknown;
    try {
      value = JSON.parse(raw.toString("utf8"));
    } catch {
      return send(res, json(400, { error: "invalid_request", message: "The body is not valid JSON." }));
    }
    const parsed = parseControlRequest(value);
    if (!parsed.ok) return send(res, json(400, { error: "invalid_request", message: parsed.message }));
    await apply(parsed.request);
    send(res, json(200, state()));
  }

  async function controlForm(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") return send(res, { status: 405, headers: { allow: "POST" }, json: { error: "method_not_allowed", message: "Use POST." } });
    if (!sameOrigin(ctx, req)) return send(res, { status: 403, html: errorPage({ title: "Cross-site request refused", message: "The sandbox controls only accept forms from this sandbox's own page." }) });
    const access = await authorizeControl(req, { apiKey: false });
    if (access !== "ok") return send(res, refused(access, "html"));
    const raw = await readBodyOrRefuse(req, res);
    if (raw === undefined) return;
    const form = parseBody({ raw, contentType: req.headers["content-type"], allowJson: false });
    if (typeof form === "string") return send(res, { status: 400, html: errorPage({ title: "Invalid form", message: "The form could not be read." }) });
    const parsed = parseControlRequest(formToControlRequest(form));
    if (!parsed.ok) return send(res, { status: 400, html: errorPage({ title: "Invalid sandbox setting", message: parsed.message }) });
    await apply(parsed.request);
    send(res, { status: 303, headers: { location: "/sandbox" } });
  }

  async function dispatchProvider(input: { provider: SandboxProviderId; rest: string; req: IncomingMessage; res: ServerResponse; url: URL }): Promise<void> {
    const { provider, req, res, url } = input;
    const module = modules[provider];
    const method = req.method ?? "GET";
    // A login-host prefix (Salesforce /test, /my/<domain>) comes off before routes are matched.
    const { host, rest } = module.splitHost?.(input.rest) ?? { host: "", rest: input.rest };
    const gone = module.retired?.({ method, path: rest });
    if (gone) return send(res, gone);
    const matchOf = (route: Route): string[] | null => {
      if (typeof route.path === "string") return route.path === rest ? [rest] : null;
      const m = route.path.exec(rest);
      return m ? [...m] : null;
    };
    const candidates = routeTables[provider].filter((route) => matchOf(route) !== null);
    if (candidates.length === 0) return send(res, json(404, { error: "not_found", message: `No ${provider} sandbox endpoint at this path.` }));
    const route = candidates.find((r) => r.methods.includes(method));
    if (!route) {
      const allow = [...new Set(candidates.flatMap((r) => r.methods))].join(", ");
      return send(res, { status: 405, headers: { allow }, json: { error: "method_not_allowed", message: `Use ${allow}.` } });
    }
    const match = matchOf(route) ?? [];

    let params = new URLSearchParams();
    if (method !== "GET" && method !== "HEAD") {
      const raw = await readBodyOrRefuse(req, res);
      if (raw === undefined) return;
      const parsed = parseBody({ raw, contentType: req.headers["content-type"], allowJson: route.json === true });
      if (typeof parsed === "string") return send(res, module.malformed({ kind: route.kind, problem: parsed }));
      params = parsed;
    }
    if (method === "GET" || route.queryParams) {
      // Body arguments win over query arguments of the same name.
      const merged = new URLSearchParams(url.searchParams);
      for (const name of new Set(params.keys())) {
        merged.delete(name);
        for (const value of params.getAll(name)) merged.append(name, value);
      }
      params = merged;
    }

    const runtime = runtimes[provider];
    if (route.kind === "token") {
      const grantType = grantTypeOf(params);
      if (grantType) runtime.stats.tokenRequests[grantType] += 1;
    } else if (route.kind === "api") runtime.stats.apiCalls += 1;
    else if (route.kind === "revoke") runtime.stats.revocations += 1;

    if (route.kind === "token" || route.kind === "api") {
      const fault = runtime.fault;
      if (fault.mode === "hang") {
        await waitUnlessClosed(res);
        return;
      }
      if (fault.mode === "slow" && !(await waitUnlessClosed(res, fault.delayMs ?? DEFAULT_DELAY_MS))) return;
      if (fault.mode === "unauthorized" || fault.mode === "rate_limited" || fault.mode === "server_error") {
        return send(res, module.faultReply({ mode: fault.mode, kind: route.kind, route, params, retryAfterSeconds: fault.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS }));
      }
    }
    try {
      send(res, await route.handle({ req, url, host, match, params }));
    } finally {
      // Everything but API reads can change grants and tokens (consent, token, revoke).
      if (route.kind !== "api") changed();
    }
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    if (path === "/sandbox" || path === "/sandbox/") {
      if (req.method !== "GET") return send(res, { status: 405, headers: { allow: "GET" }, json: { error: "method_not_allowed", message: "Use GET." } });
      const access = await authorizeControl(req, { apiKey: false });
      if (access !== "ok") return send(res, refused(access, "html"));
      return send(res, { status: 200, html: controlPage({ runtimes }) });
    }
    if (path === "/sandbox/_control") return controlJson(req, res);
    if (path === "/sandbox/_control/form") return controlForm(req, res);
    const [, , provider = "", ...restParts] = path.split("/");
    if (!isSandboxProvider(provider)) return send(res, json(404, { error: "not_found", message: "No sandbox endpoint at this path." }));
    const rest = restParts.length > 0 ? `/${restParts.join("/")}` : "/";
    const started = performance.now();
    await dispatchProvider({ provider, rest, req, res, url });
    // The route shape only: paths can hold tokens (HubSpot v1) and queries hold codes.
    logger?.debug({ provider, method: req.method, status: res.headersSent ? res.statusCode : null, ms: Math.round(performance.now() - started) }, "sandbox request");
  }

  return {
    async handle(req, res) {
      let url: URL;
      try {
        // Prefixing keeps a request target like "//host/x" from being read as a host name.
        const target = req.url ?? "/";
        url = new URL(target.startsWith("/") ? `http://sandbox.invalid${target}` : target);
      } catch {
        return false;
      }
      if (url.pathname !== "/sandbox" && !url.pathname.startsWith("/sandbox/")) return false;
      try {
        await dispatch(req, res, url);
      } catch (error) {
        logger?.error({ err: error }, "sandbox handler failed");
        if (!res.headersSent) send(res, json(500, { error: "internal_error", message: "The sandbox failed to handle this request." }));
        else res.destroy();
      }
      return true;
    },
    stats: (provider) => structuredClone(runtimes[provider].stats),
    setFault,
    setOptions,
    state,
    reset,
    close: async () => {
      await writer?.close();
    },
  };
}
