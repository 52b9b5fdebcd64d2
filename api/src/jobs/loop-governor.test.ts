import { describe, expect, it } from "vitest";
import { createLoopGovernor } from "./loop-governor.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe("the sweep's loop governor", () => {
  it("halves the allowance while the event loop is late, and gives it back once it is on time", async () => {
    const governor = createLoopGovernor({ max: 16, targetMs: 40, windowMs: 100 });
    governor.start();
    try {
      expect(governor.allowed).toBe(16);
      // Hold the loop for 100 ms at a time for a while: every window sees a late loop.
      for (let i = 0; i < 10; i++) {
        block(100);
        await sleep(5);
      }
      await sleep(120);
      const throttled = governor.allowed;
      expect(throttled).toBeLessThan(16);
      expect(throttled).toBeGreaterThanOrEqual(1);
      // An idle loop: the allowance climbs back, one step per window.
      await sleep(100 * 20);
      expect(governor.allowed).toBeGreaterThan(throttled);
    } finally {
      governor.stop();
    }
  });

  it("is off at a target of 0: always the full concurrency", async () => {
    const governor = createLoopGovernor({ max: 16, targetMs: 0, windowMs: 50 });
    governor.start();
    block(120);
    await sleep(120);
    expect(governor.allowed).toBe(16);
    governor.stop();
  });
});
