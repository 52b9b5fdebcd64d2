import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import * as common from "@zxcvbn-ts/language-common";

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;
/** zxcvbn's 0–4 scale; 3 is "safely unguessable: moderate protection from offline attacks". */
export const MIN_PASSWORD_SCORE = 3;

// zxcvbn-ts with its common-password and keyboard dictionaries, all in the package (nothing is
// fetched at run time). Built on first use: loading the dictionaries takes a few milliseconds.
let factory: ZxcvbnFactory | undefined;
function strength(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  return factory;
}

// language-common carries no English texts; these say what zxcvbn's warning keys mean.
const WARNINGS: Record<string, string> = {
  straightRow: "it is a straight row of keys",
  keyPattern: "it is a keyboard pattern",
  simpleRepeat: "it repeats characters",
  extendedRepeat: "it repeats a pattern",
  sequences: "it is a sequence like abc or 1234",
  recentYears: "it contains a recent year",
  dates: "it contains a date",
  topTen: "it is one of the most used passwords",
  topHundred: "it is a very common password",
  common: "it is a commonly used password",
  similarToCommon: "it is too close to a commonly used password",
  wordByItself: "it is a single word",
  namesByThemselves: "it is made of names",
  commonNames: "it is made of common names",
  userInputs: "it contains your name or email",
  pwned: "it appeared in a data breach",
};

export type PasswordVerdict = { ok: true } | { ok: false; code: "PASSWORD_TOO_SHORT" | "PASSWORD_TOO_LONG" | "PASSWORD_TOO_WEAK"; message: string };

/**
 * The rule for every new password (sign-up, the admin CLI): at least 12 characters and a
 * zxcvbn score of 3 or more, with the person's name and email counted as guessable.
 */
export function checkPassword(password: string, userInputs: string[] = []): PasswordVerdict {
  if (password.length < MIN_PASSWORD_LENGTH) return { ok: false, code: "PASSWORD_TOO_SHORT", message: `Use a password of at least ${MIN_PASSWORD_LENGTH} characters.` };
  if (password.length > MAX_PASSWORD_LENGTH) return { ok: false, code: "PASSWORD_TOO_LONG", message: `Use a password of at most ${MAX_PASSWORD_LENGTH} characters.` };
  // zxcvbn's cost grows with length; past 100 characters the first 100 decide.
  const inputs = userInputs.flatMap((input) => [input, ...input.split(/[^\p{L}\p{N}]+/u)]).filter((input) => input.length >= 3);
  const result = strength().check(password.slice(0, 100), inputs);
  if (result.score >= MIN_PASSWORD_SCORE) return { ok: true };
  const why = result.feedback.warning ? WARNINGS[result.feedback.warning] : undefined;
  return {
    ok: false,
    code: "PASSWORD_TOO_WEAK",
    message: `This password is too easy to guess${why ? ` (${why})` : ""}. Use a few unrelated words, or a longer password.`,
  };
}
