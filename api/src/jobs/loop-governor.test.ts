import { describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import { createLoopDelayShare, createLoopGovernor, noteRequest, readLoopDelay } from "./loop-governor.ts";

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
      // Hold the loop for 100 ms at a time for a while, with requests coming in: every window
      // sees a late loop that someone is waiting on.
      for (let i = 0; i < 10; i++) {
        noteRequest();
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

  it("does not slow the checks for a late loop nobody is asking anything of", async () => {
    const governor = createLoopGovernor({ max: 16, targetMs: 40, windowMs: 100 });
    governor.start();
    try {
      for (let i = 0; i < 10; i++) {
        block(100);
        await sleep(5);
      }
      await sleep(120);
      expect(governor.allowed).toBe(16);
      // The same late loop with a request in it: now it backs off.
      for (let i = 0; i < 4; i++) {
        noteRequest();
        block(100);
        await sleep(5);
      }
      await sleep(120);
      expect(governor.allowed).toBeLessThan(16);
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

  it("can watch another thread's loop: the serving thread shares its delay, a worker thread reads it", async () => {
    const share = createLoopDelayShare(100);
    share.start();
    // The reader as the check worker has it: another thread, reading the same memory.
    const reader = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
       const view = new Int32Array(workerData);
       parentPort.on("message", () => parentPort.postMessage(Atomics.load(view, 0) / 1000));`,
      { eval: true, workerData: share.buffer },
    );
    const ask = () => new Promise<number>((resolve) => (reader.once("message", resolve), reader.postMessage("read")));
    const governor = createLoopGovernor({ max: 16, targetMs: 40, windowMs: 100, delayMs: readLoopDelay(share.buffer) });
    governor.start();
    try {
      let seen = 0;
      for (let i = 0; i < 6; i++) {
        noteRequest();
        block(100);
        await sleep(5);
        seen = Math.max(seen, await ask());
      }
      // What the worker reads is this loop's lateness, and a governor reading it backs off.
      expect(seen).toBeGreaterThan(40);
      expect(governor.allowed).toBeLessThan(16);
      share.stop();
      expect(await ask()).toBe(0);
    } finally {
      governor.stop();
      share.stop();
      await reader.terminate();
    }
  });
});
