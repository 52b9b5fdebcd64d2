import type { AccountChoice, ConsentAccount, ConsentAccounts, SandboxAccount } from "./types.ts";

// The accounts an emulator can sign in as (AccountChoice in types.ts): the consent page offers
// them, the form's choice is checked here, and each module finds the grant's account again to
// answer identity questions with it.

/** The consent page's lines and, when the provider offers several accounts, the picker. */
export function accountView(accounts: ConsentAccounts): { lines: ConsentAccount; choice?: AccountChoice } {
  return Array.isArray(accounts) ? { lines: accounts } : { lines: accounts.lines ?? [], choice: accounts };
}

/**
 * The key to store on the grant for the posted `account` field: the chosen account's, the
 * default's when none was posted, none for a provider without a choice. A value the page did not
 * offer (a tampered or stale form) is refused.
 */
export function chosenAccount(accounts: ConsentAccounts, posted: string | null): { ok: true; key: string | undefined } | { ok: false } {
  const { choice } = accountView(accounts);
  if (!choice) return posted === null ? { ok: true, key: undefined } : { ok: false };
  if (posted === null) return { ok: true, key: choice.accounts[0].key };
  return choice.accounts.some((account) => account.key === posted) ? { ok: true, key: posted } : { ok: false };
}

/** The account a grant was authorized as: the one with its key, else the first (the default). */
export function accountOf<A extends SandboxAccount>(accounts: readonly [A, ...A[]], key: string | undefined): A {
  return accounts.find((account) => account.key === key) ?? accounts[0];
}
