import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseEnv, EnvError } from "./env.ts";
import { createLogger } from "./logger.ts";
import { buildApp, type WebHandler } from "./app.ts";
import { openAdminSocket } from "./admin-socket.ts";

// Process entry: settings → buildApp() → listen. Exits non-zero with a clear message when a
// setting is wrong, without printing any secret.

const WEB_BUILD = process.env.SWITCHBOARD_WEB_BUILD ?? fileURLToPath(new URL("../../web/build/handler.js", import.meta.url));

async function loadWeb(env: { PUBLIC_URL: string; PORT: number }, logger: ReturnType<typeof createLogger>): Promise<WebHandler | undefined> {
  if (!existsSync(WEB_BUILD)) {
    logger.warn({ path: WEB_BUILD }, "web build not found: only the API is served (run the README's run command to build it)");
    return undefined;
  }
  // adapter-node reads these when its handler is imported (form actions' origin check,
  // body limit), and the server hooks reach the GraphQL API over loopback.
  process.env.ORIGIN = env.PUBLIC_URL;
  process.env.SWITCHBOARD_API_URL = `http://127.0.0.1:${env.PORT}`;
  const mod = (await import(pathToFileURL(WEB_BUILD).href)) as { handler: WebHandler };
  return mod.handler;
}

async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv();
  } catch (error) {
    if (error instanceof EnvError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger({ level: env.LOG_LEVEL });
  const web = await loadWeb(env, logger);
  const app = await buildApp({ env, logger, web });
  const url = await app.listen();
  // `pnpm admin` while this server runs on the embedded database (see admin-socket.ts).
  const adminSocket =
    env.embedded && !env.DATA_DIR.startsWith("memory://")
      ? await openAdminSocket({
          dataDir: env.DATA_DIR,
          logger,
          services: { db: app.db, auth: app.auth, vault: app.vault, env, logger, realtime: app.realtime, catalog: app.services.catalog },
        })
      : null;
  logger.info({ url, publicUrl: env.PUBLIC_URL, database: app.db.kind, sandbox: env.sandboxEnabled, adminSocket: adminSocket?.path ?? null }, "listening");
  // The one line meant for a person, once, on a line of its own (bold in a terminal). pino's
  // buffered start-up lines are flushed first, so in a terminal or a pipe it comes after them.
  await new Promise<void>((done) => logger.flush(() => done()));
  const ready = `Switchboard ready at ${env.PUBLIC_URL}`;
  process.stdout.write(process.stdout.isTTY ? `\n  \x1b[1;32m${ready}\x1b[0m\n\n` : `${ready}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    await adminSocket?.close().catch((error) => logger.error({ err: error }, "error while closing the admin socket"));
    await app.close().catch((error) => logger.error({ err: error }, "error while shutting down"));
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error) => {
  // Known start-up failures carry a message meant for the operator.
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
