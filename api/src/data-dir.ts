import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";

// DATA_DIR holds generated secrets, the embedded database, its lock and the sandbox's state:
// the directory is 0700 and every file this process writes there 0600, whatever the umask.
// A directory or file found more open than that is narrowed at start, with a warning, since
// it may have been readable by others for a while (rotate what it held if that matters).

/** The files Switchboard itself writes in DATA_DIR (PGlite's own files sit in DATA_DIR/pglite, behind the 0700 directory). */
export const DATA_FILES = {
  /** Generated ENCRYPTION_KEYS and AUTH_SECRET (embedded mode only). */
  secrets: "secrets.json",
  /** The pid of the process that has the embedded database open. */
  lock: "pglite.lock",
  /** The sandbox emulators' grants, tokens, faults and options. */
  sandboxState: "sandbox-state.json",
} as const;

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Called when a mode had to be narrowed (or could not be). */
export type ModeWarning = (details: { path: string; mode: string; fixed: boolean }, message: string) => void;

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/**
 * Removes group and other permissions from an existing path, keeping the owner's. Windows has
 * no such bits (chmod only toggles read-only there), so nothing is checked on it.
 */
function narrow(path: string, warn: ModeWarning | undefined, what: string): void {
  if (process.platform === "win32") return;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return;
  }
  if ((mode & 0o077) === 0) return;
  const wanted = mode & 0o700;
  try {
    chmodSync(path, wanted);
    warn?.({ path, mode: octal(mode), fixed: true }, `${what} was open to other users (mode ${octal(mode)}); changed it to ${octal(wanted)}`);
  } catch {
    // Not ours to change (a volume owned by someone else): say so, keep running.
    warn?.({ path, mode: octal(mode), fixed: false }, `${what} is open to other users (mode ${octal(mode)}) and its mode could not be changed; make it ${octal(wanted)}`);
  }
}

/** Creates `dir` 0700 when missing; narrows an existing one that is open to others. */
export function ensurePrivateDir(dir: string, warn?: ModeWarning): void {
  if (!existsSync(dir)) {
    // Parents are created as usual; only the directory itself is private.
    mkdirSync(dirname(dir), { recursive: true });
    try {
      mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  narrow(dir, warn, "The data directory");
}

/** Takes group and other permissions off an existing file (0600 for the files written here). */
export function ensurePrivateFile(file: string, warn?: ModeWarning): void {
  narrow(file, warn, "A file in the data directory");
}

/**
 * Writes `file` whole or not at all: a temporary file beside it (created 0600), flushed to disk,
 * then renamed over it. A crash mid-write leaves the previous version.
 */
export function writePrivateFileAtomic(file: string, content: string): void {
  const temporary = temporaryBeside(file);
  try {
    const fd = openSync(temporary, "wx", PRIVATE_FILE_MODE);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** writePrivateFileAtomic without blocking the event loop (state written while serving). */
export async function writePrivateFileAtomicAsync(file: string, content: string): Promise<void> {
  const temporary = temporaryBeside(file);
  try {
    const handle = await open(temporary, "wx", PRIVATE_FILE_MODE);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Unique per write, so two writers in one process never share a temporary file. */
const temporaryBeside = (file: string) => `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
