import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../graphql/context.ts";
import { getAccessToken, type AccessToken } from "../domain/integrations/refresh.ts";
import { createTrafficRecorder, type TrafficObservation } from "../domain/health/traffic.ts";
import type { CatalogProvider } from "../providers/catalog.ts";
import { OAuthFlowError } from "../providers/errors.ts";
import { codeOf } from "../providers/http.ts";
import { OutboundError } from "./outbound.ts";
import { keyCallerWithConnection, sendJson, type ProxiedConnection } from "./key-caller.ts";
import { apiBaseOf, parseProxyUrl, providerUrl, PROXY_PREFIX } from "./proxy-path.ts";
import { headersToProvider } from "./proxy-headers.ts";
import { answerMeaning, needsPeek, PEEK_BYTES, type AnswerMeaning, type ProviderKind } from "./proxy-signals.ts";
import { createProxyLimits } from "./proxy-limits.ts";
import { createAgents, discard, holdBody, peekBody, relayAnswer, sendUpstream, TooLargeError, type HeldBody, type Peeked } from "./proxy-stream.ts";

// /proxy/{integrationId}/{path} (issue 15): a service calls a provider through Switchboard with
// an API key that has the `proxy` permission, and the connection's token never leaves the
// server. Any method; the path must stay under the connection's API base (proxy-path.ts); the
// caller's credentials and hop-by-hop headers stay here and the provider's cookies do not come
// back (proxy-headers.ts); bodies stream both ways within PROXY_MAX_*_BYTES (proxy-stream.ts);
// redirects are relayed, never followed. A token the provider refuses (proxy-signals.ts) is
// refreshed once through the single-flight refresh and the call sent again when its body is
// still held (up to PROXY_RETRY_BODY_BYTES). Every call that reached the provider is a health
// observation (domain/health/traffic.ts); every call is counted in /metrics and logged with
// method, provider path, status and latency (never a query string, a body or a token).

export { PROXY_PREFIX };

export type ProxyRoute = {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Writes the last health observations and closes the provider sockets. */
  close(): Promise<void>;
};

export function createProxyRoute(services: Services): ProxyRoute {
  const { env, prisma, logger, metrics } = services;
  const agents = createAgents();
  const traffic = createTrafficRecorder({ prisma, realtime: services.realtime, logger, env });
  const { admit, release } = createProxyLimits(env);
  /** Refreshes started after answering (a refused token on a call whose body streamed). */
  const background = new Set<Promise<unknown>>();

  /** The proxy's own answers say so in a header, so a client can tell them from the provider's. */
  function refuse(res: ServerResponse, status: number, error: string, message: string, headers: Record<string, string> = {}): void {
    if (res.headersSent) return void res.destroy();
    sendJson(res, status, { error, message }, { "x-switchboard-proxy-error": error, ...headers });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = parseProxyUrl(req.url ?? "/");
    // The key, its creator's membership, the address's throttle row and the connection (only in
    // the key's workspace: another workspace's connection answers exactly like a missing one), in
    // one statement.
    const caller = await keyCallerWithConnection({ auth: services.auth, prisma, db: services.db, req, need: "proxy", integrationId: parsed.ok ? parsed.target.integrationId : null });
    if (!caller.ok) return sendJson(res, caller.status, caller.body, { ...caller.headers, "x-switchboard-proxy-error": caller.body.error });
    const notFound = () => refuse(res, 404, "not_found", "No such connection in this API key's workspace.");
    if (!parsed.ok) return notFound();
    const row = caller.connection;
    if (!row) return notFound();
    if (parsed.refusal) return refuse(res, 400, "invalid_path", `This path is not forwarded: ${parsed.refusal}. Nothing was sent to the provider.`);
    if (row.status === "REAUTH_REQUIRED") return refuse(res, 409, "reauth_required", "The provider no longer accepts this connection's grant: reconnect it on the dashboard.");
    if (row.status !== "CONNECTED") return refuse(res, 409, "not_connected", "The connection is not connected: connect it again on the dashboard.");
    const provider = services.catalog.find((p) => p.id === row.providerId);
    if (!provider) return refuse(res, 409, "unknown_provider", `The provider ${row.providerId} is no longer configured on this server.`);
    const base = apiBaseOf(provider, row.providerConfig);
    if (!base || (base.protocol === "http:" && !services.allowHttp)) {
      return refuse(res, 409, "no_api_base", `${provider.name} has no ${services.allowHttp ? "" : "https "}API address on this server${provider.type === "salesforce" ? " (the connection's instance_url)" : " (apiBaseUrl in PROVIDERS_FILE)"}.`);
    }
    const target = providerUrl(base, parsed.target);
    if (!target) return refuse(res, 400, "invalid_path", "This path would leave the provider's API base. Nothing was sent to the provider.");
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > env.PROXY_MAX_REQUEST_BYTES) return refuse(res, 413, "request_too_large", `Request bodies are limited to ${env.PROXY_MAX_REQUEST_BYTES} bytes.`, { connection: "close" });
    const admitted = admit(row.id);
    if (!admitted.ok) return refuse(res, 429, "too_many_calls", admitted.message, { "retry-after": String(admitted.retryAfter) });
    // The caller may have gone during the awaits above: its "close" has then already fired and
    // a listener added now would never run, leaking the slot for the life of the process.
    if (res.destroyed || res.closed || req.socket.destroyed) return release(row.id);
    res.once("close", () => release(row.id));
    await forward({ req, res, row, provider, target });
  }

  async function forward({
    req,
    res,
    row,
    provider,
    target,
  }: {
    req: IncomingMessage;
    res: ServerResponse;
    row: ProxiedConnection;
    provider: CatalogProvider;
    target: { url: URL; requestPath: string };
  }): Promise<void> {
    const method = req.method ?? "GET";
    const kind = provider.type as ProviderKind;
    const abort = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const started = performance.now();
    const endpoint = `${method} ${target.url.pathname}`;
    const observe = (o: Pick<TrafficObservation, "outcome" | "code" | "httpStatus" | "generation">) =>
      traffic.observe({ integrationId: row.id, workspaceId: row.workspaceId, providerId: row.providerId, endpoint, latencyMs: Math.round(performance.now() - started), at: Date.now(), ...o });
    let status = 0;
    let refreshed = false;
    let accessToken: string | undefined;
    res.once("close", () => {
      const ms = Math.round(performance.now() - started);
      metrics.proxyCompleted(provider.id, status ? `${Math.floor(status / 100)}xx` : "error", ms / 1000);
      // The provider path without its query; a path that carries the token itself (HubSpot's
      // retired v1 token-info) is logged without it.
      const path = accessToken ? target.url.pathname.replaceAll(accessToken, ":token") : target.url.pathname;
      logger.info({ integrationId: row.id, provider: provider.id, method, path, status: res.statusCode, ms, refreshed, ...(status ? {} : { answeredBy: "proxy" }) }, "proxied call");
    });

    let body: HeldBody;
    try {
      body = await holdBody(req, { holdBytes: env.PROXY_RETRY_BODY_BYTES, maxBytes: env.PROXY_MAX_REQUEST_BYTES });
    } catch (error) {
      if (error instanceof TooLargeError) return refuse(res, 413, "request_too_large", `Request bodies are limited to ${env.PROXY_MAX_REQUEST_BYTES} bytes.`, { connection: "close" });
      return void res.destroy();
    }

    let token: AccessToken;
    try {
      token = await getAccessToken({ services, provider, integrationId: row.id, row });
    } catch (error) {
      return tokenUnavailable(res, error, provider, row.tokenGeneration, observe);
    }
    accessToken = token.accessToken;

    const framing = body.kind === "none" ? ("none" as const) : body.kind === "buffer" ? { length: body.data.length } : body.declaredLength !== null ? { length: body.declaredLength } : ("chunked" as const);
    const send = (bearer: string) =>
      sendUpstream({
        url: target.url,
        requestPath: target.requestPath,
        method,
        headers: headersToProvider(req.rawHeaders, { host: target.url.host, accessToken: bearer, body: framing }),
        body,
        agents,
        timeoutMs: env.PROXY_TIMEOUT_MS,
        maxRequestBytes: env.PROXY_MAX_REQUEST_BYTES,
        signal: abort.signal,
      });

    let sent = await send(token.accessToken);
    let peeked: Peeked | null = null;
    let meaning: AnswerMeaning = { token: false, rateLimited: false };
    let refreshError: unknown = null;
    let streamedRefusal = false;
    for (;;) {
      if (!sent.ok) {
        if (sent.error === "aborted") return void res.destroy();
        if (sent.error === "request_too_large") return refuse(res, 413, "request_too_large", `Request bodies are limited to ${env.PROXY_MAX_REQUEST_BYTES} bytes.`, { connection: "close" });
        observe({ outcome: "failure", code: sent.error, generation: token.generation });
        if (sent.error === "timeout") return refuse(res, 504, "provider_timeout", `${provider.name} did not answer within ${env.PROXY_TIMEOUT_MS} ms.`);
        return refuse(res, 502, "provider_unreachable", `${provider.name} could not be reached.`);
      }
      const answer = sent.response;
      const code = answer.statusCode ?? 502;
      peeked = null;
      if (needsPeek(kind, code, answer.headers)) {
        try {
          peeked = await peekBody(answer, PEEK_BYTES);
        } catch {
          if (abort.signal.aborted) return void res.destroy();
          observe({ outcome: "failure", code: "network", generation: token.generation });
          return refuse(res, 502, "provider_unreachable", `${provider.name}'s answer broke off.`);
        }
      }
      meaning = answerMeaning(kind, code, answer.headers, peeked?.complete ? Buffer.concat(peeked.chunks, peeked.size) : null);
      if (!meaning.token || refreshed) break;
      if (body.kind === "stream") {
        // The body is gone: answer with the provider's refusal, and refresh for the next call.
        streamedRefusal = true;
        break;
      }
      // Refused token: one refresh (single-flight: concurrent callers share it), one retry. The
      // refusal is held meanwhile, to be relayed if the refresh fails.
      try {
        const fresh = await getAccessToken({ services, provider, integrationId: row.id, rejected: token.accessToken });
        metrics.proxyRefreshed(provider.id, "ok");
        discard(answer, peeked);
        token = fresh;
        accessToken = fresh.accessToken;
        refreshed = true;
        sent = await send(fresh.accessToken);
      } catch (error) {
        metrics.proxyRefreshed(provider.id, "failed");
        if (!(error instanceof OAuthFlowError || error instanceof OutboundError)) throw error;
        refreshError = error;
        break;
      }
    }
    if (!sent.ok) return; // unreachable: the loop returns on every failed send
    const answer = sent.response;
    status = answer.statusCode ?? 502;
    if (refreshError) {
      // invalid_grant: the refresh marked the connection "Reconnect required"; the row says why.
      const grantGone = refreshError instanceof OAuthFlowError && refreshError.code === "invalid_grant";
      observe({ outcome: grantGone ? "auth_failure" : "failure", code: codeOf(refreshError), httpStatus: status, generation: token.generation });
    } else if (meaning.token && refreshed) {
      observe({ outcome: "auth_failure", code: "token_revoked", httpStatus: status, generation: token.generation });
    } else if (!meaning.token) {
      if (status >= 500) observe({ outcome: "failure", code: "provider_error", httpStatus: status, generation: token.generation });
      else if (meaning.rateLimited) observe({ outcome: "degraded", code: "rate_limited", httpStatus: status, generation: token.generation });
      else observe({ outcome: "ok", generation: token.generation });
    }

    const relayed = await relayAnswer(res, answer, peeked, env.PROXY_MAX_RESPONSE_BYTES);
    if (relayed === "too_large" && !res.headersSent) {
      status = 0;
      refuse(res, 502, "response_too_large", `${provider.name}'s answer is larger than ${env.PROXY_MAX_RESPONSE_BYTES} bytes.`);
    }
    if (streamedRefusal) {
      const rejected = token.accessToken;
      const later = getAccessToken({ services, provider, integrationId: row.id, rejected }).then(
        () => metrics.proxyRefreshed(provider.id, "ok"),
        () => metrics.proxyRefreshed(provider.id, "failed"),
      );
      background.add(later);
      void later.finally(() => background.delete(later));
    }
  }

  function tokenUnavailable(res: ServerResponse, error: unknown, provider: CatalogProvider, generation: number, observe: (o: Pick<TrafficObservation, "outcome" | "code" | "httpStatus" | "generation">) => void): void {
    if (error instanceof OAuthFlowError && error.code === "invalid_grant") {
      observe({ outcome: "auth_failure", code: "invalid_grant", generation });
      return refuse(res, 409, "reauth_required", `${provider.name} no longer accepts this connection's grant: reconnect it on the dashboard.`);
    }
    if (error instanceof OAuthFlowError || error instanceof OutboundError) {
      observe({ outcome: "failure", code: codeOf(error), generation });
      return refuse(res, 502, "refresh_failed", `${provider.name} did not refresh the connection's token; try again shortly.`);
    }
    throw error;
  }

  return {
    handle,
    async close() {
      await Promise.allSettled([...background]);
      await traffic.close();
      agents.destroy();
    },
  };
}
