// The event types a webhook endpoint can subscribe to, as api/src/domain/webhooks/events.ts
// defines them (a public contract there), with the words the settings page shows.
export const WEBHOOK_EVENTS: { type: string; label: string }[] = [
  { type: "integration.connected", label: "An integration was connected" },
  { type: "integration.disconnected", label: "An integration was disconnected" },
  { type: "integration.reauth_required", label: "An integration needs reconnecting" },
  { type: "health.degraded", label: "Health turned degraded" },
  { type: "health.unhealthy", label: "Health turned unhealthy" },
  { type: "health.recovered", label: "Health recovered" },
  { type: "provider.incident", label: "A provider reported an incident" },
  { type: "webhook.test", label: "Test events" },
];
