// The sandbox emulators (api/src/sandbox) on a port of their own, as "the providers" of the
// sweep, stampede and scale-out benchmarks. Its in-memory token store lives here for the whole
// run; faults, options and counters are driven over IPC. With STATE_FILE it starts from that
// state (grants and tokens written in bulk by lib/seed.ts writeBulkSlackState) and then stops
// saving: a snapshot of 100,000 tokens after every change would be a benchmark of its own.
import { createServer } from "node:http";
import { createSandbox } from "../../../api/src/sandbox/index.ts";
import { serveIpc } from "../lib/child.ts";

const port = Number(process.env.PORT);
const publicUrl = `http://127.0.0.1:${port}`;
const stateFile = process.env.STATE_FILE;
const sandbox = createSandbox({ publicUrl, ...(stateFile ? { stateFile } : {}) });
if (stateFile) await sandbox.close();
const server = createServer((req, res) => {
  void sandbox.handle(req, res).then((handled) => {
    if (!handled) {
      res.writeHead(404);
      res.end();
    }
  });
});
// Thousands of keep-alive sockets from several replicas; no idle cut-off during a run.
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));

serveIpc(
  {
    setFault: ({ provider, fault }) => sandbox.setFault(provider, fault),
    setOptions: ({ provider, options }) => sandbox.setOptions(provider, options),
    stats: () => ({ slack: sandbox.stats("slack"), hubspot: sandbox.stats("hubspot"), google: sandbox.stats("google"), salesforce: sandbox.stats("salesforce") }),
  },
  async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  },
);
process.send!({ ready: { port, publicUrl } });
