import { createHash } from "node:crypto";
import { Prisma, type PrismaClient } from "../generated/prisma/client.ts";

/**
 * How many attempts a subject gets before it must wait, and how long. After `threshold`
 * counted attempts the subject waits `baseSeconds`, doubling with each further one up to
 * `maxSeconds`; the count starts over after `windowSeconds` without a counted attempt.
 */
export type ThrottleRule = { threshold: number; baseSeconds: number; maxSeconds: number; windowSeconds: number };

export type ThrottleScope = "sign-in:account" | "sign-in:address" | "sign-up:address" | "api-key:address";

// The limits are deliberately not settings: they protect every deployment alike, and tests
// reach the same numbers as production. A sign-in counts until it succeeds (so parallel guesses
// cannot slip past the count); sign-ups count every attempt; API keys count invalid ones.
export const THROTTLE_RULES: Record<ThrottleScope, ThrottleRule> = {
  // Per account, whatever the address: 5 free guesses, then 10 s, 20 s, 40 s … up to 15 min.
  "sign-in:account": { threshold: 5, baseSeconds: 10, maxSeconds: 15 * 60, windowSeconds: 60 * 60 },
  // Per address: many people behind one NAT mistype too, so more room, then the same growth.
  "sign-in:address": { threshold: 20, baseSeconds: 10, maxSeconds: 15 * 60, windowSeconds: 60 * 60 },
  // Per address: creating accounts in bulk (a test suite creates a few dozen from one address).
  "sign-up:address": { threshold: 50, baseSeconds: 60, maxSeconds: 60 * 60, windowSeconds: 60 * 60 },
  // Per address: invalid Bearer keys on /graphql (HTTP and graphql-ws).
  "api-key:address": { threshold: 20, baseSeconds: 10, maxSeconds: 15 * 60, windowSeconds: 60 * 60 },
};

/** Refused: the subject must wait `retryAfter` seconds. */
export type Blocked = { scope: ThrottleScope; retryAfter: number };

export type Throttle = {
  /** Whether the subject must wait now (nothing is counted). */
  check(scope: ThrottleScope, subject: string): Promise<Blocked | null>;
  /**
   * Counts one attempt, atomically with the check: a subject that must wait is refused and not
   * counted; otherwise the attempt is counted (and may start a wait for the next one).
   */
  take(scope: ThrottleScope, subject: string): Promise<Blocked | null>;
  /** Gives a counted attempt back (it succeeded, or was not a guess): `clear` forgets the subject. */
  refund(scope: ThrottleScope, subject: string, options?: { clear?: boolean }): Promise<void>;
};

/** The row key of a scope and subject (a hash: addresses and e-mails are not stored). */
export function throttleKey(scope: ThrottleScope, subject: string): string {
  return createHash("sha256").update(`${scope}\u0000${subject}`).digest("hex");
}

/** Rows quiet for a day are deleted now and then, by whichever replica counts an attempt. */
const PRUNE_EVERY = 200;

/**
 * Attempt counters in Postgres (table auth_throttle), so every replica sees the same counts and
 * a restart forgets nothing. Each operation is one statement on one primary-key row.
 */
export function createThrottle({ prisma, rules = THROTTLE_RULES }: { prisma: PrismaClient; rules?: Record<ThrottleScope, ThrottleRule> }): Throttle {
  let counted = 0;
  return {
    async check(scope, subject) {
      const rows = await prisma.$queryRaw<{ retryAfter: number }[]>`
        SELECT GREATEST(1, ceil(extract(epoch FROM ("blockedUntil" - now()))))::int AS "retryAfter"
        FROM "auth_throttle" WHERE "key" = ${throttleKey(scope, subject)} AND "blockedUntil" > now()`;
      return rows[0] ? { scope, retryAfter: rows[0].retryAfter } : null;
    },

    async take(scope, subject) {
      const rule = rules[scope];
      const threshold = Prisma.sql`${rule.threshold}::int`;
      // The count this attempt makes: 1 after a quiet window, else one more.
      const next = Prisma.sql`(CASE WHEN t."lastFailureAt" < now() - make_interval(secs => ${rule.windowSeconds}::float8) THEN 1 ELSE t."failures" + 1 END)`;
      const wait = (n: Prisma.Sql) => Prisma.sql`now() + make_interval(secs => LEAST(${rule.baseSeconds}::float8 * power(2, ${n} - ${threshold}), ${rule.maxSeconds}::float8))`;
      // A subject that must wait keeps its row as it is. Whether it had to wait is read from the
      // row as it was, locked first (FOR UPDATE: concurrent attempts on one subject queue up
      // here and each sees the count the previous one left), never inferred from timestamps
      // (two attempts in one millisecond would look alike).
      const key = throttleKey(scope, subject);
      const rows = await prisma.$queryRaw<{ blocked: boolean; retryAfter: number | null }[]>`
        WITH old AS (
          SELECT "blockedUntil" > now() AS blocked FROM "auth_throttle" WHERE "key" = ${key} FOR UPDATE
        ), up AS (
          INSERT INTO "auth_throttle" AS t ("key", "failures", "lastFailureAt", "blockedUntil")
          VALUES (${key}, 1, now(), CASE WHEN 1 >= ${threshold} THEN ${wait(Prisma.sql`1`)} END)
          ON CONFLICT ("key") DO UPDATE SET
            "failures" = CASE WHEN t."blockedUntil" > now() THEN t."failures" ELSE ${next} END,
            "blockedUntil" = CASE WHEN t."blockedUntil" > now() THEN t."blockedUntil" WHEN ${next} >= ${threshold} THEN ${wait(next)} ELSE NULL END,
            "lastFailureAt" = CASE WHEN t."blockedUntil" > now() THEN t."lastFailureAt" ELSE now() END
          RETURNING CASE WHEN "blockedUntil" > now() THEN GREATEST(1, ceil(extract(epoch FROM ("blockedUntil" - now()))))::int END AS "retryAfter"
        )
        SELECT COALESCE((SELECT blocked FROM old), false) AS blocked, (SELECT "retryAfter" FROM up) AS "retryAfter"`;
      if (++counted % PRUNE_EVERY === 0) {
        await prisma.$executeRaw`DELETE FROM "auth_throttle" WHERE "lastFailureAt" < now() - interval '1 day' AND ("blockedUntil" IS NULL OR "blockedUntil" < now())`;
      }
      const row = rows[0];
      return row?.blocked ? { scope, retryAfter: row.retryAfter ?? 1 } : null;
    },

    async refund(scope, subject, { clear = false } = {}) {
      const key = throttleKey(scope, subject);
      if (clear) await prisma.$executeRaw`DELETE FROM "auth_throttle" WHERE "key" = ${key}`;
      else await prisma.$executeRaw`UPDATE "auth_throttle" SET "failures" = GREATEST("failures" - 1, 0) WHERE "key" = ${key}`;
    },
  };
}

/** The longest wait of several answers (null when none must wait). */
export function longest(...answers: (Blocked | null)[]): Blocked | null {
  return answers.reduce<Blocked | null>((worst, answer) => (answer && (!worst || answer.retryAfter > worst.retryAfter) ? answer : worst), null);
}

export function tooManyAttemptsMessage(blocked: Blocked): string {
  const wait = blocked.retryAfter < 90 ? `${blocked.retryAfter} seconds` : `${Math.ceil(blocked.retryAfter / 60)} minutes`;
  switch (blocked.scope) {
    case "sign-in:account":
      return `Too many failed sign-in attempts for this account. Try again in ${wait}.`;
    case "sign-in:address":
      return `Too many failed sign-in attempts from your network. Try again in ${wait}.`;
    case "sign-up:address":
      return `Too many accounts created from your network. Try again in ${wait}.`;
    case "api-key:address":
      return `Too many invalid API keys from your network. Try again in ${wait}.`;
  }
}
