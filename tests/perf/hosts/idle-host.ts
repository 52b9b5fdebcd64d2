// Baseline of benchmark 6: a Node process that does nothing but measure its own event-loop
// delay. Run beside the app under the same machine load, it shows how much of the app's delay
// is the machine (2 shared cores: a process that gets no CPU for a while sees that as delay).
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { serveIpc } from "../lib/child.ts";

let eld: IntervalHistogram | null = null;
serveIpc(
  {
    eldStart: ({ resolution = 1 }: { resolution?: number } = {}) => {
      eld?.disable();
      eld = monitorEventLoopDelay({ resolution });
      eld.enable();
      return true;
    },
    eldStop: () => {
      if (!eld) throw new Error("eldStart first");
      eld.disable();
      const h = eld;
      eld = null;
      return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
    },
  },
  async () => {},
);
process.send!({ ready: {} });
