import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { GraphQLError, getOperationAST, type ExecutionArgs } from "graphql";
import { createGraphQLError } from "graphql-yoga";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import type { Context as WsContext } from "graphql-ws";
import type { Env } from "../env.ts";
import { resolveViewer, type Viewer } from "../auth/viewer.ts";
import { CLIENT_ADDRESS_HEADER } from "../auth/client-address.ts";
import { noteRequest } from "../jobs/loop-governor.ts";
import { CLOSE_TOO_MANY, ENDINGS, type ConnectionLease, type ConnectionRegistry, type Ending } from "../realtime/connections.ts";
import type { Services } from "./context.ts";
import { GRAPHQL_PATH, type GraphQLServer } from "./yoga.ts";
import { SharedSubscriptions, canonicalJson, type SharedArgs, type SubscriptionSource } from "./shared-subscriptions.ts";

/**
 * What a socket keeps between messages: the credentials it authenticated with (to resolve the
 * viewer again for every operation; not the upgrade request), the viewer as last resolved, its
 * place in the connection registry and its open operations.
 */
type Extra = { request?: IncomingMessage; credentials?: Credentials; viewer?: Viewer; lease?: ConnectionLease; operations?: number };
type Credentials = { authorization?: string; cookie?: string; address?: string };
type SocketContext = WsContext<Record<string, unknown> | undefined, Extra & { socket: import("ws").WebSocket }>;

/** A client that never answers our close frame loses its socket after this long (ws waits 30 s). */
const CLOSE_GRACE_MS = 1000;
type EnvelopedRoot = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };
/** rootValue of a subscription served from a shared execution (see shared-subscriptions.ts). */
type SharedRoot = { shared: { key: string; args: SharedArgs; send: (payloadJson: string) => void } };

/**
 * What a subscription's result depends on, and so who may share one execution: the exact
 * document, operation and variables, and the authorization scope (workspace and role). The
 * individual user is not part of it: no subscription field depends on who the caller is beyond
 * workspace and role; a field that ever does must add the user here.
 */
function shareKey(viewer: Viewer, payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null }): string {
  return [viewer.workspaceId, viewer.role, payload.operationName ?? "", canonicalJson(payload.variables ?? {}), payload.query].join("\u0000");
}

/**
 * Writes a shared result to one socket as graphql-transport-ws's `next` message, the payload
 * serialised once per group (graphql-ws would serialise it per subscriber); once the socket is
 * closing (an access change), nothing more is written. Made here rather than inline so that each
 * subscriber's function holds only its socket and id (not onSubscribe's scope), and the message's
 * head is joined at each send instead of kept as a string per subscriber.
 */
function sendTo(socket: import("ws").WebSocket, id: string): (payloadJson: string) => void {
  return (payloadJson) => {
    if (socket.readyState === socket.OPEN) socket.send(`{"id":${JSON.stringify(id)},"type":"next","payload":${payloadJson}}`);
  };
}

/**
 * The open operations of a socket are a count, not a set of ids: graphql-ws already refuses a
 * duplicate id, and calls onComplete once for each operation whose onSubscribe returned arguments
 * (one that returns errors uncounts itself, and gets no onComplete).
 */
function uncount(extra: Extra): void {
  extra.operations = (extra.operations ?? 1) - 1;
}

function isGraphQLErrorLike(error: unknown): boolean {
  return error instanceof Error && error.name === "GraphQLError";
}

/**
 * The only parts of the upgrade request and connection_init that authenticate: an API key
 * (connection_init's `authorization`, else the upgrade's Authorization header) wins over the
 * session cookie, as in resolveViewer.
 */
function credentialsOf(req: IncomingMessage, params: Record<string, unknown>): Credentials {
  const fromInit = typeof params.authorization === "string" ? params.authorization : typeof params.Authorization === "string" ? params.Authorization : undefined;
  const authorization = fromInit ?? req.headers.authorization;
  // The client's address as app.ts decided it on the upgrade: key failures are throttled by it.
  const address = req.headers[CLIENT_ADDRESS_HEADER];
  const credentials: Credentials = typeof address === "string" ? { address } : {};
  if (authorization) credentials.authorization = authorization;
  else if (req.headers.cookie) credentials.cookie = req.headers.cookie;
  return credentials;
}

function headersOf(credentials: Credentials): Headers {
  const headers = new Headers();
  if (credentials.authorization) headers.set("authorization", credentials.authorization);
  if (credentials.cookie) headers.set("cookie", credentials.cookie);
  if (credentials.address) headers.set(CLIENT_ADDRESS_HEADER, credentials.address);
  return headers;
}

/** Same principal, workspace and role: operations of both may share results. */
function sameAuthority(a: Viewer, b: Viewer): boolean {
  return a.userId === b.userId && a.workspaceId === b.workspaceId && a.role === b.role && a.via === b.via && a.apiKeyId === b.apiKeyId && a.sessionId === b.sessionId;
}

/**
 * graphql-ws on the /graphql path, executing through yoga's envelop so every plugin (armor
 * limits, masking, introspection policy) applies the same as over HTTP. A socket authenticates
 * at connection_init (the session cookie of the upgrade request, or `{ authorization: "Bearer …" }`)
 * and keeps only those credentials: every `subscribe` message resolves the viewer again, so each
 * operation runs with the membership and role as they are now. The socket is registered in the
 * connection registry, which closes it when its principal's access changes (on any replica),
 * when its session or key runs out, and refuses more than MAX_CONNECTIONS_PER_PRINCIPAL.
 */
export function createWebSocketServer({ env, services, yoga, connections }: { env: Env; services: Services; yoga: GraphQLServer; connections: ConnectionRegistry }) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const shared = new SharedSubscriptions();
  const { metrics } = services;
  const maxSubscriptions = env.MAX_SUBSCRIPTIONS_PER_SOCKET;
  metrics.countSubscriptionExecutionsWith(() => shared.stats().groups);
  // One function for every member's end, rather than a closure per subscriber.
  const subscriptionClosed = () => metrics.subscriptionClosed();

  // At connection_init a bad key counts toward the address's throttle; re-checks of an open
  // socket do not (a key revoked meanwhile is not a guess).
  const resolve = (credentials: Credentials, countKeyFailure = true) => resolveViewer({ auth: services.auth, prisma: services.prisma, headers: headersOf(credentials), countKeyFailure });

  /**
   * Closes a socket for an access change: nothing more is written to it from now (its shared
   * results check that the socket is open; its operations end at once, leaving their groups).
   */
  function closeSocket(ctx: SocketContext, ending: Ending): void {
    const socket = ctx.extra.socket;
    socket.close(ending.code, ending.reason);
    setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    for (const operation of Object.values(ctx.subscriptions)) {
      const iterator = operation as AsyncIterator<unknown> | null;
      void Promise.resolve(iterator?.return?.()).catch(() => {});
    }
  }

  /**
   * The viewer for one operation, resolved again from the socket's credentials. Null when the
   * socket was closed for it: its session or key is gone (4401), its membership is (4403), or
   * its role or workspace changed while other operations run with the old one (4403: a shared
   * result computed for the old role must not keep reaching it; the client reconnects).
   */
  async function viewerForOperation(ctx: SocketContext): Promise<Viewer | null | "unavailable"> {
    const { credentials, lease } = ctx.extra;
    const previous = ctx.extra.viewer;
    if (!credentials || !lease || !previous || lease.ended) return null;
    let viewer: Viewer | null;
    try {
      viewer = await resolve(credentials, false);
    } catch (error) {
      services.logger.warn({ err: error }, "could not resolve a socket's viewer");
      return "unavailable";
    }
    if (lease.ended) return null;
    if (!viewer) {
      lease.end(await connections.whyRefused(previous).catch(() => ENDINGS.notAMember));
      return null;
    }
    if (!sameAuthority(previous, viewer)) {
      if ((ctx.extra.operations ?? 0) > 1) {
        lease.end(ENDINGS.roleChanged);
        return null;
      }
      ctx.extra.viewer = viewer;
      lease.update(viewer);
    }
    return viewer;
  }

  const server = useServer<Record<string, unknown> | undefined, Extra>(
    {
      connectionInitWaitTimeout: 10_000,
      onConnect: async (ctx) => {
        noteRequest(); // a person's request: sweeps yield to it (jobs/loop-governor.ts)
        const credentials = credentialsOf(ctx.extra.request!, ctx.connectionParams ?? {});
        // The upgrade request is not kept: an idle socket should not hold its headers and parser
        // state (thousands of open dashboards); the credentials are all it needs.
        (ctx.extra as { request?: IncomingMessage }).request = undefined;
        const socket = ctx.extra.socket;
        let viewer: Viewer | null;
        try {
          viewer = await resolve(credentials);
        } catch (error) {
          // Throttled (too many failed keys from this address): say so, as HTTP says 429.
          if ((error as { extensions?: { http?: { status?: number } } }).extensions?.http?.status === 429) {
            socket.close(CLOSE_TOO_MANY, "Too many failed attempts from this address; try again later");
            return false;
          }
          viewer = null;
        }
        if (!viewer) return false; // graphql-ws closes with 4403 Forbidden
        if (socket.readyState !== socket.OPEN) return false; // gone while we looked it up
        const lease = connections.open(viewer, "websocket", (ending) => closeSocket(ctx as SocketContext, ending));
        if (!lease) {
          const max = connections.maxPerPrincipal;
          socket.close(CLOSE_TOO_MANY, `Too many connections: at most ${max} WebSockets and SSE streams per user or API key`);
          return false;
        }
        Object.assign(ctx.extra, { credentials, viewer, lease });
        return true;
      },
      onClose: (ctx) => {
        ctx.extra.lease?.release();
      },
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => {
        const root = args.rootValue as EnvelopedRoot | SharedRoot;
        if (!("shared" in root)) return root.subscribe(args) as never;
        // Every subscriber is counted here, not in the resolver: the resolver runs once per group.
        metrics.subscriptionOpened();
        return shared.join(root.shared.key, root.shared.args, subscriptionClosed, root.shared.send) as never;
      },
      onComplete: (ctx) => uncount(ctx.extra),
      onSubscribe: async (ctx, id, payload) => {
        // Counted before anything is awaited, so a burst of messages cannot slip past the cap. No
        // closure made in this scope captures the socket or its extra: a group's `start` (below)
        // outlives the socket that started it.
        const extra = ctx.extra;
        noteRequest();
        if ((extra.operations ?? 0) >= maxSubscriptions) {
          return [createGraphQLError(`At most ${maxSubscriptions} subscriptions may be open at once on one connection.`, { extensions: { code: "TOO_MANY_OPERATIONS", limit: maxSubscriptions } })];
        }
        extra.operations = (extra.operations ?? 0) + 1;
        const viewer = await viewerForOperation(ctx as SocketContext);
        if (viewer === "unavailable" || !viewer) {
          uncount(extra);
          return viewer === "unavailable"
            ? [createGraphQLError("Could not check your access just now; try again.", { extensions: { code: "UNAVAILABLE" } })]
            : [createGraphQLError("This connection's access has ended.", { extensions: { code: "UNAUTHENTICATED" } })];
        }
        const key = shareKey(viewer, payload);
        const send = sendTo(extra.socket, id);
        const running = shared.peek(key);
        if (running) {
          // The same subscription for the same scope already runs: its document passed parse and
          // validation (the limits) already, so this subscriber only joins it. graphql-ws keeps
          // this subscriber's message for as long as it runs: its query text, equal to the one the
          // group parsed (the key contains it), is swapped for that string, and the group's key
          // is kept instead of this one, so an idle subscriber holds no copy of either.
          const body = running.args.document.loc?.source.body;
          if (body !== undefined && body === payload.query) (payload as { query: string }).query = body;
          const { schema, document } = running.args;
          return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: null, rootValue: { shared: { key: running.key, args: running.args, send } } satisfies SharedRoot };
        }
        // Only what the context needs: a shared execution may outlive this socket, and must not
        // keep it (or its request) alive.
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({ viewer, params: payload });
        // Errors here are answered for this operation only: thrown, they would close the whole
        // socket with 4500 and end every other subscription on it. Limits (graphql-armor) throw
        // from parse and validate, so every step is guarded.
        try {
          const document = parse(payload.query);
          const errors = validate(schema, document);
          if (errors.length > 0) {
            uncount(extra);
            return errors;
          }
          const args = { schema, document, operationName: payload.operationName, variableValues: payload.variables };
          if (getOperationAST(document, payload.operationName)?.operation === "subscription") {
            // Executed once per group (see shared-subscriptions.ts); the context is made when the
            // group starts, and its errors answer every member with one safe message.
            const start = async (): Promise<SubscriptionSource> => {
              try {
                const contextValue = Object.assign(await contextFactory(), { sharedSubscription: true });
                return (await subscribe({ ...args, contextValue, rootValue: undefined })) as SubscriptionSource;
              } catch (error) {
                return { errors: [error instanceof GraphQLError || isGraphQLErrorLike(error) ? (error as GraphQLError) : createGraphQLError("Could not start the operation")] };
              }
            };
            return { ...args, contextValue: null, rootValue: { shared: { key, args: { start, schema, document }, send } } satisfies SharedRoot };
          }
          return { ...args, contextValue: await contextFactory(), rootValue: { execute, subscribe } };
        } catch (error) {
          uncount(extra);
          return [error instanceof GraphQLError || isGraphQLErrorLike(error) ? (error as GraphQLError) : createGraphQLError("Could not start the operation")];
        }
      },
    },
    wss,
  );

  /** Upgrade handler: only /graphql, and a browser's Origin must be one of ours. */
  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? "").split("?")[0];
    if (path !== GRAPHQL_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !env.trustedOrigins.includes(origin)) {
      services.logger.warn({ origin }, "refused a WebSocket from a foreign origin");
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  }

  return {
    handleUpgrade,
    wss,
    /** The shared subscription executions (how many, serving how many subscribers). */
    subscriptions: shared,
    /** Open sockets and SSE streams of this process, by principal (shared with the HTTP server). */
    connections,
    async close() {
      for (const client of wss.clients) client.close(1001, "Server shutting down");
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
