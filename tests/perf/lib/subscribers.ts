import WebSocket from "ws";
import { nowMs } from "./stats.ts";

// Many subscribers, one WebSocket each, speaking graphql-ws (graphql-transport-ws) by hand so
// that the client work per message is the same small callback for the product and for the raw
// baseline: note the arrival time, count, nothing else.

export type Subscribers = {
  count: number;
  /** Starts a measurement: resolves when every socket got a message containing `marker`, or at the timeout. */
  expect(marker: string, timeoutMs: number): Promise<{ arrivals: Float64Array; received: number }>;
  /** Messages each socket received since the last reset (scale-out checks). */
  messages: string[][];
  close(): Promise<void>;
};

export async function openSubscribers(options: {
  url: string;
  count: number;
  /** graphql-ws: connection_init, wait for the ack, subscribe; raw: just connect. */
  protocol: "graphql-ws" | "raw";
  headers?: Record<string, string>;
  connectionParams?: Record<string, unknown>;
  query: string;
  variables?: Record<string, unknown>;
  concurrency?: number;
  keepMessages?: boolean;
}): Promise<Subscribers> {
  const sockets: WebSocket[] = [];
  const messages: string[][] = Array.from({ length: options.count }, () => []);
  let current: { marker: string; arrivals: Float64Array; received: number; done: () => void } | null = null;
  const wsUrl = options.url.replace(/^http/, "ws") + "/graphql";

  function open(i: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, "graphql-transport-ws", { headers: options.headers, perMessageDeflate: false });
      sockets[i] = ws;
      const timer = setTimeout(() => reject(new Error(`socket ${i} was not ready within 60 s`)), 60_000);
      ws.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      ws.on("close", (code) => {
        clearTimeout(timer);
        reject(new Error(`socket ${i} closed with ${code}`));
      });
      ws.on("message", (data) => {
        const text = data.toString();
        const c = current;
        if (c && c.arrivals[i] === 0 && text.includes(c.marker)) {
          c.arrivals[i] = nowMs();
          if (++c.received === options.count) c.done();
        }
        if (options.keepMessages) messages[i]!.push(text);
        if (options.protocol === "graphql-ws" && text.startsWith('{"type":"connection_ack"')) {
          ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: options.query, variables: options.variables ?? {} } }));
          clearTimeout(timer);
          resolve();
        }
      });
      ws.on("open", () => {
        if (options.protocol === "graphql-ws") ws.send(JSON.stringify({ type: "connection_init", payload: options.connectionParams ?? {} }));
        else {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency ?? 50 }, async () => {
      while (next < options.count) await open(next++);
    }),
  );
  // Errors after setup (a close at the end) must not reject anything any more.
  for (const ws of sockets) {
    ws.removeAllListeners("close");
    ws.removeAllListeners("error");
    ws.on("error", () => {});
  }

  return {
    count: options.count,
    messages,
    expect(marker, timeoutMs) {
      return new Promise((resolve) => {
        const arrivals = new Float64Array(options.count);
        let timer: NodeJS.Timeout;
        const c = {
          marker,
          arrivals,
          received: 0,
          done: () => {
            clearTimeout(timer);
            current = null;
            resolve({ arrivals, received: c.received });
          },
        };
        timer = setTimeout(c.done, timeoutMs);
        current = c;
      });
    },
    async close() {
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === WebSocket.CLOSED) return resolve();
              ws.once("close", () => resolve());
              ws.terminate();
            }),
        ),
      );
    },
  };
}
