import { createYoga, createGraphQLError, type YogaInitialContext } from "graphql-yoga";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useGraphQlJit } from "@envelop/graphql-jit";
import { getOperationAST, type DocumentNode, type ExecutionArgs } from "graphql";
import type { Env } from "../env.ts";
import { resolveViewer, type Viewer } from "../auth/viewer.ts";
import { schema } from "./schema.ts";
import { createLoaders } from "../domain/health/uptime.ts";
import { useIntrospectionPolicy } from "./introspection-limit.ts";
import type { Context, Services } from "./context.ts";
import { useStreamRegistry } from "./streams.ts";
import type { ConnectionRegistry } from "../realtime/connections.ts";

export const GRAPHQL_PATH = "/graphql";

/** What graphql-ws puts in the context: the viewer resolved again for this operation (ws.ts). */
export type WsInitialContext = { viewer?: Viewer };

// Operation type per parsed document (yoga's parse cache hands out the same document object for
// the same text, so this is computed once per document).
const operationKinds = new WeakMap<DocumentNode, Map<string, string | undefined>>();
function operationKind(args: ExecutionArgs): string | undefined {
  let byName = operationKinds.get(args.document);
  if (!byName) operationKinds.set(args.document, (byName = new Map()));
  const name = args.operationName ?? "";
  if (!byName.has(name)) byName.set(name, getOperationAST(args.document, args.operationName)?.operation);
  return byName.get(name);
}

export function parseCookies(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const index = part.indexOf("=");
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    if (!cookies.has(name)) {
      try {
        cookies.set(name, decodeURIComponent(part.slice(index + 1).trim()));
      } catch {
        // a malformed cookie value is as good as none
      }
    }
  }
  return cookies;
}

export function createGraphQLServer({ env, services, connections }: { env: Env; services: Services; connections: ConnectionRegistry }) {
  const { logger } = services;
  // Set-Cookie values resolvers ask for, by request, added to the response by a plugin below.
  const responseCookies = new WeakMap<Request, string[]>();
  return createYoga<WsInitialContext & Partial<YogaInitialContext>, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    // GraphiQL needs introspection; without it the page would only show errors.
    graphiql: env.NODE_ENV !== "production" && env.introspection ? { title: "Switchboard GraphQL" } : false,
    // Only our own origins get CORS answers; others get no allow headers at all.
    cors: (request) => {
      const origin = request.headers.get("origin");
      if (!origin || !env.trustedOrigins.includes(origin)) return false;
      return { origin, credentials: true, methods: ["GET", "POST"], allowedHeaders: ["content-type", "authorization", "x-graphql-yoga-csrf"] };
    },
    maskedErrors: true,
    // The size limit is app.ts's, before a byte is read: a POST to /graphql without a finite
    // Content-Length is refused (411) and one over MAX_GRAPHQL_BODY_BYTES too (413), and Node's
    // HTTP parser never hands on more body than Content-Length says. Yoga's own limit would pipe
    // every body through one more TransformStream (a stream pipeline and an AbortController per
    // request, about 0.2 ms of CPU each in the read benchmark's profile) to enforce the same.
    maxRequestBodySize: false,
    logging: {
      debug: (...args) => logger.debug({ component: "graphql" }, String(args[0])),
      info: (...args) => logger.info({ component: "graphql" }, String(args[0])),
      warn: (...args) => logger.warn({ component: "graphql" }, String(args[0])),
      error: (...args) => logger.error({ component: "graphql", err: args[1] instanceof Error ? args[1] : undefined }, String(args[0])),
    },
    plugins: [
      {
        onResponse({ request, response }) {
          for (const cookie of responseCookies.get(request) ?? []) response.headers.append("set-cookie", cookie);
        },
      },
      // A form or multipart POST (no preflight) must not run a mutation.
      useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf"] }),
      EnvelopArmorPlugin({
        maxDepth: { n: env.GRAPHQL_MAX_DEPTH, ignoreIntrospection: true },
        maxAliases: { n: env.GRAPHQL_MAX_ALIASES },
        maxTokens: { n: env.GRAPHQL_MAX_TOKENS },
        maxDirectives: { n: 20 },
        // The cost rule multiplies a subtree by a literal `first:` (never by a variable or a
        // default), so the limit has to admit the documented page: integrations(first: 200)
        // with every card field and healthHistory(first: 10) costs about 66,000. What bounds
        // the work is each field's own clamp (first ≤ 200 pages, history ≤ 200, uptime batched).
        costLimit: { maxCost: 100_000 },
        blockFieldSuggestion: { enabled: true },
      }),
      useIntrospectionPolicy({ enabled: env.introspection }),
      // Queries and mutations run as compiled JavaScript (graphql-jit), one compilation per
      // document, cached with it; subscriptions keep the standard executor.
      useGraphQlJit({}, { enableIf: (args) => operationKind(args) !== "subscription" }),
      // Last, so it wraps whatever subscribe function the plugins above chose: SSE streams are
      // counted per principal (HTTP 429 past the limit) and ended when their access changes.
      useStreamRegistry(connections),
    ],
    context: async (initial) => {
      let viewer = initial.viewer;
      const request = initial.request;
      const addCookie = (header: string) => {
        if (!request) return; // graphql-ws has no response to carry cookies
        responseCookies.set(request, [...(responseCookies.get(request) ?? []), header]);
      };
      if (!viewer && request) {
        viewer = (await resolveViewer({ auth: services.auth, prisma: services.prisma, headers: request.headers, onSetCookie: addCookie })) ?? undefined;
      }
      if (!viewer) {
        throw createGraphQLError("Sign in, or send an API key as Authorization: Bearer <key>.", {
          extensions: { code: "UNAUTHENTICATED", http: { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="switchboard"' } } },
        });
      }
      const jar = request ? parseCookies(request.headers.get("cookie")) : new Map<string, string>();
      const cookies = { get: (name: string) => jar.get(name), set: addCookie };
      return { ...services, viewer, cookies, loaders: createLoaders(services.prisma) };
    },
  });
}

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;
