import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { scopeAsyncStorage } from "./async-context.ts";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("scopeAsyncStorage", () => {
  it("keeps the store through a run's awaits and disables the storages once none has run for idleMs", async () => {
    const a = new AsyncLocalStorage<string>();
    const b = new AsyncLocalStorage<string>();
    const scoped = scopeAsyncStorage([a, b] as AsyncLocalStorage<unknown>[], 30);
    const seen = await a.run("outer", async () => {
      await tick();
      const inner = await b.run("inner", async () => {
        await sleep(5);
        return [a.getStore(), b.getStore()];
      });
      await tick();
      return [...inner, a.getStore()];
    });
    expect(seen).toEqual(["outer", "inner", "outer"]);
    expect(scoped.active()).toBe(0);
    expect(scoped.enabled()).toBe(true);
    await sleep(60);
    expect(scoped.enabled()).toBe(false);
    expect(a.getStore()).toBeUndefined();
    // The next run turns them on again, with its own store.
    expect(await a.run("again", async () => (await tick(), a.getStore()))).toBe("again");
  });

  it("does not disable while a run is still going, and counts runs that throw or reject", async () => {
    const a = new AsyncLocalStorage<string>();
    const scoped = scopeAsyncStorage([a] as AsyncLocalStorage<unknown>[], 10);
    let release!: () => void;
    const long = a.run("long", async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return a.getStore();
    });
    await a.run("short", async () => tick());
    expect(() => a.run("sync", () => { throw new Error("boom"); })).toThrow("boom");
    await expect(a.run("rejects", async () => { throw new Error("no"); })).rejects.toThrow("no");
    await sleep(40);
    expect(scoped.active()).toBe(1);
    expect(scoped.enabled()).toBe(true);
    release();
    expect(await long).toBe("long");
    await sleep(40);
    expect(scoped.active()).toBe(0);
    expect(scoped.enabled()).toBe(false);
  });

  it("never disables a storage entered for good", async () => {
    const a = new AsyncLocalStorage<string>();
    const scoped = scopeAsyncStorage([a] as AsyncLocalStorage<unknown>[], 10);
    await a.run("x", async () => tick());
    a.enterWith("kept");
    await sleep(40);
    expect(scoped.enabled()).toBe(true);
    expect(a.getStore()).toBe("kept");
  });
});
