// The load generator (lib/load.ts load()) in a process of its own: nothing in its heap but the
// calls in flight, so it never pauses for a collection of the runner's seeded data. Each load
// reports this process's own event-loop delay over it: a stalled client is visible, not
// charged silently to the server it measured.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { serveIpc } from "../lib/child.ts";
import { loadHere, type LoadOptions } from "../lib/load.ts";

serveIpc(
  {
    load: async (options: LoadOptions) => {
      const eld = monitorEventLoopDelay({ resolution: 1 });
      eld.enable();
      try {
        return { ...(await loadHere(options)), client: { loopP99: eld.percentile(99) / 1e6, loopMax: eld.max / 1e6 } };
      } finally {
        eld.disable();
      }
    },
  },
  async () => {},
);
process.send!({ ready: {} });
