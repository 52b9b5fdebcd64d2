import type { AlertDeliveryEvent } from "./events.ts";

// What an alert says, composed once when it is queued (the delivery row keeps it, so retries send
// the same words). Only what a card shows: provider, account, error code and message, times and a
// link. Never a token: the sources are the incident and the connection's account details, which
// hold none.

export type AlertItem = {
  integrationId: string;
  providerId: string;
  providerName: string;
  accountName: string | null;
  errorCode: string | null;
  message: string | null;
  startedAt: Date | null;
  endedAt: Date | null;
};

export type AlertMessage = { subject: string; text: string };

const TITLE: Record<AlertDeliveryEvent, string> = {
  DOWN: "Down",
  RECOVERED: "Recovered",
  REAUTH_REQUIRED: "Reconnect required",
  MISSING_SCOPES: "Missing scopes",
  TEST: "Test alert",
};

/** 3725 s → "1h 2m 5s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [h ? `${h}h` : "", h || m ? `${m}m` : "", `${s % 60}s`].filter(Boolean);
  return parts.join(" ");
}

function when(d: Date): string {
  return d.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, " UTC");
}

function clip(text: string, max = 300): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

function label(item: AlertItem): string {
  return item.accountName ? `${item.providerName} (${clip(item.accountName, 80)})` : item.providerName;
}

export function linkTo(publicUrl: string, integrationId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/dashboard/integrations/${encodeURIComponent(integrationId)}`;
}

export function composeAlert(event: AlertDeliveryEvent, items: AlertItem[], publicUrl: string): AlertMessage {
  const title = TITLE[event];
  items = [...items].sort((a, b) => a.providerName.localeCompare(b.providerName) || a.integrationId.localeCompare(b.integrationId));
  const providers = [...new Set(items.map((i) => i.providerName))];
  let subject: string;
  if (items.length === 1) {
    const item = items[0]!;
    const detail =
      event === "RECOVERED" && item.startedAt && item.endedAt
        ? ` after ${formatDuration((item.endedAt.getTime() - item.startedAt.getTime()) / 1000)}`
        : item.errorCode && event !== "RECOVERED"
          ? ` (${item.errorCode})`
          : "";
    subject = `[Switchboard] ${title}: ${label(item)}${detail}`;
  } else if (providers.length === 1) {
    subject = `[Switchboard] ${title}: ${providers[0]} outage, ${items.length} connections`;
  } else {
    subject = `[Switchboard] ${title}: ${items.length} connections (${providers.join(", ")})`;
  }

  const lines: string[] = [];
  if (items.length > 1) {
    lines.push(
      event === "RECOVERED"
        ? `${items.length} connections answer again: ${providers.join(", ")}.`
        : `${items.length} connections started failing together: ${providers.join(", ")}.`,
      "",
    );
  }
  for (const item of items) {
    lines.push(`${title}: ${item.providerName}`);
    lines.push(`  Account: ${item.accountName ? clip(item.accountName, 120) : "(unknown)"}`);
    if (item.errorCode || item.message) lines.push(`  Error: ${item.errorCode ?? "error"}${item.message ? ` - ${clip(item.message)}` : ""}`);
    if (item.startedAt) lines.push(`  Started: ${when(item.startedAt)}`);
    if (event === "RECOVERED" && item.endedAt) {
      lines.push(`  Recovered: ${when(item.endedAt)}`);
      if (item.startedAt) lines.push(`  Lasted: ${formatDuration((item.endedAt.getTime() - item.startedAt.getTime()) / 1000)}`);
    }
    lines.push(`  Details: ${linkTo(publicUrl, item.integrationId)}`);
    lines.push("");
  }
  if (event === "REAUTH_REQUIRED") lines.push("The provider no longer accepts the grant: an owner or admin must reconnect it from the dashboard.");
  if (event === "MISSING_SCOPES") lines.push("The connection works but lacks permissions it asked for: reconnect it and grant them.");
  lines.push("Sent by Switchboard. Change what you receive in Settings → Alerts.");
  return { subject, text: lines.join("\n").trim() };
}

export function composeTestAlert(channelName: string, publicUrl: string): AlertMessage {
  return {
    subject: `[Switchboard] Test alert for "${clip(channelName, 80)}"`,
    text: [
      `This is a test alert from Switchboard for the channel "${clip(channelName, 80)}".`,
      "Alerts look like this one: the provider, the connection's account, the error code and message, when it started, how long it lasted, and a link.",
      `Dashboard: ${publicUrl.replace(/\/+$/, "")}/dashboard`,
    ].join("\n"),
  };
}
