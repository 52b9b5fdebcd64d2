import { builder } from "../builder.ts";
import { ConnectionErrorCodeEnum } from "./enums.ts";
import { connectionErrorCode } from "../../providers/errors.ts";
import { INCIDENT_ORDER, incidentDurationSeconds, incidentsWhere } from "../../domain/health/incidents.ts";

// Incidents (domain/health/incidents.ts): read-only here; checks open and close them.

const clampFirst = (first: number | null | undefined) => Math.min(Math.max(first ?? 20, 1), 200);

builder.prismaObject("Incident", {
  authScopes: { permission: { integration: ["read"] } },
  description: "A connection's stretch of failure: from its first failed check to the first check that answers again, or its disconnect",
  fields: (t) => ({
    id: t.exposeID("id"),
    integration: t.relation("integration"),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true, description: "Null while the incident is open" }),
    durationSeconds: t.int({ description: "Until now while it is open", resolve: (i) => incidentDurationSeconds(i) }),
    errorCode: t.field({ type: ConnectionErrorCodeEnum, nullable: true, description: "The first failed check's code", resolve: (i) => connectionErrorCode(i.errorCode) }),
    message: t.exposeString("message", { nullable: true, description: "The first failed check's message" }),
    checksFailed: t.exposeInt("checksFailed"),
    alertsSent: t.exposeInt("alertsSent"),
    open: t.boolean({ resolve: (i) => i.endedAt === null }),
  }),
});

builder.queryField("incidents", (t) =>
  t.prismaField({
    type: ["Incident"],
    description: "Incidents of the caller's workspace, latest first; page with `before` (the startedAt of the last one seen)",
    authScopes: { permission: { integration: ["read"] } },
    args: {
      first: t.arg.int({ defaultValue: 20 }),
      before: t.arg({ type: "DateTime", required: false }),
      open: t.arg.boolean({ required: false, description: "Only open (true) or only closed (false) ones" }),
    },
    resolve: (query, _root, args, ctx) =>
      ctx.prisma.incident.findMany({
        ...query,
        where: incidentsWhere({ workspaceId: ctx.viewer.workspaceId, before: args.before ?? null, open: args.open ?? null }),
        orderBy: INCIDENT_ORDER,
        take: clampFirst(args.first),
      }),
  }),
);

/** Integration.incidents, for the relation field in integration.ts. */
export const integrationIncidentsQuery = (args: { first?: number | null }) => ({ orderBy: INCIDENT_ORDER, take: clampFirst(args.first) });
