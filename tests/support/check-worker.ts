// A second process checking one connection, as another replica would: its own database pool,
// catalog and refresh lock, on the same Postgres. Runs CHECKS concurrent checks once it reads
// "go" on stdin, prints each result as a JSON line, then exits.
import { createInterface } from "node:readline";
import { createDatabase } from "@switchboard/api/db";
import { parseEnv } from "@switchboard/api/env";
import { createLogger } from "@switchboard/api/logger";
import { loadCatalog } from "@switchboard/api/providers/catalog";
import { createVault } from "@switchboard/api/domain/vault";
import { createRealtime } from "@switchboard/api/realtime";
import { parseEncryptionKeys } from "@switchboard/api/secrets";
import { checkIntegration } from "@switchboard/api/domain/health/check-integration";

const env = parseEnv(process.env);
const db = await createDatabase({ url: env.DATABASE_URL, dataDir: "unused" });
const catalog = loadCatalog(env);
const services = { env, db, prisma: db.prisma, vault: createVault(parseEncryptionKeys(env.ENCRYPTION_KEYS!)), realtime: createRealtime(), logger: createLogger({ level: "warn" }), allowHttp: true };
const provider = catalog.find((p) => p.id === process.env.PROVIDER_ID)!;
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== "go") continue;
  const results = await Promise.all(
    Array.from({ length: Number(process.env.CHECKS ?? 1) }, () => checkIntegration({ services, provider, integrationId: process.env.INTEGRATION_ID!, trigger: "MANUAL" })),
  );
  for (const r of results) process.stdout.write(`${JSON.stringify({ status: r.status, errorCode: r.errorCode })}\n`);
  break;
}
await db.close();
