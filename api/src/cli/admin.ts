import { runAdmin, withLocalServices, ADMIN_COMMANDS, type AdminIO } from "./commands.ts";

// `pnpm admin <command>`: operator tasks against the same database and settings as the server
// (the commands are in commands.ts). On the embedded database (no DATABASE_URL) while the
// server runs, PGlite is the server's alone, so the command goes to the server over
// DATA_DIR/admin.sock and runs there (../admin-socket.ts); with no live server answering
// (stopped, or a stale socket from a crash) the CLI opens the database itself. With
// DATABASE_URL the CLI always talks to Postgres directly.

const io: AdminIO = { out: (text) => console.log(text), err: (text) => console.error(text) };

/** A server that holds the database lock but has not opened its socket yet is given this long. */
const STARTING_SERVER_WAIT_MS = 10_000;

async function throughServer(argv: string[]): Promise<number | null> {
  if (!ADMIN_COMMANDS.includes(argv[0] ?? "")) return null; // usage and help need no database
  let dataDir: string;
  try {
    const { parseEnv } = await import("../env.ts");
    const env = parseEnv();
    if (!env.embedded || env.DATA_DIR.startsWith("memory://")) return null;
    dataDir = env.DATA_DIR;
  } catch {
    return null; // the local run reports the setting's error
  }
  const { livePglitePid, sendAdminCommand } = await import("../admin-socket.ts");
  const deadline = Date.now() + STARTING_SERVER_WAIT_MS;
  for (;;) {
    const exit = await sendAdminCommand(dataDir, argv, io);
    if (exit !== null) return exit;
    // Nobody answers: run here, unless a live process holds the database (a server starting).
    if (livePglitePid(dataDir) === null || Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const argv = process.argv.slice(2);
process.exitCode = (await throughServer(argv)) ?? (await runAdmin(argv, { io, withServices: withLocalServices }));
