// Readable text for the audit log's actions (api/src/domain/integrations/audit.ts and the
// settings resolvers record them); an unknown action is shown as it is.

const ACTIONS: Record<string, string> = {
  "integration.connected": "Connected an integration",
  "integration.disconnected": "Disconnected an integration",
  "integration.tested": "Tested a connection",
  "integration.renamed": "Renamed a connection",
  "api_key.created": "Created an API key",
  "api_key.revoked": "Revoked an API key",
  "member.added": "Added a member",
  "member.invited": "Invited someone",
  "member.invitation_revoked": "Revoked an invitation",
  "member.joined": "Joined through an invitation",
  "workspace.renamed": "Renamed the workspace",
  "member.role_changed": "Changed a member's role",
  "member.removed": "Removed a member",
  "webhook.created": "Added a webhook endpoint",
  "webhook.updated": "Changed a webhook endpoint",
  "webhook.deleted": "Deleted a webhook endpoint",
  "alert_channel.created": "Added an alert channel",
  "alert_channel.updated": "Changed an alert channel",
  "alert_channel.deleted": "Deleted an alert channel",
  "alert_channel.tested": "Sent a test alert",
};

export function describeAction(action: string): string {
  return ACTIONS[action] ?? action;
}

/** `{"provider":"slack","status":"HEALTHY"}` → "provider: slack · status: HEALTHY". */
export function describeDetails(details: string | null): string {
  if (!details) return "—";
  try {
    const value = JSON.parse(details) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const parts = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== null && v !== undefined && v !== "")
        .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : String(v)}`);
      return parts.length ? parts.join(" · ") : "—";
    }
    return String(value);
  } catch {
    return details;
  }
}
