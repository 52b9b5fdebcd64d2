import { builder } from "../builder.ts";
import { clientError } from "../errors.ts";
import { HealthCheckTriggerEnum, HealthStatusEnum, IntegrationStatusEnum } from "./enums.ts";
import { ProviderRef, findProvider } from "./provider.ts";

type AccountDetails = { id?: string; name?: string; url?: string; user?: string };

const AccountRef = builder.objectRef<AccountDetails>("IntegrationAccount").implement({
  description: "The account at the provider this connection acts for",
  fields: (t) => ({
    id: t.string({ nullable: true, resolve: (a) => a.id ?? null }),
    name: t.string({ nullable: true, resolve: (a) => a.name ?? null }),
    url: t.string({ nullable: true, resolve: (a) => a.url ?? null }),
    user: t.string({ nullable: true, resolve: (a) => a.user ?? null }),
  }),
});

builder.prismaObject("IntegrationHealthLog", {
  name: "HealthCheck",
  fields: (t) => ({
    id: t.exposeID("id"),
    status: t.expose("status", { type: HealthStatusEnum }),
    trigger: t.expose("trigger", { type: HealthCheckTriggerEnum }),
    latencyMs: t.exposeInt("latencyMs"),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    message: t.exposeString("message", { nullable: true }),
    checkedAt: t.expose("checkedAt", { type: "DateTime" }),
  }),
});

builder.prismaObject("Integration", {
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
    status: t.expose("status", { type: IntegrationStatusEnum }),
    healthStatus: t.expose("healthStatus", { type: HealthStatusEnum }),
    healthMessage: t.exposeString("healthMessage", { nullable: true }),
    healthErrorCode: t.exposeString("healthErrorCode", { nullable: true }),
    lastHealthCheckAt: t.expose("lastHealthCheckAt", { type: "DateTime", nullable: true }),
    nextHealthCheckAt: t.expose("nextHealthCheckAt", { type: "DateTime", nullable: true }),
    connectedAt: t.expose("connectedAt", { type: "DateTime", nullable: true }),
    account: t.field({
      type: AccountRef,
      nullable: true,
      resolve: (integration) => (integration.account && typeof integration.account === "object" ? (integration.account as AccountDetails) : null),
    }),
    grantedScopes: t.exposeStringList("grantedScopes"),
    missingScopes: t.stringList({
      description: "Requested scopes the provider did not grant",
      resolve: (integration) => integration.requestedScopes.filter((s) => !integration.grantedScopes.includes(s)),
    }),
    healthHistory: t.relation("healthLogs", {
      description: "Latest health checks first",
      args: { first: t.arg.int({ defaultValue: 20 }) },
      query: (args) => ({ orderBy: { checkedAt: "desc" }, take: Math.min(Math.max(args.first ?? 20, 1), 200) }),
    }),
  }),
});

builder.queryField("integrations", (t) =>
  t.prismaField({
    type: ["Integration"],
    description: "Every connection of the caller's workspace",
    authScopes: { permission: { integration: ["read"] } },
    resolve: (query, _root, _args, ctx) =>
      ctx.prisma.integration.findMany({ ...query, where: { workspaceId: ctx.viewer.workspaceId }, orderBy: { providerId: "asc" } }),
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
