import nodemailer from "nodemailer";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";

export type Mail = { to: string; subject: string; text: string };

export type Mailer = {
  /** Sends one message; resolves false (and logs why) when the SMTP server refused or was unreachable. */
  send(mail: Mail): Promise<boolean>;
};

// One transport per SMTP_URL for the process (nodemailer keeps no connection open between
// messages unless pooled; one object is enough).
const transports = new Map<string, ReturnType<typeof nodemailer.createTransport>>();

/** The From address: SMTP_FROM, or no-reply at PUBLIC_URL's host. */
export function mailFrom(env: Pick<Env, "SMTP_FROM" | "PUBLIC_URL">): string {
  return env.SMTP_FROM ?? `Switchboard <no-reply@${new URL(env.PUBLIC_URL).hostname}>`;
}

/** The mailer for SMTP_URL, or null when SMTP_URL is not set (then nothing is e-mailed). */
export function mailerFor(env: Pick<Env, "SMTP_URL" | "SMTP_FROM" | "PUBLIC_URL">, logger: Logger): Mailer | null {
  const url = env.SMTP_URL;
  if (!url) return null;
  let transport = transports.get(url);
  if (!transport) {
    // Short timeouts: a mail server that hangs must not hold a request for minutes.
    transport = nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
    transports.set(url, transport);
  }
  const from = mailFrom(env);
  const sender = transport;
  return {
    async send(mail) {
      try {
        await sender.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
        return true;
      } catch (error) {
        // The message is logged without its text: it may hold an invitation link.
        logger.warn({ err: error instanceof Error ? { message: error.message, code: (error as { code?: string }).code } : String(error), subject: mail.subject }, "could not send e-mail");
        return false;
      }
    },
  };
}

export type MailResult = { ok: true; durationMs: number } | { ok: false; error: string; responseCode: number | null; durationMs: number };

/**
 * Sends one message to several recipients and says why it failed (alerts keep the reason in
 * their delivery log). The reason names the SMTP answer's code and the server's words, never
 * the SMTP_URL (it may hold a password).
 */
export async function sendMailDetailed(env: Pick<Env, "SMTP_URL" | "SMTP_FROM" | "PUBLIC_URL">, mail: { to: string[]; subject: string; text: string }): Promise<MailResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = env.SMTP_URL;
  if (!url) return { ok: false, error: "e-mail is not set up: set SMTP_URL (and SMTP_FROM) on the server", responseCode: null, durationMs: 0 };
  let transport = transports.get(url);
  if (!transport) {
    transport = nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
    transports.set(url, transport);
  }
  try {
    const info = await transport.sendMail({ from: mailFrom(env), to: mail.to, subject: mail.subject, text: mail.text });
    if (info.rejected.length > 0 && info.accepted.length === 0) return { ok: false, error: "the SMTP server refused every recipient", responseCode: null, durationMs: elapsed() };
    return { ok: true, durationMs: elapsed() };
  } catch (error) {
    const e = error as { code?: string; responseCode?: number; response?: string; message?: string };
    const said = typeof e.response === "string" ? e.response.slice(0, 200) : (e.message ?? "unknown error").slice(0, 200);
    const error_ = e.code === "ECONNREFUSED" ? "could not reach the SMTP server: connection refused" : `SMTP ${e.code ?? "error"}: ${said}`;
    return { ok: false, error: error_.replace(url, "SMTP_URL"), responseCode: typeof e.responseCode === "number" ? e.responseCode : null, durationMs: elapsed() };
  }
}
