import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { GraphQLError, getOperationAST, type ExecutionArgs } from "graphql";
import { createGraphQLError } from "graphql-yoga";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import type { Env } from "../env.ts";
import { resolveViewer, type Viewer } from "../auth/viewer.ts";
import type { Services } from "./context.ts";
import { GRAPHQL_PATH, type GraphQLServer } from "./yoga.ts";
import { SharedSubscriptions, canonicalJson, type SharedArgs, type SubscriptionSource } from "./shared-subscriptions.ts";

type Extra = { request?: IncomingMessage; viewer?: Viewer; operations?: Set<string> };

/** Operations one socket may have open at once: a dashboard needs a handful; a flood is refused. */
export const MAX_OPERATIONS_PER_SOCKET = 100;
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

function isGraphQLErrorLike(error: unknown): boolean {
  return error instanceof Error && error.name === "GraphQLError";
}

function headersOf(req: IncomingMessage, authorization?: string): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) headers.set(name, value.join(", "));
  }
  if (authorization) headers.set("authorization", authorization);
  return headers;
}

/**
 * graphql-ws on the /graphql path, executing through yoga's envelop so every plugin (armor
 * limits, masking) applies the same as over HTTP. Authentication happens once, at
 * connection_init: the session cookie of the upgrade request or `{ authorization: "Bearer …" }`.
 */
export function createWebSocketServer({ env, services, yoga }: { env: Env; services: Services; yoga: GraphQLServer }) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const shared = new SharedSubscriptions();
  const { metrics } = services;
  metrics.countSubscriptionExecutionsWith(() => shared.stats().groups);
  const server = useServer<Record<string, unknown> | undefined, Extra>(
    {
      connectionInitWaitTimeout: 10_000,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const authorization = typeof params.authorization === "string" ? params.authorization : typeof params.Authorization === "string" ? params.Authorization : undefined;
        const viewer = await resolveViewer({ auth: services.auth, prisma: services.prisma, headers: headersOf(ctx.extra.request!, authorization) }).catch(() => null);
        if (!viewer) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.viewer = viewer;
        // The upgrade request is not needed after authentication; an idle socket should not
        // keep its headers and parser state alive (thousands of open dashboards).
        (ctx.extra as { request?: IncomingMessage }).request = undefined;
        return true;
      },
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => {
        const root = args.rootValue as EnvelopedRoot | SharedRoot;
        if (!("shared" in root)) return root.subscribe(args) as never;
        // Every subscriber is counted here, not in the resolver: the resolver runs once per group.
        metrics.subscriptionOpened();
        return shared.join(root.shared.key, root.shared.args, () => metrics.subscriptionClosed(), root.shared.send) as never;
      },
      onComplete: (ctx, id) => {
        ctx.extra.operations?.delete(id);
      },
      onSubscribe: async (ctx, id, payload) => {
        const operations = (ctx.extra.operations ??= new Set());
        if (operations.size >= MAX_OPERATIONS_PER_SOCKET) {
          return [createGraphQLError(`At most ${MAX_OPERATIONS_PER_SOCKET} operations may run at once on one connection.`, { extensions: { code: "TOO_MANY_OPERATIONS" } })];
        }
        operations.add(id);
        const viewer = ctx.extra.viewer!;
        const key = shareKey(viewer, payload);
        // A shared result is written to this socket as graphql-transport-ws's `next` message with
        // the payload serialised once per group (graphql-ws would serialise it per subscriber).
        const socket = ctx.extra.socket;
        const prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
        const send = (payloadJson: string) => {
          if (socket.readyState === socket.OPEN) socket.send(prefix + payloadJson + "}");
        };
        const running = shared.peek(key);
        if (running) {
          // The same subscription for the same scope already runs: its document passed parse and
          // validation (the limits) already, so this subscriber only joins it.
          return { schema: running.schema, document: running.document, operationName: payload.operationName, variableValues: payload.variables, contextValue: null, rootValue: { shared: { key, args: running, send } } satisfies SharedRoot };
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
            operations.delete(id);
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
          operations.delete(id);
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
    async close() {
      for (const client of wss.clients) client.close(1001, "Server shutting down");
      await server.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
