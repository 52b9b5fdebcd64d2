import type { ExecutionResult } from "graphql";
import { createGraphQLError, type Plugin, type YogaInitialContext } from "graphql-yoga";
import type { ConnectionRegistry, ConnectionLease } from "../realtime/connections.ts";
import type { Context } from "./context.ts";

// Subscriptions over HTTP (SSE, and multipart) are long-lived connections like sockets: each is
// registered with its viewer in the connection registry, so it counts toward the principal's
// MAX_CONNECTIONS_PER_PRINCIPAL (past it: HTTP 429) and ends when that principal's access
// changes or runs out. graphql-ws operations are not counted here: the socket is, in ws.ts.

type AnyIterable = AsyncIterable<ExecutionResult>;

function isAsyncIterable(value: unknown): value is AnyIterable {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/**
 * An iterator over `source` that `end()` finishes at once, even while a `next()` waits (no
 * event may come for hours): yoga then writes the SSE `complete` event and ends the response.
 * `onDone` runs once, however it ends.
 */
export function endable(source: AnyIterable, onDone: () => void): AsyncIterableIterator<ExecutionResult> & { end(): void } {
  const inner = source[Symbol.asyncIterator]();
  let finished = false;
  let wake: ((result: IteratorResult<ExecutionResult>) => void) | null = null;
  const finish = () => {
    if (finished) return;
    finished = true;
    onDone();
    const resolve = wake;
    wake = null;
    resolve?.({ done: true, value: undefined });
    void Promise.resolve(inner.return?.()).catch(() => {});
  };
  return {
    next() {
      if (finished) return Promise.resolve({ done: true, value: undefined });
      return new Promise<IteratorResult<ExecutionResult>>((resolve, reject) => {
        wake = resolve;
        inner.next().then(
          (result) => {
            if (wake !== resolve) return; // ended meanwhile
            wake = null;
            if (result.done) finish();
            resolve(result);
          },
          (error) => {
            if (wake !== resolve) return;
            wake = null;
            finish();
            reject(error);
          },
        );
      });
    },
    return() {
      finish();
      return Promise.resolve({ done: true, value: undefined });
    },
    throw(error?: unknown) {
      finish();
      return Promise.reject(error);
    },
    end: finish,
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export function useStreamRegistry(connections: ConnectionRegistry): Plugin<Context> {
  return {
    onSubscribe({ args, subscribeFn, setSubscribeFn, setResultAndStopExecution }) {
      const context = args.contextValue as Context & Partial<YogaInitialContext>;
      // graphql-ws executions (shared or not) carry no HTTP request: their socket is counted.
      if (!context.request || context.sharedSubscription) return;
      let stream: ReturnType<typeof endable> | null = null;
      let endedEarly = false;
      const lease: ConnectionLease | null = connections.open(context.viewer, "sse", () => {
        if (stream) stream.end();
        else endedEarly = true;
      });
      if (!lease) {
        const max = connections.maxPerPrincipal;
        setResultAndStopExecution({
          errors: [
            createGraphQLError(`Too many connections: at most ${max} WebSockets and SSE streams at once per user or API key.`, {
              extensions: { code: "TOO_MANY_CONNECTIONS", limit: max, http: { status: 429 } },
            }),
          ],
        });
        return;
      }
      setSubscribeFn(async (subscribeArgs) => {
        let result: Awaited<ReturnType<typeof subscribeFn>>;
        try {
          result = await subscribeFn(subscribeArgs);
        } catch (error) {
          lease.release();
          throw error;
        }
        if (!isAsyncIterable(result)) {
          lease.release(); // an error result (not allowed, bad variables): nothing stays open
          return result;
        }
        stream = endable(result, () => lease.release());
        if (endedEarly) stream.end();
        return stream;
      });
    },
    onResultProcess({ result, resultProcessor }) {
      // A subscription requested without a streaming Accept (only application/json, say) is
      // answered 406 and its stream is never read: end it now, or it would hold its place (and
      // its topic subscription) for good.
      if (!resultProcessor && isAsyncIterable(result)) void Promise.resolve(result[Symbol.asyncIterator]().return?.()).catch(() => {});
    },
  };
}
