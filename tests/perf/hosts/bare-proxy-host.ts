// A reference for benchmark 9 (the proxy): the least a proxy does, as a bare node:http server
// that relays `GET /proxy/{anything}/{path}` to TARGET/{path} with a fixed `Authorization:
// Bearer TOKEN`, on a kept-alive agent with the product proxy's options, piping the answer's
// status, headers and body back. No key, no statement, no vault, no limits, no passive health:
// what it adds over calling TARGET directly is the extra HTTP hop on this machine, which any
// proxy pays, so the product's own share of the added latency is what it adds beyond this.
import { Agent, createServer, request } from "node:http";
import { serveIpc } from "../lib/child.ts";

const port = Number(process.env.PORT);
const target = new URL(process.env.TARGET!);
const authorization = `Bearer ${process.env.TOKEN}`;
const agent = new Agent({ keepAlive: true, maxFreeSockets: 64, scheduling: "lifo", timeout: 4000 });
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"]);

const server = createServer((req, res) => {
  const rest = (req.url ?? "/").replace(/^\/proxy\/[^/]+\//, "");
  const upstream = request(
    { hostname: target.hostname, port: target.port, path: `${target.pathname.replace(/\/$/, "")}/${rest}`, method: req.method, headers: { authorization, accept: req.headers.accept ?? "*/*" }, agent },
    (answer) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP.has(name)) headers[name] = value;
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});
await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
serveIpc({}, async () => {
  server.closeAllConnections();
  agent.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
process.send!({ ready: { port } });
