import { builder } from "../builder.ts";
import { clientError } from "../errors.ts";
import { ConnectionErrorCodeEnum, HealthCheckTriggerEnum, HealthStatusEnum, IntegrationStateEnum, IntegrationStatusEnum } from "./enums.ts";
import { connectionErrorCode, nextStepFor } from "../../providers/errors.ts";
import type { IntegrationHealthLog } from "../../generated/prisma/client.ts";
import { ProviderRef, findProvider } from "./provider.ts";
import type { Uptime } from "../../domain/health/uptime.ts";
import { integrationIncidentsQuery } from "./incident.ts";
import { integrationState } from "../../domain/health/thresholds.ts";
import { integrationCount, integrationPage, isWholeWorkspace, PAGE_DEFAULT, PageInputError, summaryTotal, type PageArgs, type PageRow, type ProviderSummary } from "../../domain/integrations/page.ts";
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";
import type { IntegrationState } from "../../domain/health/thresholds.ts";
import { recordAudit } from "../../domain/integrations/audit.ts";

type AccountDetails = { id?: string; name?: string; url?: string; user?: string };

/** A step as stored in a health log's JSON (older rows lack the newer keys). */
type StoredStep = { step: string; ok: boolean; latencyMs: number; code?: string; message?: string; httpStatus?: number; endpoint?: string; providerMessage?: string };

const str = (v: unknown) => (typeof v === "string" && v ? v : null);
const httpStatusOf = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v >= 100 && v <= 599 ? v : null);

const CheckStepRef = builder.objectRef<StoredStep>("HealthCheckStepResult").implement({
  description: "One layer of a stored check",
  fields: (t) => ({
    step: t.exposeString("step", { description: "token | api | identity | scopes" }),
    ok: t.boolean({ resolve: (s) => Boolean(s.ok) }),
    latencyMs: t.int({ resolve: (s) => Math.round(Number(s.latencyMs) || 0) }),
    code: t.field({ type: ConnectionErrorCodeEnum, nullable: true, resolve: (s) => connectionErrorCode(str(s.code)) }),
    message: t.string({ nullable: true, resolve: (s) => str(s.message) }),
    httpStatus: t.int({ nullable: true, description: "The provider's HTTP status when this step failed on an answer (null for network errors and timeouts)", resolve: (s) => httpStatusOf(s.httpStatus) }),
    endpoint: t.string({ nullable: true, description: 'The provider call that failed: method and path on the provider\'s host ("POST /api/auth.test"), never a query string', resolve: (s) => str(s.endpoint) }),
    providerMessage: t.string({ nullable: true, description: "The provider's own error text (\"internal_error\", \"invalid_auth\"), as it sent it, up to 300 characters", resolve: (s) => str(s.providerMessage) }),
  }),
});

/** The error a card shows: the connection's current code, with what its latest check learned about it. */
type LastError = { code: string; message: string | null; at: Date; step: StoredStep | null };

const LastErrorRef = builder.objectRef<LastError>("IntegrationError").implement({
  description:
    'Why the connection is not fine now, for a sentence like "Slack answered 500 at POST /api/auth.test: internal_error". httpStatus, endpoint and providerMessage come from the latest check when it failed with this code, and are null otherwise (a refresh refused, or a network error)',
  fields: (t) => ({
    code: t.field({ type: ConnectionErrorCodeEnum, resolve: (e) => connectionErrorCode(e.code)! }),
    message: t.string({ nullable: true, description: "Switchboard's words for it (healthMessage)", resolve: (e) => e.message }),
    step: t.string({ nullable: true, description: "The check's layer that failed: token | api | identity | scopes", resolve: (e) => e.step?.step ?? null }),
    httpStatus: t.int({ nullable: true, resolve: (e) => httpStatusOf(e.step?.httpStatus) }),
    endpoint: t.string({ nullable: true, description: 'Method and path at the provider ("POST /api/auth.test"), never a query string', resolve: (e) => str(e.step?.endpoint) }),
    providerMessage: t.string({ nullable: true, description: "The provider's own error text", resolve: (e) => str(e.step?.providerMessage) }),
    at: t.expose("at", { type: "DateTime", description: "When it was seen: the check's time, else the connection's last change" }),
  }),
});

function lastErrorOf(i: { healthErrorCode: string | null; healthMessage: string | null; lastHealthCheckAt: Date | null; updatedAt: Date }, latest: IntegrationHealthLog | undefined): LastError | null {
  if (!i.healthErrorCode) return null;
  const fromCheck = latest && latest.errorCode === i.healthErrorCode ? latest : undefined;
  const steps = fromCheck && Array.isArray(fromCheck.steps) ? (fromCheck.steps as unknown as StoredStep[]).filter((s) => s && typeof s.step === "string") : [];
  const step = steps.find((s) => !s.ok && s.code === i.healthErrorCode) ?? steps.find((s) => !s.ok) ?? null;
  return { code: i.healthErrorCode, message: i.healthMessage, at: fromCheck?.checkedAt ?? i.lastHealthCheckAt ?? i.updatedAt, step };
}

const UptimeRef = builder.objectRef<Uptime>("Uptime").implement({
  description:
    "Uptime per window, read from hourly and daily rollups written with each check (not from the raw history, which is kept only HEALTH_HISTORY_RETENTION_DAYS). Windows are whole UTC buckets including the current, partial one, so each reaches back a little less than its name: up to one hour less for last24h and last7d, up to one day less for last30d. Null: no check in the window",
  fields: (t) => ({
    last24h: t.float({ nullable: true, description: "The current hour and the 23 before it", resolve: (u) => u.last24h }),
    last7d: t.float({ nullable: true, description: "The current hour and the 167 before it", resolve: (u) => u.last7d }),
    last30d: t.float({ nullable: true, description: "Today (UTC) and the 29 days before it", resolve: (u) => u.last30d }),
    checks30d: t.exposeInt("checks30d", { description: "Checks counted in last30d" }),
  }),
});

/** The catalogue's next step for the code (providers/errors.ts), refined with this row's facts. */
export function suggestedAction(
  i: { status: string; healthErrorCode: string | null; nextHealthCheckAt: Date | null; requestedScopes: string[]; grantedScopes: string[] },
  providerName: string,
): string | null {
  if (i.status === "REAUTH_REQUIRED") return "Reconnect";
  if (i.status !== "CONNECTED") return null;
  const code = connectionErrorCode(i.healthErrorCode);
  switch (code) {
    case null:
      return null;
    case "rate_limited":
      return i.nextHealthCheckAt ? `Rate limited until ${i.nextHealthCheckAt.toISOString().slice(11, 16)} UTC; checks resume by themselves` : nextStepFor(code, providerName);
    case "insufficient_scope": {
      const missing = i.requestedScopes.filter((s) => !i.grantedScopes.includes(s));
      return missing.length ? `Reconnect to grant ${missing.join(", ")}` : "Reconnect to grant the scopes the provider asks for";
    }
    default:
      return nextStepFor(code, providerName);
  }
}

const AccountRef = builder.objectRef<AccountDetails>("IntegrationAccount").implement({
  description: "The account at the provider this connection acts for",
  fields: (t) => ({
    id: t.string({ nullable: true, resolve: (a) => a.id ?? null }),
    name: t.string({ nullable: true, resolve: (a) => a.name ?? null }),
    url: t.string({ nullable: true, resolve: (a) => a.url ?? null }),
    user: t.string({ nullable: true, resolve: (a) => a.user ?? null }),
  }),
});

const HealthCheckRef = builder.prismaObject("IntegrationHealthLog", {
  name: "HealthCheck",
  fields: (t) => ({
    id: t.exposeID("id"),
    status: t.expose("status", { type: HealthStatusEnum }),
    trigger: t.expose("trigger", { type: HealthCheckTriggerEnum }),
    latencyMs: t.exposeInt("latencyMs"),
    errorCode: t.field({ type: ConnectionErrorCodeEnum, nullable: true, resolve: (l) => connectionErrorCode(l.errorCode) }),
    message: t.exposeString("message", { nullable: true }),
    checkedAt: t.expose("checkedAt", { type: "DateTime" }),
    steps: t.field({
      type: [CheckStepRef],
      description: "Each layer of the check: token, api, identity, scopes",
      resolve: (log) => (Array.isArray(log.steps) ? (log.steps as unknown as StoredStep[]).filter((s) => s && typeof s.step === "string") : []),
    }),
  }),
});

const IntegrationRef = builder.prismaObject("Integration", {
  authScopes: { permission: { integration: ["read"] } },
  fields: (t) => ({
    id: t.exposeID("id"),
    provider: t.field({
      type: ProviderRef,
      nullable: true,
      description: "Null when the provider was removed from the catalog after connecting",
      resolve: (integration, _args, ctx) => findProvider(ctx.catalog, integration.providerId) ?? null,
    }),
    providerId: t.exposeString("providerId"),
    label: t.string({
      description: "The connection's name on the dashboard: the provider account's name (Slack workspace, HubSpot portal, Google account, Salesforce org) unless someone renamed it (renameIntegration)",
      resolve: (i, _args, ctx) => i.label ?? (i.account as AccountDetails | null)?.name ?? findProvider(ctx.catalog, i.providerId)?.name ?? i.providerId,
    }),
    labelSetByUser: t.exposeBoolean("labelSetByUser", { description: "True after renameIntegration; the label then stays when the account's name changes" }),
    status: t.expose("status", { type: IntegrationStatusEnum }),
    healthStatus: t.expose("healthStatus", { type: HealthStatusEnum }),
    state: t.field({ type: IntegrationStateEnum, description: "The one state to show for this connection", resolve: (i) => integrationState(i) }),
    consecutiveFailures: t.exposeInt("consecutiveFailures", { description: "Failed checks in a row (the card's \"Failing 1 of 3\")" }),
    unhealthyAfter: t.int({ description: "Failed checks in a row that make a connection UNHEALTHY (HEALTH_UNHEALTHY_AFTER)", resolve: (_i, _args, ctx) => ctx.env.HEALTH_UNHEALTHY_AFTER }),
    healthMessage: t.exposeString("healthMessage", { nullable: true }),
    healthErrorCode: t.field({ type: ConnectionErrorCodeEnum, nullable: true, resolve: (i) => connectionErrorCode(i.healthErrorCode) }),
    lastError: t.field({
      type: LastErrorRef,
      nullable: true,
      description: "The current error with the provider's HTTP status, endpoint and own words; null while the connection is fine (healthErrorCode null)",
      resolve: (i, _args, ctx) => (i.healthErrorCode ? ctx.loaders.history.load({ integrationId: i.id, first: 1, before: null }).then((checks) => lastErrorOf(i, checks[0])) : null),
    }),
    lastHealthCheckAt: t.expose("lastHealthCheckAt", { type: "DateTime", nullable: true }),
    nextHealthCheckAt: t.expose("nextHealthCheckAt", { type: "DateTime", nullable: true }),
    connectedAt: t.expose("connectedAt", { type: "DateTime", nullable: true }),
    account: t.field({
      type: AccountRef,
      nullable: true,
      resolve: (integration) => (integration.account && typeof integration.account === "object" ? (integration.account as AccountDetails) : null),
    }),
    org: t.string({
      nullable: true,
      description: "The org this connection signs in to, for providers that ask (Salesforce): production, sandbox or https://NAME.my.salesforce.com; null for the others",
      resolve: (integration, _args, ctx) => {
        if (!findProvider(ctx.catalog, integration.providerId)?.orgLoginUrls) return null;
        const org = (integration.providerConfig as { org?: unknown } | null)?.org;
        return typeof org === "string" ? org : "production";
      },
    }),
    grantedScopes: t.exposeStringList("grantedScopes", { description: "The scopes the provider grants, as it reported them at the last check" }),
    missingScopes: t.stringList({
      description: "Requested scopes the provider did not grant",
      resolve: (integration) => integration.requestedScopes.filter((s) => !integration.grantedScopes.includes(s)),
    }),
    healthHistory: t.field({
      type: [HealthCheckRef],
      description: "Health checks, latest first; page with `before` (the checkedAt of the last one seen)",
      args: { first: t.arg.int({ defaultValue: 20 }), before: t.arg({ type: "DateTime", required: false }) },
      resolve: (integration, args, ctx) =>
        ctx.loaders.history.load({ integrationId: integration.id, first: Math.min(Math.max(args.first ?? 20, 1), 200), before: args.before ?? null }),
    }),
    uptime: t.field({
      type: UptimeRef,
      description: "Share of checks that found the provider answering, per window: a failed token or API call is down even before the thresholds say UNHEALTHY; slow, rate-limited or short-of-scopes answers are up",
      resolve: (integration, _args, ctx) => ctx.loaders.uptime.load(integration.id),
    }),
    incidents: t.relation("incidents", {
      description: "Incidents of this connection, latest first",
      args: { first: t.arg.int({ defaultValue: 20 }) },
      query: (args) => integrationIncidentsQuery(args),
    }),
    suggestedAction: t.string({
      nullable: true,
      description:
        'What to do about the current state, specific to its code: "Reconnect", "Reconnect to grant chat:write", "Rate limited until 12:05 UTC; checks resume by themselves", "Check Slack\'s status page; ..." (with Provider.statusPageUrl to link). Null while the connection is fine or not connected',
      resolve: (i, _args, ctx) => suggestedAction(i, findProvider(ctx.catalog, i.providerId)?.name ?? i.providerId),
    }),
    lastRevocation: t.exposeString("lastRevocation", { nullable: true, description: "ok, no-tokens, or failed:<code> for the last disconnect" }),
  }),
});

/** `totalFromSummary`: the page is the whole workspace and the operation reads integrationCounts too. */
type PageSource = { args: PageArgs; rows: PageRow[]; hasNextPage: boolean; totalFromSummary: boolean };

/** Whether the operation selects the root field `name` (through fragments too; directives aside). */
function selectsRootField(info: GraphQLResolveInfo, name: string): boolean {
  const visit = (set: SelectionSetNode, seen: Set<string>): boolean =>
    set.selections.some((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === name;
      if (s.kind === Kind.INLINE_FRAGMENT) return visit(s.selectionSet, seen);
      if (seen.has(s.name.value)) return false;
      const fragment = info.fragments[s.name.value];
      return fragment ? visit(fragment.selectionSet, new Set([...seen, s.name.value])) : false;
    });
  return visit(info.operation.selectionSet, new Set());
}

const IntegrationFilterInput = builder.inputType("IntegrationFilter", {
  description: "Narrows Query.integrations; every list given must match (an empty or missing list matches all)",
  fields: (t) => ({
    providers: t.idList({ required: false, description: "Provider ids (slack, hubspot, a PROVIDERS_FILE id)" }),
    states: t.field({ type: [IntegrationStateEnum], required: false, description: "The card's one state (Integration.state)" }),
    health: t.field({ type: [HealthStatusEnum], required: false }),
    status: t.field({ type: [IntegrationStatusEnum], required: false }),
  }),
});

const PageInfoRef = builder.objectRef<{ hasNextPage: boolean; endCursor: string | null; startCursor: string | null; hasPreviousPage: boolean }>("PageInfo").implement({
  description: "Relay-style page information",
  fields: (t) => ({
    hasNextPage: t.exposeBoolean("hasNextPage"),
    hasPreviousPage: t.exposeBoolean("hasPreviousPage", { description: "Always false: pages go forward only (first/after)" }),
    startCursor: t.exposeString("startCursor", { nullable: true }),
    endCursor: t.exposeString("endCursor", { nullable: true, description: "Pass as `after` for the next page" }),
  }),
});

const IntegrationEdgeRef = builder.objectRef<{ cursor: string; id: string }>("IntegrationEdge").implement({
  fields: (t) => ({
    cursor: t.exposeString("cursor"),
    node: t.field({ type: IntegrationRef, resolve: (edge, _args, ctx) => ctx.loaders.integrationById.load(edge.id) as never }),
  }),
});

const IntegrationConnectionRef = builder.objectRef<PageSource>("IntegrationConnection");
builder.objectType(IntegrationConnectionRef, {
  description:
    "A page of connections in a stable order (provider, then label case-insensitively, then id). A cursor keeps its place when connections are added or removed before it",
  fields: (t) => ({
    edges: t.field({ type: [IntegrationEdgeRef], resolve: (p) => p.rows }),
    // t.field, not t.prismaField: the rows come from the loader whatever the selection, so the
    // Prisma query a prismaField would plan from the selection on every request is not needed
    // (relations such as `incidents` load through plugin-prisma's fallback either way).
    nodes: t.field({ type: [IntegrationRef], resolve: (p, _args, ctx) => Promise.all(p.rows.map((r) => ctx.loaders.integrationById.load(r.id))) as never }),
    pageInfo: t.field({
      type: PageInfoRef,
      resolve: (p) => ({ hasNextPage: p.hasNextPage, hasPreviousPage: false, startCursor: p.rows[0]?.cursor ?? null, endCursor: p.rows.at(-1)?.cursor ?? null }),
    }),
    totalCount: t.int({
      description: "Connections matching the filter and search, on every page",
      // Unfiltered, it is the sum of the counts per provider; a dashboard reading both gets them
      // from one statement over the workspace instead of two.
      resolve: (p, _args, ctx) => (p.totalFromSummary ? ctx.loaders.summary.load(p.args.workspaceId).then(summaryTotal) : integrationCount(ctx.prisma, p.args)),
    }),
  }),
});

builder.queryField("integrations", (t) =>
  t.field({
    type: IntegrationConnectionRef,
    description:
      "The caller's workspace's connections, a page at a time (since issue 14; it was a plain list before): `integrations(first: 50) { nodes { id label } pageInfo { hasNextPage endCursor } totalCount }`, then `after: endCursor`. `first` defaults to 50, at most 200. `search` matches the label, the account name or id and the provider id (case-insensitive)",
    authScopes: { permission: { integration: ["read"] } },
    args: {
      first: t.arg.int({ required: false, defaultValue: PAGE_DEFAULT }),
      after: t.arg.string({ required: false }),
      filter: t.arg({ type: IntegrationFilterInput, required: false }),
      search: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, ctx, info) => {
      const pageArgs: PageArgs = {
        workspaceId: ctx.viewer.workspaceId,
        first: args.first ?? PAGE_DEFAULT,
        after: args.after ?? null,
        filter: args.filter ? { providers: args.filter.providers?.map(String) ?? null, states: args.filter.states ?? null, health: args.filter.health ?? null, status: args.filter.status ?? null } : null,
        search: args.search ?? null,
      };
      try {
        const page = await integrationPage(ctx.prisma, pageArgs);
        return { args: pageArgs, ...page, totalFromSummary: isWholeWorkspace(pageArgs) && selectsRootField(info, "integrationCounts") };
      } catch (error) {
        if (error instanceof PageInputError) throw clientError("BAD_USER_INPUT", error.message);
        throw error;
      }
    },
  }),
);

builder.queryField("integration", (t) =>
  t.prismaField({
    type: "Integration",
    nullable: true,
    description: "One connection of the caller's workspace; null when it does not exist there",
    authScopes: { permission: { integration: ["read"] } },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = String(args.id);
      if (id.length > 64) throw clientError("BAD_USER_INPUT", "id is too long");
      return ctx.prisma.integration.findFirst({ ...query, where: { id, workspaceId: ctx.viewer.workspaceId } });
    },
  }),
);

const ProviderSummaryRef = builder.objectRef<ProviderSummary>("ProviderConnectionCount").implement({
  description: "How many connections a provider has in the workspace, by state",
  fields: (t) => ({
    providerId: t.exposeString("providerId"),
    provider: t.field({ type: ProviderRef, nullable: true, resolve: (s, _args, ctx) => findProvider(ctx.catalog, s.providerId) ?? null }),
    total: t.exposeInt("total", { description: "Every connection, connected or not" }),
    connected: t.exposeInt("connected", { description: "Connections that are not disconnected" }),
    needsAttention: t.exposeInt("needsAttention", { description: "Connections whose state is FAILING, UNHEALTHY, REAUTH_REQUIRED or MISSING_SCOPES" }),
    states: t.field({
      type: [builder.objectRef<{ state: IntegrationState; count: number }>("IntegrationStateCount").implement({
        fields: (u) => ({ state: u.field({ type: IntegrationStateEnum, resolve: (c) => c.state }), count: u.exposeInt("count") }),
      })],
      resolve: (s) => Object.entries(s.states).map(([state, count]) => ({ state: state as IntegrationState, count: count ?? 0 })),
    }),
  }),
});

builder.queryField("integrationCounts", (t) =>
  t.field({
    type: [ProviderSummaryRef],
    description: "Connections per provider and state in the caller's workspace (the dashboard's groups and summary), whatever page is loaded; providers without connections are left out",
    authScopes: { permission: { integration: ["read"] } },
    resolve: (_root, _args, ctx) => ctx.loaders.summary.load(ctx.viewer.workspaceId),
  }),
);

builder.mutationField("renameIntegration", (t) =>
  t.prismaField({
    type: "Integration",
    description: "Names a connection (members and above); an empty label goes back to the account's name. Audited",
    authScopes: { permission: { integration: ["test"] } },
    args: { id: t.arg.id({ required: true }), label: t.arg.string({ required: true }) },
    resolve: async (query, _root, args, ctx) => {
      const id = String(args.id);
      const label = args.label.trim().replace(/\s+/g, " ");
      if (id.length > 64) throw clientError("BAD_USER_INPUT", "id is too long");
      if (label.length > 80) throw clientError("BAD_USER_INPUT", "A label has at most 80 characters.", undefined, { reason: "label_too_long" });
      if (/[\u0000-\u001f\u007f]/.test(label)) throw clientError("BAD_USER_INPUT", "A label cannot contain control characters.", undefined, { reason: "invalid_label" });
      const row = await ctx.prisma.integration.findFirst({ where: { id, workspaceId: ctx.viewer.workspaceId }, select: { id: true, account: true, label: true, providerId: true } });
      if (!row) throw clientError("NOT_FOUND", "No such integration in this workspace.");
      const accountName = (row.account as AccountDetails | null)?.name ?? null;
      return ctx.prisma.$transaction(async (tx) => {
        const updated = await tx.integration.update({ ...query, where: { id }, data: label ? { label, labelSetByUser: true } : { label: accountName, labelSetByUser: false } });
        await recordAudit(tx, {
          workspaceId: ctx.viewer.workspaceId,
          actorUserId: ctx.viewer.userId,
          actorApiKeyId: ctx.viewer.apiKeyId,
          action: "integration.renamed",
          targetType: "integration",
          targetId: id,
          metadata: { provider: row.providerId, from: row.label, to: label || accountName },
        });
        return updated;
      });
    },
  }),
);
