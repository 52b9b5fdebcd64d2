import type { WebhookEventData, WebhookEventType } from "./events.ts";

export type SweepTransition = "degraded" | "unhealthy" | "recovered" | "reauth_required" | null;

/** One connection's check in a scheduler sweep. */
export type SweepResult = {
  workspaceId: string;
  integrationId: string;
  providerId: string;
  /** The notable change this check caused, if any. */
  transition: SweepTransition;
  /**
   * Whether the check failed. Defaults to "the transition is a failing one"; pass it so that
   * connections that were already failing count towards the provider's share too.
   */
  failed?: boolean;
  healthStatus?: string;
  message?: string | null;
  errorCode?: string | null;
  accountName?: string | null;
};

export type PlannedEvent = { workspaceId: string; type: WebhookEventType; data: WebhookEventData };

export type SweepSummaryOptions = {
  /**
   * Where the failure share is measured. "workspace" (default): the connections of one provider
   * in one workspace. "sweep": the provider's connections across the whole sweep (an outage
   * shows across tenants); each workspace still gets its own event with only its own ids.
   */
  scope?: "workspace" | "sweep";
};

/** An incident needs at least this many failed connections, and more than half of those checked. */
export const INCIDENT_MIN_FAILED = 3;

const EVENT_OF: Record<Exclude<SweepTransition, null>, WebhookEventType> = {
  degraded: "health.degraded",
  unhealthy: "health.unhealthy",
  recovered: "health.recovered",
  reauth_required: "integration.reauth_required",
};

const isFailing = (t: SweepTransition) => t === "degraded" || t === "unhealthy" || t === "reauth_required";
const failedOf = (r: SweepResult) => r.failed ?? isFailing(r.transition);

function connectionEvent(r: SweepResult & { transition: Exclude<SweepTransition, null> }): PlannedEvent {
  const data: WebhookEventData = { integrationId: r.integrationId, providerId: r.providerId };
  if (r.healthStatus !== undefined) data.healthStatus = r.healthStatus;
  if (r.message != null) data.message = r.message;
  if (r.errorCode != null) data.errorCode = r.errorCode;
  if (r.accountName != null) data.accountName = r.accountName;
  return { workspaceId: r.workspaceId, type: EVENT_OF[r.transition], data };
}

/**
 * Decides the webhook events of one sweep: one per transition, except that when most of a
 * provider's checked connections failed at once (an outage at the provider, not at each
 * customer), their degraded/unhealthy events become one `provider.incident` per workspace, so a
 * receiver is not flooded with one alert per connection. reauth_required stays its own event:
 * each needs someone to reconnect, outage or not. An incident is reported only when the sweep
 * brought a new failure in that workspace, not again at every sweep of a continuing outage.
 */
export function summarizeSweep(results: readonly SweepResult[], options: SweepSummaryOptions = {}): PlannedEvent[] {
  const scope = options.scope ?? "workspace";
  const groupOf = (r: SweepResult) => (scope === "workspace" ? `${r.workspaceId}\u0000${r.providerId}` : r.providerId);

  const share = new Map<string, { checked: number; failed: number }>();
  for (const r of results) {
    const s = share.get(groupOf(r)) ?? { checked: 0, failed: 0 };
    s.checked += 1;
    if (failedOf(r)) s.failed += 1;
    share.set(groupOf(r), s);
  }
  const inIncident = (r: SweepResult) => {
    const s = share.get(groupOf(r))!;
    return s.failed >= INCIDENT_MIN_FAILED && s.failed * 2 > s.checked;
  };

  const events: PlannedEvent[] = [];
  // Per workspace and provider, in order of first appearance.
  const incidents = new Map<string, { workspaceId: string; providerId: string; checked: number; failedIds: string[]; news: boolean }>();
  for (const r of results) {
    if (!inIncident(r)) {
      if (r.transition) events.push(connectionEvent({ ...r, transition: r.transition }));
      continue;
    }
    const key = `${r.workspaceId}\u0000${r.providerId}`;
    const incident = incidents.get(key) ?? { workspaceId: r.workspaceId, providerId: r.providerId, checked: 0, failedIds: [], news: false };
    incidents.set(key, incident);
    incident.checked += 1;
    if (failedOf(r)) incident.failedIds.push(r.integrationId);
    if (isFailing(r.transition)) incident.news = true;
    if (r.transition === "recovered" || r.transition === "reauth_required") events.push(connectionEvent({ ...r, transition: r.transition }));
  }
  for (const i of incidents.values()) {
    if (!i.news) continue;
    events.push({
      workspaceId: i.workspaceId,
      type: "provider.incident",
      data: { providerId: i.providerId, count: i.failedIds.length, checked: i.checked, integrationIds: i.failedIds },
    });
  }
  return events;
}
