// The dashboard's list of connections, patched by live events: each health event carries the
// connection as it is after the event (HealthEvent.integration), or null once it no longer
// exists, so one event changes one card and costs no request.

type WithId = { id: string };

/** The event's part this reads: which connection, and its data after the event (null: gone). */
export type ListEvent<T extends WithId> = { integrationId: string; integration: T | null | undefined };

/** Replaces the connection by id, adds it when new, drops it when the event says it is gone. */
export function applyEvent<T extends WithId>(list: readonly T[], event: ListEvent<T>): T[] {
  const { integration } = event;
  if (!integration) return list.filter((item) => item.id !== event.integrationId);
  const index = list.findIndex((item) => item.id === integration.id);
  if (index === -1) return [...list, integration];
  const next = list.slice();
  next[index] = integration;
  return next;
}
