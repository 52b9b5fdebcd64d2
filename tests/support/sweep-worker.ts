// One scheduler replica in its own process, for the exactly-once sweep test: it claims due
// connections from the shared Postgres with the real claiming code, "checks" each one by
// recording its id (with a little work time, so replicas overlap), and prints the ids.
import { createDatabase } from "@switchboard/api/db";
import { parseEnv } from "@switchboard/api/env";
import { createLogger } from "@switchboard/api/logger";
import { createHealthScheduler } from "@switchboard/api/jobs/health-scheduler";

const env = parseEnv({ ...process.env, HEALTH_CHECK_CONCURRENCY: "16", HEALTH_CHECK_INTERVAL_SECONDS: "300" });
const db = await createDatabase({ url: env.DATABASE_URL, dataDir: "unused", poolSize: 20 });
const checked: string[] = [];
const scheduler = createHealthScheduler({
  services: { env, db, prisma: db.prisma, catalog: [{ id: "slack" }, { id: "hubspot" }, { id: "google" }, { id: "salesforce" }] as never, logger: createLogger({ level: "warn" }) } as never,
  runCheck: async (claimed) => {
    checked.push(claimed.id);
    await new Promise((r) => setTimeout(r, 2));
    await db.prisma.integration.update({ where: { id: claimed.id }, data: { nextHealthCheckAt: new Date(Date.now() + 300_000), healthLeaseUntil: null } });
  },
});
// Wait for the go signal so both replicas start sweeping at the same moment.
const startAt = Number(process.env.START_AT ?? 0);
await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
const summary = await scheduler.sweep();
process.stdout.write(JSON.stringify({ checked, claimed: summary.claimed, errors: summary.errors }));
await db.close();
