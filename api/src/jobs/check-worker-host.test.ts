import { describe, expect, it } from "vitest";
import { checkWorkerMode } from "./check-worker-host.ts";

describe("checkWorkerMode", () => {
  const url = "postgres://u:p@127.0.0.1:5432/db";

  it("runs checks in a worker thread by default on Postgres", () => {
    expect(checkWorkerMode({ DATABASE_URL: url, HEALTH_CHECK_WORKER: undefined }, "postgres")).toBe("thread");
    expect(checkWorkerMode({ DATABASE_URL: url, HEALTH_CHECK_WORKER: "thread" }, "postgres")).toBe("thread");
  });

  it("keeps them on the serving thread when asked to (HEALTH_CHECK_WORKER=inline)", () => {
    expect(checkWorkerMode({ DATABASE_URL: url, HEALTH_CHECK_WORKER: "inline" }, "postgres")).toBe("inline");
  });

  it("always keeps them inline on the embedded database, which serves one thread", () => {
    expect(checkWorkerMode({ DATABASE_URL: undefined, HEALTH_CHECK_WORKER: undefined }, "pglite")).toBe("inline");
    expect(checkWorkerMode({ DATABASE_URL: undefined, HEALTH_CHECK_WORKER: "thread" }, "pglite")).toBe("inline");
    // An app handed an open database of another kind than DATABASE_URL names.
    expect(checkWorkerMode({ DATABASE_URL: url, HEALTH_CHECK_WORKER: undefined }, undefined)).toBe("inline");
  });
});
