import type { Env } from "../../env.ts";
import { validateWebhookUrl, type LookupAll } from "../webhooks/url-policy.ts";
import { ALERT_EVENTS, isAlertEvent, type AlertEvent } from "./events.ts";

// Checks of what an admin types into a channel. Errors name the field and say what to change.

export class AlertInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "AlertInputError";
  }
}

export type AlertUrlEnv = Pick<Env, "NODE_ENV" | "allowPrivateWebhookUrls" | "sandboxEnabled" | "PUBLIC_URL">;

const MAX_EMAILS = 20;
// One address, as the HTML spec's e-mail input accepts it (no display names, no comments).
const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
// A conversation id (C…, G…) or a channel name as Slack allows them (lower case, 80 characters).
const SLACK_CHANNEL = /^(?:#?[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{2,20})$/;
const SLACK_HOOK_PATH = /^\/services\/[A-Z0-9]+\/[A-Z0-9]+\/[A-Za-z0-9_-]+$/;

export function checkName(name: string | null | undefined): string {
  const value = (name ?? "").trim();
  if (value.length === 0 || value.length > 80) throw new AlertInputError("name", "Give the channel a name of 1 to 80 characters.");
  return value;
}

export function checkEmails(emails: readonly string[] | null | undefined): string[] {
  const list = [...new Set((emails ?? []).map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0))];
  if (list.length === 0) throw new AlertInputError("emails", "Add at least one e-mail address.");
  if (list.length > MAX_EMAILS) throw new AlertInputError("emails", `At most ${MAX_EMAILS} addresses per channel.`);
  for (const e of list) if (e.length > 254 || !EMAIL.test(e)) throw new AlertInputError("emails", `${e.slice(0, 60)} is not an e-mail address.`);
  return list;
}

export function checkSlackChannel(channel: string | null | undefined): string {
  const value = (channel ?? "").trim();
  if (!SLACK_CHANNEL.test(value)) throw new AlertInputError("slackChannel", "Give a Slack channel as #name (lower case) or its id (C…).");
  // A bare name is sent as #name, which chat.postMessage accepts like an id.
  return /^[CG][A-Z0-9]+$/.test(value) || value.startsWith("#") ? value : `#${value}`;
}

export function checkEvents(events: readonly string[] | null | undefined): AlertEvent[] {
  if (events === null || events === undefined) return [...ALERT_EVENTS];
  const list = [...new Set(events)];
  if (list.length === 0) throw new AlertInputError("events", "Choose at least one event.");
  for (const e of list) if (!isAlertEvent(e)) throw new AlertInputError("events", `Unknown event ${String(e).slice(0, 40)}; known: ${ALERT_EVENTS.join(", ")}.`);
  return ALERT_EVENTS.filter((e) => list.includes(e));
}

export function checkProviders(providers: readonly string[] | null | undefined, known: readonly string[]): string[] {
  const list = [...new Set(providers ?? [])];
  for (const p of list) if (!known.includes(p)) throw new AlertInputError("providers", `Unknown provider ${String(p).slice(0, 40)}; known: ${known.join(", ")}.`);
  return list;
}

/** The emulator's incoming-webhook prefix, accepted in sandbox mode only. */
export function sandboxHookPrefix(env: Pick<Env, "PUBLIC_URL">): string {
  return `${env.PUBLIC_URL.replace(/\/+$/, "")}/sandbox/slack/services/`;
}

export function isSandboxHook(url: string, env: Pick<Env, "PUBLIC_URL" | "sandboxEnabled">): boolean {
  return env.sandboxEnabled && url.startsWith(sandboxHookPrefix(env));
}

/**
 * A Slack incoming-webhook URL: https://hooks.slack.com/services/T…/B…/… (Slack's only host for
 * them), or in sandbox mode the emulator's path. The webhook URL policy (special addresses,
 * checked again at every send) applies to the real host.
 */
export async function checkSlackWebhookUrl(input: string | null | undefined, env: AlertUrlEnv, lookup?: LookupAll): Promise<string> {
  const value = (input ?? "").trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AlertInputError("webhookUrl", "Paste the incoming-webhook URL Slack shows (https://hooks.slack.com/services/…).");
  }
  if (isSandboxHook(url.href, env)) {
    if (!SLACK_HOOK_PATH.test(url.pathname.slice("/sandbox/slack".length)) || url.search || url.hash) throw new AlertInputError("webhookUrl", "Not an incoming-webhook path of the Slack emulator.");
    return url.href;
  }
  if (url.protocol !== "https:" || url.hostname !== "hooks.slack.com" || url.port || url.username || url.password || url.search || url.hash || !SLACK_HOOK_PATH.test(url.pathname)) {
    throw new AlertInputError("webhookUrl", `A Slack incoming-webhook URL is https://hooks.slack.com/services/T…/B…/…${env.sandboxEnabled ? ` (or, in sandbox mode, ${sandboxHookPrefix(env)}T0SANDBOX/B…/…)` : ""}.`);
  }
  const check = await validateWebhookUrl(url.href, env, { lookup });
  if (!check.ok) throw new AlertInputError("webhookUrl", `URL refused: ${check.reason}.`);
  return url.href;
}

/** How a stored incoming-webhook URL is shown: host and team, the secret part hidden. */
export function maskSlackWebhookUrl(url: string): string {
  try {
    const u = new URL(url);
    const parts = u.pathname.split("/");
    const secret = parts.pop() ?? "";
    return `${u.origin}${parts.join("/")}/${"•".repeat(8)}${secret.length > 12 ? secret.slice(-4) : ""}`;
  } catch {
    return "••••••••";
  }
}
