import { Client, cacheExchange, fetchExchange, subscriptionExchange, type Exchange } from "@urql/svelte";
import { createClient as createWsClient } from "graphql-ws";
import { browser } from "$app/environment";
import { liveConnection } from "./live-connection.svelte";

// graphql-ws's default backoff doubles without bound (1 s, 2 s, 4 s … minutes); a dashboard
// should notice a restarted server within seconds, so waits are capped.
const RETRY_CAP_MS = 3_000;

function retryWait(retries: number): Promise<void> {
  const ms = Math.min(500 * 2 ** retries, RETRY_CAP_MS) + Math.random() * 300;
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The browser's GraphQL client: HTTP for queries and mutations, graphql-ws (same path, same
 * origin, so the session cookie rides on the upgrade request) for subscriptions.
 */
export function createGraphQLClient(): Client {
  const exchanges: Exchange[] = [cacheExchange, fetchExchange];
  // A WebSocket only exists in the browser; during SSR no subscription is ever started.
  if (browser) {
    const protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    const ws = createWsClient({
      url: `${protocol}//${window.location.host}/graphql`,
      // Lazy: the socket opens on the first subscription and closes after the last one.
      lazy: true,
      // A dashboard left open should come back by itself after a deploy or a network blip,
      // including when the server is down long enough that the upgrade itself fails.
      retryAttempts: Infinity,
      shouldRetry: () => true,
      retryWait,
      on: {
        connected: () => liveConnection.connected(),
        closed: (event) => liveConnection.closed((event as CloseEvent | undefined)?.code),
      },
    });
    exchanges.push(
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    );
  }
  return new Client({
    url: "/graphql",
    exchanges,
    fetchOptions: { credentials: "same-origin" },
    // urql ≥4 defaults to GET for short queries; the API's CSRF prevention only accepts
    // JSON POSTs (or a custom header) from browsers, so queries must stay POSTs.
    preferGetMethod: false,
  });
}
