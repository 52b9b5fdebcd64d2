// A replica that refreshes one connection and is killed (SIGKILL) by the test while the
// authorization server holds its answer. Prints "started" once its request is under way.
import { createDatabase } from "@switchboard/api/db";
import { parseEnv } from "@switchboard/api/env";
import { createLogger } from "@switchboard/api/logger";
import { loadCatalog } from "@switchboard/api/providers/catalog";
import { createVault } from "@switchboard/api/domain/vault";
import { createRealtime } from "@switchboard/api/realtime";
import { parseEncryptionKeys } from "@switchboard/api/secrets";
import { getAccessToken } from "@switchboard/api/domain/integrations/refresh";

const env = parseEnv(process.env);
const db = await createDatabase({ url: env.DATABASE_URL, dataDir: "unused" });
const catalog = loadCatalog(env);
const services = { env, db, prisma: db.prisma, vault: createVault(parseEncryptionKeys(env.ENCRYPTION_KEYS!)), realtime: createRealtime(), logger: createLogger({ level: "warn" }), allowHttp: true };
process.stdout.write("started\n");
const result = await getAccessToken({ services, provider: catalog.find((p) => p.id === "acme")!, integrationId: process.env.INTEGRATION_ID! });
process.stdout.write(`finished ${result.refreshed}\n`);
await db.close();
