import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { ensurePrivateDir, ensurePrivateFile, writePrivateFileAtomicAsync, type ModeWarning } from "../data-dir.ts";
import type { Logger } from "../logger.ts";
import { SANDBOX_PROVIDERS } from "./catalog.ts";
import { faultSchema, providerOptionsSchema } from "./control.ts";
import type { Grant, IssuedToken, StoreSnapshot } from "./store.ts";

// The emulators' state in one file (DATA_DIR/sandbox-state.json), so restarting the app is not
// a provider that forgot every grant: without it each restart turned every sandbox connection
// red. It holds the emulators' own fake tokens, still written 0600 in the 0700 DATA_DIR like
// every file there. Writes are whole-file and atomic (temporary file + rename), coalesced: the
// first change schedules a save a moment later, so a burst of token requests costs one write,
// and a state that is slow to save is saved less often (at most a tenth of the time goes to it).
// Pending consent pages and the request counters are not kept.

const SAVE_DELAY_MS = 500;

const grantSchema = z.object({
  id: z.string(),
  provider: z.enum(SANDBOX_PROVIDERS),
  clientId: z.string(),
  redirectUri: z.string(),
  redirectUriSent: z.boolean(),
  scopes: z.array(z.string()),
  userScopes: z.array(z.string()),
  wantsBotToken: z.boolean(),
  wantsUserToken: z.boolean(),
  offline: z.boolean(),
  promptConsent: z.boolean(),
  codeChallenge: z.object({ value: z.string(), method: z.enum(["S256", "plain"]) }).optional(),
  nonce: z.string().optional(),
  host: z.string(),
  account: z.string().optional(),
  code: z.string(),
  codeExpiresAt: z.number(),
  codeUsedAt: z.number().optional(),
  createdAt: z.number(),
  revokedAt: z.number().optional(),
}) satisfies z.ZodType<Grant>;

const tokenSchema = z.object({
  value: z.string(),
  grantId: z.string(),
  provider: z.enum(SANDBOX_PROVIDERS),
  kind: z.enum(["access", "refresh"]),
  audience: z.enum(["bot", "user"]),
  issuedAt: z.number(),
  expiresAt: z.number().optional(),
  revokedAt: z.number().optional(),
  rotatedAt: z.number().optional(),
}) satisfies z.ZodType<IssuedToken>;

const savedProviderSchema = z.object({
  fault: faultSchema,
  revokedAt: z.number().optional(),
  options: providerOptionsSchema,
  /** What the provider's module remembers beyond grants (Google's earlier consents, Salesforce approvals). */
  memory: z.unknown().optional(),
});

const savedStateSchema = z.object({
  version: z.literal(1),
  providers: z.partialRecord(z.enum(SANDBOX_PROVIDERS), savedProviderSchema),
  store: z.object({ grants: z.array(grantSchema), tokens: z.array(tokenSchema) }) satisfies z.ZodType<StoreSnapshot>,
});

export type SavedState = z.infer<typeof savedStateSchema>;
export type SavedProvider = z.infer<typeof savedProviderSchema>;

const modeWarning =
  (logger: Logger | undefined): ModeWarning =>
  (details, message) =>
    logger?.warn(details, message);

/**
 * The state an earlier process saved, or undefined (no file yet). A file that cannot be read is
 * reported and ignored: the sandbox starts empty, as it would have before it kept state, and
 * the next save replaces the file.
 */
export function readSavedState(file: string, logger?: Logger): { state: SavedState; text: string } | undefined {
  if (!existsSync(file)) return undefined;
  ensurePrivateFile(file, modeWarning(logger));
  let text: string;
  let value: unknown;
  try {
    text = readFileSync(file, "utf8");
    value = JSON.parse(text);
  } catch (error) {
    logger?.warn({ file, err: error }, "ignored the sandbox state file: it is not readable JSON; the sandbox starts empty");
    return undefined;
  }
  const parsed = savedStateSchema.safeParse(value);
  if (!parsed.success) {
    logger?.warn({ file, problem: z.prettifyError(parsed.error).slice(0, 500) }, "ignored the sandbox state file: not a state this version can read; the sandbox starts empty");
    return undefined;
  }
  return { state: parsed.data, text };
}

export type StateWriter = {
  /** Something may have changed: save soon (coalesced with other changes). */
  changed(): void;
  /** Saves now if anything changed, and stops saving. */
  close(): Promise<void>;
};

export function createStateWriter(input: { file: string; snapshot: () => SavedState; logger?: Logger; loadedText?: string }): StateWriter {
  const { file, snapshot, logger } = input;
  let timer: NodeJS.Timeout | undefined;
  let written = input.loadedText;
  let delay = SAVE_DELAY_MS;
  let closed = false;
  let dirReady = false;
  let failing = false;
  let chain: Promise<void> = Promise.resolve();

  function save(): Promise<void> {
    chain = chain.then(async () => {
      const started = performance.now();
      const text = JSON.stringify(snapshot());
      if (text === written) return;
      try {
        if (!dirReady) ensurePrivateDir(dirname(file), modeWarning(logger));
        dirReady = true;
        await writePrivateFileAtomicAsync(file, text);
        written = text;
        if (failing) logger?.info({ file }, "saved the sandbox state again");
        failing = false;
      } catch (error) {
        // Reported once per outage, not once per save.
        if (!failing) logger?.warn({ file, err: error }, "could not save the sandbox state; a restart would forget the latest grants and settings");
        failing = true;
      }
      delay = Math.max(SAVE_DELAY_MS, (performance.now() - started) * 10);
    });
    return chain;
  }

  return {
    changed() {
      if (closed || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void save();
      }, delay);
      // A pending save never keeps a process alive; close() (app.close) saves what is left.
      timer.unref();
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      await save();
    },
  };
}
