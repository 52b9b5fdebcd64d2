import { chmodSync, lstatSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { resolve } from "node:path";
import { ADMIN_COMMANDS, runAdmin, type AdminIO, type AdminServices } from "./cli/commands.ts";
import { DATA_FILES, PRIVATE_FILE_MODE } from "./data-dir.ts";
import type { Logger } from "./logger.ts";

// `pnpm admin` while the embedded server runs. PGlite lives inside the server's process and
// serves one process only (DATA_DIR/pglite.lock), so the CLI cannot open it then; instead the
// server listens on a Unix domain socket in DATA_DIR and runs the CLI's command itself, with
// the same code (cli/commands.ts) on its own database, sending back the output and exit code.
//
// Why not @electric-sql/pglite-socket (the Postgres wire protocol over a socket)? A PGlite
// instance is one connection: that package hands it to one client at a time and the server's
// own Prisma queries would interleave with the CLI's session (its transactions, migrations
// and advisory-lock calls) on that same single connection. It would also expose raw SQL,
// where this channel accepts only the admin commands.
//
// Who can reach it: the socket file sits in DATA_DIR (0700) and is made 0600, so only the OS
// user running the server (and root) can connect. Linux and macOS only: Windows is not
// supported in embedded mode here. With DATABASE_URL the server opens no socket and the CLI
// talks to Postgres directly.
//
// Protocol: the CLI sends one JSON line {command, args}; the server answers JSON lines
// {out: text} / {err: text} as the command writes them, then {exit: code}, and closes.
// The server logs the command's name and exit code only: never its arguments or output
// (a password, a new API key).

export const ADMIN_SOCKET_FILE = "admin.sock";
/** sun_path is 108 bytes on Linux and 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH = process.platform === "darwin" ? 103 : 107;
const MAX_REQUEST_BYTES = 64 * 1024;

export const adminSocketPath = (dataDir: string) => resolve(dataDir, ADMIN_SOCKET_FILE);

type Request = { command: string; args: string[] };
type Reply = { out: string } | { err: string } | { exit: number };

export type AdminSocket = { path: string; close(): Promise<void> };

/**
 * Opens DATA_DIR/admin.sock for `pnpm admin` (embedded mode, once the database is open and
 * locked by this process). A file left there by a crashed server is removed first: holding
 * the database lock means no live server owns it. Answers null when the path is too long for
 * a Unix socket (the CLI then says the database is in use).
 */
export async function openAdminSocket({ dataDir, services, logger }: { dataDir: string; services: AdminServices; logger: Logger }): Promise<AdminSocket | null> {
  const path = adminSocketPath(dataDir);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    logger.warn({ path }, "DATA_DIR's path is too long for the admin socket: `pnpm admin` needs the server stopped (or a shorter DATA_DIR)");
    return null;
  }
  try {
    if (lstatSync(path, { throwIfNoEntry: false })?.isSocket()) rmSync(path, { force: true });
  } catch {}
  const running = new Set<Promise<void>>();
  const connections = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    socket.on("error", () => {});
    const task = serve(socket, services, logger);
    running.add(task);
    void task.finally(() => running.delete(task));
  });
  try {
    await new Promise<void>((done, fail) => {
      server.once("error", fail);
      server.listen(path, () => {
        server.off("error", fail);
        done();
      });
    });
  } catch (error) {
    logger.warn({ err: error, path }, "could not open the admin socket: `pnpm admin` needs the server stopped");
    return null;
  }
  // The directory (0700) already keeps others out; the socket itself is the owner's only too.
  chmodSync(path, PRIVATE_FILE_MODE);
  server.on("error", (error) => logger.error({ err: error }, "admin socket error"));
  return {
    path,
    async close() {
      await new Promise<void>((done) => server.close(() => done()));
      // Commands under way finish (the database closes after this); then the idle ones go.
      await Promise.allSettled([...running]);
      for (const socket of connections) socket.destroy();
      rmSync(path, { force: true });
    },
  };
}

async function serve(socket: Socket, services: AdminServices, logger: Logger): Promise<void> {
  const request = await readRequest(socket);
  const send = (reply: Reply) => {
    if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(reply)}\n`);
  };
  if (!request) {
    send({ err: "error: the admin socket expects one JSON line {command, args}" });
    send({ exit: 64 });
    socket.end();
    return;
  }
  // The name only, and only a known one (a mistyped argument could be a password).
  const command = ADMIN_COMMANDS.includes(request.command) ? request.command : "(unknown)";
  logger.info({ command }, "admin command from the local socket");
  const io: AdminIO = { out: (text) => send({ out: text }), err: (text) => send({ err: text }) };
  const exit = await runAdmin([request.command, ...request.args], { io, withServices: (fn) => fn(services) });
  logger.info({ command, exitCode: exit }, "admin command finished");
  send({ exit });
  socket.end();
}

function readRequest(socket: Socket): Promise<Request | null> {
  return new Promise((done) => {
    let buffer = "";
    const finish = (value: Request | null) => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      done(value);
    };
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const newline = buffer.indexOf("\n");
      if (newline < 0) {
        if (buffer.length > MAX_REQUEST_BYTES) finish(null);
        return;
      }
      try {
        const parsed = JSON.parse(buffer.slice(0, newline)) as Partial<Request>;
        const valid = typeof parsed.command === "string" && Array.isArray(parsed.args) && parsed.args.every((a) => typeof a === "string");
        finish(valid ? { command: parsed.command!, args: parsed.args! } : null);
      } catch {
        finish(null);
      }
    };
    const onEnd = () => finish(null);
    socket.on("data", onData);
    socket.on("end", onEnd);
  });
}

/**
 * The CLI's side: sends the command to a live server on DATA_DIR/admin.sock, writing its
 * answer to `io` as it comes. Answers the exit code, or null when no server answers there (no
 * socket, or a stale one from a crashed server): the CLI then opens the database itself.
 */
export function sendAdminCommand(dataDir: string, argv: string[], io: AdminIO): Promise<number | null> {
  const path = adminSocketPath(dataDir);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) return Promise.resolve(null);
  return new Promise((done) => {
    let connected = false;
    let exit: number | null = null;
    let buffer = "";
    const socket = createConnection(path);
    socket.on("connect", () => {
      connected = true;
      const [command = "", ...args] = argv;
      socket.write(`${JSON.stringify({ command, args })}\n`);
    });
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        let reply: Reply;
        try {
          reply = JSON.parse(line) as Reply;
        } catch {
          continue;
        }
        if ("out" in reply) io.out(reply.out);
        else if ("err" in reply) io.err(reply.err);
        else if ("exit" in reply) exit = reply.exit;
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (!connected) return done(null);
      if (exit === null) {
        io.err("error: the server closed the admin socket before the command finished (see its logs); it may or may not have run");
        return done(1);
      }
      done(exit);
    });
  });
}

/** The pid holding the embedded database, when that process is alive and not this one. */
export function livePglitePid(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(resolve(dataDir, DATA_FILES.lock), "utf8").trim());
  } catch {
    return null;
  }
  if (!pid || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM" ? pid : null;
  }
}
