// Baseline of benchmark 3: a raw `ws` server that broadcasts one pre-serialised message to
// every open socket. No protocol, no authentication, no GraphQL execution.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";
import { markCpu, serveIpc } from "../lib/child.ts";

const port = Number(process.env.PORT);
const server = createServer((_req, res) => void res.writeHead(404).end());
const wss = new WebSocketServer({ server, path: "/graphql" });
wss.on("connection", (ws) => ws.on("message", () => {}));
await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));

serveIpc(
  {
    heap: () => {
      (globalThis as { gc?: () => void }).gc?.();
      (globalThis as { gc?: () => void }).gc?.();
      return process.memoryUsage().heapUsed;
    },
    clients: () => wss.clients.size,
    // cpuSince (lib/child.ts) counts from here too.
    broadcast: ({ message }: { message: string }) => {
      markCpu();
      const t0 = performance.timeOrigin + performance.now();
      for (const ws of wss.clients) ws.send(message);
      return { t0 };
    },
  },
  async () => {
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  },
);
process.send!({ ready: { port } });
