// What a channel can be told about. DOWN and RECOVERED follow incidents (domain/health/
// incidents.ts): one alert when an incident opens, one when it closes. REAUTH_REQUIRED and
// MISSING_SCOPES follow the connection's state: one alert when it starts.
export const ALERT_EVENTS = ["DOWN", "RECOVERED", "REAUTH_REQUIRED", "MISSING_SCOPES"] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export const ALERT_CHANNEL_KINDS = ["EMAIL", "SLACK", "SLACK_WEBHOOK"] as const;
export type AlertChannelKind = (typeof ALERT_CHANNEL_KINDS)[number];

/** A delivery's event: an alert event, or a test send. */
export type AlertDeliveryEvent = AlertEvent | "TEST";

export function isAlertEvent(value: string): value is AlertEvent {
  return (ALERT_EVENTS as readonly string[]).includes(value);
}
