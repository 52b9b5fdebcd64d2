import type { AlertChannel, AlertChannelKind, AlertEvent, AlertSetup } from "$lib/graphql/alerts";

// Words for the schema's AlertEvent and AlertChannelKind values. The `satisfies` makes a value
// added to the schema fail the typecheck until it has words here.

export const EVENT_LABELS = {
  DOWN: { label: "Down", detail: "A connection stopped answering (an incident opened)" },
  RECOVERED: { label: "Recovered", detail: "It answers again (the incident closed)" },
  REAUTH_REQUIRED: { label: "Reconnect required", detail: "The provider no longer accepts its tokens" },
  MISSING_SCOPES: { label: "Missing scopes", detail: "It lacks permissions it asked for" },
} as const satisfies Record<AlertEvent, { label: string; detail: string }>;

export const KIND_LABELS = {
  EMAIL: { label: "E-mail", detail: "To addresses, over this server's SMTP" },
  SLACK: { label: "Slack channel", detail: "Posted by the Slack workspace connected here" },
  SLACK_WEBHOOK: { label: "Slack incoming webhook", detail: "Any Slack workspace, by the webhook's URL" },
} as const satisfies Record<AlertChannelKind, { label: string; detail: string }>;

/** The delivery log's `event` is an AlertEvent or TEST. */
export function deliveryEventText(event: string): string {
  if (event === "TEST") return "Test";
  return (EVENT_LABELS as Record<string, { label: string }>)[event]?.label ?? event;
}

/** Where a channel's alerts go, in one line. */
export function channelTarget(channel: Pick<AlertChannel, "kind" | "emails" | "slackChannel" | "webhookUrlMasked">): string {
  if (channel.kind === "EMAIL") return `To ${channel.emails.join(", ")}`;
  if (channel.kind === "SLACK") return `Posts to ${channel.slackChannel ?? "?"}`;
  return `Posts to ${channel.webhookUrlMasked ?? "a Slack incoming webhook"}`;
}

/** Why a channel of this kind cannot send from this server and workspace now, or null when it can. */
export function cannotSend(kind: AlertChannelKind, setup: AlertSetup): string | null {
  if (kind === "EMAIL" && !setup.emailConfigured) return "E-mail cannot be sent: SMTP_URL is not set on this server.";
  if (kind === "SLACK" && !setup.slackConnected) return "Slack is not connected in this workspace.";
  if (kind === "SLACK" && !setup.slackCanPost) return "The Slack connection lacks the chat:write permission.";
  return null;
}

/** Splits what was typed into the recipients field: commas, semicolons, spaces or new lines. */
export function parseEmails(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
}
