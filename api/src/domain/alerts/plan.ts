import type { Prisma, PrismaClient } from "../../generated/prisma/client.ts";
import type { CatalogProvider } from "../../providers/catalog.ts";
import { emitWorkspaceEvent } from "../webhooks/emit-workspace-event.ts";
import type { AlertEvent } from "./events.ts";
import { composeAlert, type AlertItem } from "./message.ts";

// The planner: turns what happened into alert deliveries (the outbox), in one transaction per
// pass, so a crash or restart neither loses an alert nor sends it twice, and several replicas
// share the work (FOR UPDATE SKIP LOCKED on the rows being planned).
//
// - An incident's opening is planned once (`openAlertedAt`), its closing once (`closeAlertedAt`):
//   one alert per incident open and close, however many checks failed.
// - Connections of a workspace whose incidents opened (or closed) close together are ONE alert:
//   a workspace's pending incidents wait until the oldest is `groupWindowMs` old, then all of
//   them go in one message per channel (a provider-wide outage, or the network of this server).
// - An incident of a connection that needs a reconnect is a REAUTH_REQUIRED alert instead of
//   DOWN; a reconnect-required state without a failed check (a refresh refused) and a
//   missing-scopes state are alerted once when they start (`reauthAlertedAt`, `scopesAlertedAt`),
//   and may be alerted again after they ended.
// - An incident closed by a disconnect gets no RECOVERED alert: nothing recovered.
// - Signed webhooks get the same alerts as `incident.opened` / `incident.closed` events.

export const ALERT_GROUP_WINDOW_MS = 10_000;
const MAX_PER_PASS = 500;

type Tx = Prisma.TransactionClient;

type PendingIncident = {
  id: string;
  workspaceId: string;
  integrationId: string;
  providerId: string;
  startedAt: Date;
  endedAt: Date | null;
  errorCode: string | null;
  message: string | null;
  openAlertedAt: Date | null;
  closeAlertedAt: Date | null;
};

type StateRow = {
  id: string;
  workspaceId: string;
  providerId: string;
  status: string;
  account: unknown;
  healthErrorCode: string | null;
  healthMessage: string | null;
  lastHealthCheckAt: Date | null;
  reauthAlertedAt: Date | null;
  scopesAlertedAt: Date | null;
};

type Group = { workspaceId: string; event: AlertEvent; items: (AlertItem & { incidentId: string | null })[] };

function accountName(account: unknown): string | null {
  if (account && typeof account === "object") {
    const a = account as Record<string, unknown>;
    for (const key of ["name", "user", "email", "id"]) if (typeof a[key] === "string" && a[key]) return a[key] as string;
  }
  return null;
}

export async function planAlerts({
  prisma,
  catalog,
  publicUrl,
  now = new Date(),
  groupWindowMs = ALERT_GROUP_WINDOW_MS,
}: {
  prisma: PrismaClient;
  catalog: Pick<CatalogProvider, "id" | "name">[];
  publicUrl: string;
  now?: Date;
  groupWindowMs?: number;
}): Promise<number> {
  const names = new Map(catalog.map((p) => [p.id, p.name]));
  const nameOf = (id: string) => names.get(id) ?? id;
  const cutoffText = new Date(now.getTime() - groupWindowMs).toISOString();

  return prisma.$transaction(async (tx) => {
    // Forget states that ended, so their next start is alerted again.
    await tx.$executeRaw`UPDATE "integration" SET "reauthAlertedAt" = NULL WHERE "reauthAlertedAt" IS NOT NULL AND status <> 'REAUTH_REQUIRED'`;
    await tx.$executeRaw`UPDATE "integration" SET "scopesAlertedAt" = NULL WHERE "scopesAlertedAt" IS NOT NULL AND (status <> 'CONNECTED' OR "healthErrorCode" IS DISTINCT FROM 'insufficient_scope')`;

    const incidents = await tx.$queryRaw<PendingIncident[]>`
      SELECT x.id, x."workspaceId", x."integrationId", x."providerId", x."startedAt", x."endedAt", x."errorCode", x.message, x."openAlertedAt", x."closeAlertedAt"
      FROM "incident" x
      WHERE (x."openAlertedAt" IS NULL OR (x."endedAt" IS NOT NULL AND x."closeAlertedAt" IS NULL))
        AND x."workspaceId" IN (
          SELECT y."workspaceId" FROM "incident" y
          WHERE (y."openAlertedAt" IS NULL AND y."startedAt" <= ${cutoffText}::timestamp(3))
             OR (y."endedAt" IS NOT NULL AND y."closeAlertedAt" IS NULL AND y."endedAt" <= ${cutoffText}::timestamp(3)))
      ORDER BY x."startedAt", x.id
      LIMIT ${MAX_PER_PASS}
      FOR UPDATE OF x SKIP LOCKED`;

    const integrationIds = [...new Set(incidents.map((i) => i.integrationId))];
    const integrations = integrationIds.length
      ? await tx.integration.findMany({ where: { id: { in: integrationIds } }, select: { id: true, status: true, account: true, reauthAlertedAt: true } })
      : [];
    const byId = new Map(integrations.map((i) => [i.id, i]));

    const groups = new Map<string, Group>();
    const add = (workspaceId: string, event: AlertEvent, item: Group["items"][number]) => {
      const key = `${workspaceId}\u0000${event}`;
      const group = groups.get(key) ?? { workspaceId, event, items: [] };
      group.items.push(item);
      groups.set(key, group);
    };
    const opened: string[] = [];
    const closed: string[] = [];
    const reauthTold: string[] = [];
    for (const x of incidents) {
      const integration = byId.get(x.integrationId);
      const item = {
        incidentId: x.id,
        integrationId: x.integrationId,
        providerId: x.providerId,
        providerName: nameOf(x.providerId),
        accountName: accountName(integration?.account),
        errorCode: x.errorCode,
        message: x.message,
        startedAt: x.startedAt,
        endedAt: x.endedAt,
      };
      if (!x.openAlertedAt) {
        opened.push(x.id);
        if (integration?.status === "REAUTH_REQUIRED") {
          // Told once per reconnect-required stretch, by the incident or by the state below.
          if (!integration.reauthAlertedAt && !reauthTold.includes(integration.id)) {
            reauthTold.push(integration.id);
            add(x.workspaceId, "REAUTH_REQUIRED", item);
          }
        } else add(x.workspaceId, "DOWN", item);
      }
      if (x.endedAt && !x.closeAlertedAt) {
        closed.push(x.id);
        if (integration && integration.status !== "DISCONNECTED") add(x.workspaceId, "RECOVERED", item);
      }
    }
    if (opened.length) await tx.incident.updateMany({ where: { id: { in: opened } }, data: { openAlertedAt: now } });
    if (closed.length) await tx.incident.updateMany({ where: { id: { in: closed } }, data: { closeAlertedAt: now } });
    if (reauthTold.length) await tx.integration.updateMany({ where: { id: { in: reauthTold } }, data: { reauthAlertedAt: now } });

    // States without an incident of their own still waiting to be planned.
    const states = await tx.$queryRaw<StateRow[]>`
      SELECT i.id, i."workspaceId", i."providerId", i.status::text AS status, i.account, i."healthErrorCode", i."healthMessage", i."lastHealthCheckAt", i."reauthAlertedAt", i."scopesAlertedAt"
      FROM "integration" i
      WHERE (i.status = 'REAUTH_REQUIRED' AND i."reauthAlertedAt" IS NULL
              AND NOT EXISTS (SELECT 1 FROM "incident" x WHERE x."integrationId" = i.id AND x."openAlertedAt" IS NULL))
         OR (i.status = 'CONNECTED' AND i."healthErrorCode" = 'insufficient_scope' AND i."scopesAlertedAt" IS NULL)
      ORDER BY i.id
      LIMIT ${MAX_PER_PASS}
      FOR UPDATE OF i SKIP LOCKED`;
    const reauth: string[] = [];
    const scopes: string[] = [];
    for (const s of states) {
      const item = {
        incidentId: null,
        integrationId: s.id,
        providerId: s.providerId,
        providerName: nameOf(s.providerId),
        accountName: accountName(s.account),
        errorCode: s.healthErrorCode,
        message: s.healthMessage,
        startedAt: s.lastHealthCheckAt,
        endedAt: null,
      };
      if (s.status === "REAUTH_REQUIRED") {
        reauth.push(s.id);
        add(s.workspaceId, "REAUTH_REQUIRED", item);
      } else {
        scopes.push(s.id);
        add(s.workspaceId, "MISSING_SCOPES", item);
      }
    }
    if (reauth.length) await tx.integration.updateMany({ where: { id: { in: reauth } }, data: { reauthAlertedAt: now } });
    if (scopes.length) await tx.integration.updateMany({ where: { id: { in: scopes } }, data: { scopesAlertedAt: now } });

    if (groups.size === 0) return 0;
    const workspaceIds = [...new Set([...groups.values()].map((g) => g.workspaceId))];
    const channels = await tx.alertChannel.findMany({ where: { workspaceId: { in: workspaceIds }, enabled: true }, select: { id: true, workspaceId: true, events: true, providers: true } });

    // DOWN before RECOVERED (an incident that opened and closed within the window gets both, in order).
    const order: AlertEvent[] = ["DOWN", "REAUTH_REQUIRED", "MISSING_SCOPES", "RECOVERED"];
    const planned = [...groups.values()].sort((a, b) => order.indexOf(a.event) - order.indexOf(b.event));
    const rows: Prisma.AlertDeliveryCreateManyInput[] = [];
    let seq = 0;
    for (const group of planned) {
      for (const channel of channels) {
        if (channel.workspaceId !== group.workspaceId || !channel.events.includes(group.event)) continue;
        const items = channel.providers.length ? group.items.filter((i) => channel.providers.includes(i.providerId)) : group.items;
        if (items.length === 0) continue;
        const message = composeAlert(group.event, items, publicUrl);
        rows.push({
          channelId: channel.id,
          workspaceId: group.workspaceId,
          event: group.event,
          incidentIds: items.flatMap((i) => (i.incidentId ? [i.incidentId] : [])),
          integrationIds: [...new Set(items.map((i) => i.integrationId))],
          subject: message.subject,
          text: message.text,
          status: "pending",
          // Milliseconds apart (all due now) keep a channel's alerts in the order they were planned.
          nextAttemptAt: new Date(now.getTime() - MAX_PER_PASS * 4 + seq++),
        });
      }
      // The same alert for signed webhooks, for the incident-based events.
      const incidentItems = group.items.filter((i) => i.incidentId);
      if (incidentItems.length && group.event !== "MISSING_SCOPES") {
        const closing = group.event === "RECOVERED";
        const first = incidentItems[0]!;
        const startedAt = new Date(Math.min(...incidentItems.map((i) => i.startedAt!.getTime())));
        const endedAt = closing ? new Date(Math.max(...incidentItems.map((i) => i.endedAt!.getTime()))) : null;
        await emitWorkspaceEvent({
          prisma: tx,
          workspaceId: group.workspaceId,
          type: closing ? "incident.closed" : "incident.opened",
          now,
          data: {
            incidentIds: incidentItems.map((i) => i.incidentId!),
            integrationIds: incidentItems.map((i) => i.integrationId),
            providerIds: [...new Set(incidentItems.map((i) => i.providerId))],
            count: incidentItems.length,
            ...(incidentItems.length === 1 ? { integrationId: first.integrationId, providerId: first.providerId, accountName: first.accountName } : {}),
            errorCode: first.errorCode,
            message: first.message,
            status: group.event,
            startedAt: startedAt.toISOString(),
            ...(endedAt ? { endedAt: endedAt.toISOString(), durationSeconds: Math.round((endedAt.getTime() - startedAt.getTime()) / 1000) } : {}),
          },
        });
      }
    }
    if (rows.length) await tx.alertDelivery.createMany({ data: rows });
    return rows.length;
  });
}
