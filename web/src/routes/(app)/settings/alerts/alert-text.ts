import type { AlertChannel, AlertChannelKind, AlertEvent, AlertSetup, AlertSlackConnection } from "$lib/graphql/alerts";

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

/**
 * The Slack workspace a SLACK channel posts through: the one it names, else the workspace's only
 * connected one (AlertChannel.slackIntegrationId null). "missing": it names a connection that is
 * not connected now; "unchosen": it names none and several are connected; null: none connected.
 */
export function slackWorkspaceOf(
  channel: Pick<AlertChannel, "slackIntegrationId">,
  connections: readonly AlertSlackConnection[],
): AlertSlackConnection | "missing" | "unchosen" | null {
  if (channel.slackIntegrationId) return connections.find((c) => c.id === channel.slackIntegrationId) ?? "missing";
  if (connections.length > 1) return "unchosen";
  return connections[0] ?? null;
}

/** A Slack connection as a choice: its label, and whether it cannot post. */
export function slackConnectionText(connection: AlertSlackConnection): string {
  return connection.canPost ? connection.label : `${connection.label} (no chat:write)`;
}

/**
 * Where a channel's alerts go, in one line; a SLACK channel's names its Slack workspace when the
 * connections are known.
 */
export function channelTarget(
  channel: Pick<AlertChannel, "kind" | "emails" | "slackChannel" | "webhookUrlMasked"> & Partial<Pick<AlertChannel, "slackIntegrationId">>,
  connections?: readonly AlertSlackConnection[],
): string {
  if (channel.kind === "EMAIL") return `To ${channel.emails.join(", ")}`;
  if (channel.kind === "SLACK") {
    const target = `Posts to ${channel.slackChannel ?? "?"}`;
    if (!connections) return target;
    const workspace = slackWorkspaceOf({ slackIntegrationId: channel.slackIntegrationId ?? null }, connections);
    if (workspace === "missing") return `${target} in a Slack workspace that is not connected now`;
    if (workspace === "unchosen") return `${target} (no Slack workspace chosen)`;
    return workspace ? `${target} in ${workspace.label}` : target;
  }
  return `Posts to ${channel.webhookUrlMasked ?? "a Slack incoming webhook"}`;
}

/** Why a channel of this kind cannot send from this server and workspace now, or null when it can. */
export function cannotSend(kind: AlertChannelKind, setup: AlertSetup): string | null {
  if (kind === "EMAIL" && !setup.emailConfigured) return "E-mail cannot be sent: SMTP_URL is not set on this server.";
  if (kind === "SLACK" && !setup.slackConnected) return "Slack is not connected in this workspace.";
  if (kind === "SLACK" && !setup.slackCanPost)
    return setup.slackConnections.length > 1 ? "None of the connected Slack workspaces has the chat:write permission." : "The Slack connection lacks the chat:write permission.";
  return null;
}

/**
 * Why this channel cannot send now, or null when it can: what stops its kind, and for a SLACK
 * channel what stops the Slack workspace it posts through (the dispatcher refuses to guess one
 * of several).
 */
export function channelCannotSend(channel: Pick<AlertChannel, "kind" | "slackIntegrationId">, setup: AlertSetup): string | null {
  const problem = cannotSend(channel.kind, setup);
  if (problem || channel.kind !== "SLACK") return problem;
  const workspace = slackWorkspaceOf(channel, setup.slackConnections);
  if (workspace === "missing") return "The chosen Slack workspace is not connected now: reconnect it or choose another.";
  if (workspace === "unchosen") return "Several Slack workspaces are connected: choose the one that posts.";
  if (workspace && !workspace.canPost) return `${workspace.label} lacks the chat:write permission.`;
  return null;
}

/** Splits what was typed into the recipients field: commas, semicolons, spaces or new lines. */
export function parseEmails(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
}
