import type { AsyncLocalStorage } from "node:async_hooks";
import { getCurrentAuthContextAsyncLocalStorage, getCurrentDBAdapterAsyncLocalStorage, getRequestStateAsyncLocalStorage } from "@better-auth/core/context";

// On Node 20 an AsyncLocalStorage turns on async_hooks' promise hooks the first time it runs,
// and nothing turns them off again: from then on every promise the process makes calls into
// JavaScript when it is created and each time it resumes. better-auth keeps three of them (its
// endpoint context, its request state, its adapter and transaction) and runs them on every auth
// request, so after the first sign-in the whole process paid for them, every GraphQL read
// included, though nothing outside better-auth's own calls reads them: about 1 µs more per
// `await` on the benchmark machine, and 7–8% of the CPU of benchmark 1's dashboard read
// (docs/performance.md §1).
//
// better-auth needs its context only inside those calls: each one runs in `storage.run(store, fn)`
// and awaits what it starts (its only fire-and-forget work is the phone-number plugin's OTP,
// which is not used here). So each run is counted, and once none has been running for `idleMs`
// the storages are disabled, which turns the hooks off (when no other storage is on); the next
// run enables them again. Disabled, `getStore()` answers undefined, as it does outside a run.

export type ScopedStorage = {
  /** Runs not yet ended. */
  active(): number;
  /** Whether any of the storages is on (and with it the promise hooks). */
  enabled(): boolean;
};

/** Counts the runs of the storages and disables them all `idleMs` after the last one ended. */
export function scopeAsyncStorage(storages: AsyncLocalStorage<unknown>[], idleMs: number): ScopedStorage {
  let active = 0;
  // A store entered for good (enterWith) must stay readable: then they are never disabled.
  let pinned = false;
  let timer: NodeJS.Timeout | null = null;
  const disableAll = () => {
    timer = null;
    if (active === 0 && !pinned) for (const s of storages) s.disable();
  };
  const settle = () => {
    active--;
    if (active === 0) {
      if (timer) clearTimeout(timer);
      timer = setTimeout(disableAll, idleMs);
      timer.unref();
    }
  };
  for (const storage of storages) {
    const run = storage.run.bind(storage);
    const enterWith = storage.enterWith.bind(storage);
    const scoped = ((store: unknown, callback: (...args: unknown[]) => unknown, ...args: unknown[]) => {
      active++;
      let result: unknown;
      try {
        result = run(store, callback, ...args);
      } catch (error) {
        settle();
        throw error;
      }
      // `then(settle, settle)`, not `finally`: a rejection stays the caller's to handle.
      if (result && typeof (result as PromiseLike<unknown>).then === "function") (result as PromiseLike<unknown>).then(settle, settle);
      else settle();
      return result;
    }) as AsyncLocalStorage<unknown>["run"];
    storage.run = scoped;
    storage.enterWith = (store: unknown) => {
      pinned = true;
      enterWith(store);
    };
  }
  return { active: () => active, enabled: () => storages.some((s) => (s as unknown as { enabled: boolean }).enabled) };
}

let betterAuth: Promise<ScopedStorage> | null = null;

/**
 * better-auth's three storages, scoped as above (created now if better-auth has not yet). They
 * are process-wide (better-auth keeps them on globalThis), so this is done once per process.
 */
export function scopeBetterAuthStorage(idleMs = 1000): Promise<ScopedStorage> {
  betterAuth ??= Promise.all([getCurrentAuthContextAsyncLocalStorage(), getRequestStateAsyncLocalStorage(), getCurrentDBAdapterAsyncLocalStorage()]).then((storages) =>
    scopeAsyncStorage(storages as AsyncLocalStorage<unknown>[], idleMs),
  );
  return betterAuth;
}
