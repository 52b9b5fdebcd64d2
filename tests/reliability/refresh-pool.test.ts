import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";
import { getAccessToken } from "@switchboard/api/domain/integrations/refresh";

// Found by the refresh-stampede benchmark: advisory locks held on connections of the same pool
// that the refreshes inside them needed deadlocked a process once as many connections refreshed
// at once as the pool had connections. Locks now live on a pool of their own.

const enabled = await requirePostgres();

describe.skipIf(!enabled)("many refreshes at once with a small pool", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres", env: { DATABASE_POOL_SIZE: "4" } });
  });
  afterAll(() => t?.close());

  it("refreshes 24 expired connections concurrently, once each, without a deadlock", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const user = await t.signUp();
      ids.push(await connectSandbox(t, user, "google"));
    }
    await t.app.db.prisma.integration.updateMany({ where: { id: { in: ids } }, data: { tokenExpiresAt: new Date(Date.now() - 1000) } });
    const provider = t.app.services.catalog.find((p) => p.id === "google")!;
    const before = t.app.sandbox!.stats("google").tokenRequests.refresh_token;
    // Two requests per connection, all at once.
    const results = await Promise.all([...ids, ...ids].map((integrationId) => getAccessToken({ services: t.app.services, provider, integrationId })));
    expect(results.filter((r) => r.refreshed)).toHaveLength(24);
    expect(t.app.sandbox!.stats("google").tokenRequests.refresh_token - before).toBe(24);
  }, 90_000);
});
