import WebSocket from "ws";
import { createClient, type Client, type ExecutionResult } from "graphql-ws";

/** A real graphql-ws client; `headers` go on the upgrade request (cookie, Origin). */
export function wsClient(url: string, options: { authorization?: string; headers?: Record<string, string> } = {}): Client {
  const headers = options.headers ?? {};
  class HeaderWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  return createClient({
    url: url.replace(/^http/, "ws") + "/graphql",
    webSocketImpl: HeaderWebSocket,
    connectionParams: options.authorization ? { authorization: options.authorization } : undefined,
    retryAttempts: 0,
    lazy: true,
  });
}

/** Runs one query or mutation over the socket and resolves with its single result. */
export function wsQuery<T = any>(client: Client, query: string, variables?: Record<string, unknown>): Promise<ExecutionResult<T>> {
  return new Promise((resolve, reject) => {
    let result: ExecutionResult<T> | undefined;
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => (result = value),
        error: (error) => (Array.isArray(error) ? resolve({ errors: error } as ExecutionResult<T>) : reject(error)),
        complete: () => resolve(result!),
      },
    );
  });
}

/** Subscribes and collects events; `errors` gets per-operation errors. */
export function wsSubscribe<T = any>(client: Client, query: string, variables?: Record<string, unknown>) {
  const events: ExecutionResult<T>[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const dispose = client.subscribe<T>(
    { query, variables },
    { next: (value) => events.push(value), error: (error) => errors.push(error), complete: () => (completed = true) },
  );
  return { events, errors, dispose, get completed() { return completed; } };
}

export async function waitFor(check: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
