import { clientError } from "../errors.ts";
import type { Context } from "../context.ts";
import { MemberError, type Actor } from "../../domain/members/index.ts";

/** The caller as the domain sees it: a member, maybe acting through one of their API keys. */
export function actorOf(ctx: Context): Actor {
  return { userId: ctx.viewer.userId, role: ctx.viewer.role, apiKeyId: ctx.viewer.apiKeyId };
}

/** Runs a workspace-administration call, turning its MemberError into the client error it names. */
export async function memberAction<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof MemberError) throw clientError(error.code, error.message);
    throw error;
  }
}
