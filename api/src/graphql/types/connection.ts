import pLimit from "p-limit";
import { builder } from "../builder.ts";
import { clientError } from "../errors.ts";
import type { Context } from "../context.ts";
import { findProvider } from "./provider.ts";
import { ConnectionErrorCodeEnum, HealthStatusEnum } from "./enums.ts";
import { connectionErrorCode } from "../../providers/errors.ts";
import { beginConnection, completeConnection } from "../../domain/oauth/flow.ts";
import { BINDING_COOKIE, BINDING_COOKIE_PATH, STATE_TTL_MS } from "../../domain/oauth/state.ts";
import { OAuthFlowError } from "../../providers/errors.ts";
import { disconnectIntegration, type DisconnectResult } from "../../domain/integrations/disconnect.ts";
import { checkIntegration, type CheckResult, type StepResult } from "../../domain/health/check-integration.ts";
import { notifyCheckResults } from "../../domain/health/notify.ts";
import { recordAudit } from "../../domain/integrations/audit.ts";

// Connect, complete, disconnect and test. The REST routes of the web app
// (/api/integrations/oauth/authorize and /callback/:provider) call the first two; tokens and
// client secrets never leave this process.

function bindingCookie(ctx: Context, value: string, maxAgeSeconds: number): string {
  const secure = ctx.env.PUBLIC_URL.startsWith("https://") ? "; Secure" : "";
  return `${BINDING_COOKIE}=${value}; Path=${BINDING_COOKIE_PATH}; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure}`;
}

function providerOrThrow(ctx: Context, id: string) {
  const provider = findProvider(ctx.catalog, id);
  if (!provider) throw clientError("BAD_USER_INPUT", `No provider "${id.slice(0, 40)}".`, undefined, { reason: "unknown_provider" });
  return provider;
}

const ConnectPayload = builder.objectRef<{ authorizationUrl: string }>("ConnectIntegrationPayload").implement({
  fields: (t) => ({
    authorizationUrl: t.exposeString("authorizationUrl", { description: "Send the browser here; the flow is bound to this browser by an httpOnly cookie set on this response" }),
  }),
});

builder.mutationField("connectIntegration", (t) =>
  t.field({
    type: ConnectPayload,
    description: "Start connecting a provider (owners and admins)",
    authScopes: { permission: { integration: ["connect"] } },
    args: {
      provider: t.arg.id({ required: true }),
      returnTo: t.arg.string({ required: false, description: "A path on this site to come back to" }),
      org: t.arg.string({
        required: false,
        description:
          "Which org, for providers whose `orgChoice` is true (Salesforce): `production` (default, login.salesforce.com), `sandbox` (test.salesforce.com) or a My Domain (`acme`, `acme--uat.sandbox` or `https://acme.my.salesforce.com`). Refused with reason `invalid_org` otherwise. A reconnect without it uses the connection's own org.",
      }),
      integrationId: t.arg.id({
        required: false,
        description:
          "Reconnect this connection (of the caller's workspace and this provider). The person must sign in to the same provider account; another account is refused (`?error=account_mismatch`, nothing changes). Without it, a new connection is added, unless the account is already connected here: then that connection is renewed, never duplicated.",
      }),
    },
    resolve: async (_root, args, ctx) => {
      const provider = providerOrThrow(ctx, String(args.provider));
      if (args.org && args.org.length > 200) throw clientError("BAD_USER_INPUT", "org is too long", undefined, { reason: "invalid_org" });
      try {
        const started = await beginConnection({
          services: ctx,
          provider,
          workspaceId: ctx.viewer.workspaceId,
          userId: ctx.viewer.userId,
          returnTo: args.returnTo,
          org: args.org,
          integrationId: args.integrationId == null ? null : String(args.integrationId),
          binding: ctx.cookies.get(BINDING_COOKIE),
        });
        ctx.cookies.set(bindingCookie(ctx, started.binding, STATE_TTL_MS / 1000));
        return { authorizationUrl: started.authorizationUrl };
      } catch (error) {
        if (error instanceof OAuthFlowError && error.code === "not_configured") {
          throw clientError("PROVIDER_NOT_CONFIGURED", `${provider.name} has no client credentials on this server. Register ${provider.redirectUri} at ${provider.name} and set its client id and secret.`);
        }
        if (error instanceof OAuthFlowError && error.code === "unknown_connection") throw clientError("NOT_FOUND", `No ${provider.name} connection with that id in this workspace.`, undefined, { reason: error.code });
        if (error instanceof OAuthFlowError && error.code === "invalid_org") throw clientError("BAD_USER_INPUT", error.providerMessage ?? error.message, undefined, { reason: error.code });
        if (error instanceof OAuthFlowError) throw clientError("BAD_USER_INPUT", error.message, undefined, { reason: error.code });
        throw error;
      }
    },
  }),
);

const CompletionPayload = builder.objectRef<{ redirectTo: string; errorCode: string | null; integrationId: string | null }>("CompleteIntegrationConnectionPayload").implement({
  fields: (t) => ({
    redirectTo: t.exposeString("redirectTo", { description: "A path on this site: the dashboard with ?connected= or ?error=" }),
    errorCode: t.field({ type: ConnectionErrorCodeEnum, nullable: true, description: "Why the connection failed (the redirect's ?error= carries the lower-case value)", resolve: (p) => connectionErrorCode(p.errorCode) }),
    integrationId: t.exposeID("integrationId", { nullable: true }),
  }),
});

builder.mutationField("completeIntegrationConnection", (t) =>
  t.field({
    type: CompletionPayload,
    description: "Finish a connection with the provider's redirect parameters (used by /api/integrations/oauth/callback/:provider)",
    authScopes: { permission: { integration: ["read"] } },
    args: { provider: t.arg.id({ required: true }), callbackQuery: t.arg.string({ required: true, description: "The query string the provider redirected with" }) },
    resolve: async (_root, args, ctx) => {
      if (args.callbackQuery.length > 8192) throw clientError("BAD_USER_INPUT", "callbackQuery is too long");
      const providerId = String(args.provider);
      const provider = findProvider(ctx.catalog, providerId);
      // The binding cookie has done its work, whatever the outcome.
      ctx.cookies.set(bindingCookie(ctx, "", 0));
      if (!provider) return { redirectTo: `/dashboard/integrations?error=unknown_provider`, errorCode: "unknown_provider", integrationId: null };
      const outcome = await completeConnection({
        services: ctx,
        provider,
        params: new URLSearchParams(args.callbackQuery.replace(/^\?/, "")),
        binding: ctx.cookies.get(BINDING_COOKIE) ?? null,
        userId: ctx.viewer.via === "session" ? ctx.viewer.userId : null,
      });
      return { redirectTo: outcome.redirectTo, errorCode: outcome.error ?? null, integrationId: outcome.integrationId ?? null };
    },
  }),
);

const DisconnectPayload = builder.objectRef<DisconnectResult & { integrationId: string }>("DisconnectIntegrationPayload").implement({
  fields: (t) => ({
    disconnected: t.exposeBoolean("disconnected", { description: "Tokens deleted; false when revocation failed and forget was not asked" }),
    revoked: t.exposeBoolean("revoked", { description: "The provider confirmed the revocation, or said the grant was already revoked" }),
    alreadyRevoked: t.exposeBoolean("alreadyRevoked", { description: "The provider said the grant was already revoked there (the person removed the app's access at the provider); the disconnect completed" }),
    revocationError: t.field({ type: ConnectionErrorCodeEnum, nullable: true, resolve: (r) => connectionErrorCode(r.revocationError) }),
    revocationMessage: t.exposeString("revocationMessage", { nullable: true }),
    integration: t.prismaField({
      type: "Integration",
      resolve: (query, result, _args, ctx) => ctx.prisma.integration.findUniqueOrThrow({ ...query, where: { id: result.integrationId } }),
    }),
  }),
});

builder.mutationField("disconnectIntegration", (t) =>
  t.field({
    type: DisconnectPayload,
    description: "Revoke at the provider, then delete the tokens (owners and admins). History stays.",
    authScopes: { permission: { integration: ["disconnect"] } },
    args: {
      id: t.arg.id({ required: true }),
      forget: t.arg.boolean({ required: false, defaultValue: false, description: "Delete the tokens even when the provider could not revoke them" }),
    },
    resolve: async (_root, args, ctx) => {
      const id = String(args.id);
      const row = await ctx.prisma.integration.findFirst({ where: { id, workspaceId: ctx.viewer.workspaceId }, select: { providerId: true } });
      if (!row) throw clientError("NOT_FOUND", "No such integration in this workspace.");
      const result = await disconnectIntegration({
        services: ctx,
        provider: findProvider(ctx.catalog, row.providerId),
        integrationId: id,
        workspaceId: ctx.viewer.workspaceId,
        actor: { userId: ctx.viewer.userId, apiKeyId: ctx.viewer.apiKeyId },
        forget: args.forget ?? false,
      });
      if (!result) throw clientError("NOT_FOUND", "No such integration in this workspace.");
      return { ...result, integrationId: id };
    },
  }),
);

const StepRef = builder.objectRef<StepResult>("HealthCheckStep").implement({
  description: "One layer of the check just run",
  fields: (t) => ({
    step: t.exposeString("step", { description: "token | api | identity | scopes" }),
    ok: t.exposeBoolean("ok"),
    latencyMs: t.exposeInt("latencyMs"),
    code: t.field({ type: ConnectionErrorCodeEnum, nullable: true, resolve: (s) => connectionErrorCode(s.code) }),
    message: t.exposeString("message", { nullable: true }),
    httpStatus: t.int({ nullable: true, description: "The provider's HTTP status when this step failed on an answer (null for network errors and timeouts)", resolve: (s) => s.httpStatus ?? null }),
    endpoint: t.string({ nullable: true, description: 'The provider call that failed: method and path on the provider\'s host ("POST /api/auth.test"), never a query string', resolve: (s) => s.endpoint ?? null }),
    providerMessage: t.string({ nullable: true, description: "The provider's own error text, as it sent it (up to 300 characters)", resolve: (s) => s.providerMessage ?? null }),
  }),
});

const TestPayload = builder.objectRef<CheckResult>("TestIntegrationPayload").implement({
  fields: (t) => ({
    status: t.field({ type: HealthStatusEnum, resolve: (r) => r.status }),
    steps: t.field({ type: [StepRef], resolve: (r) => r.steps }),
    errorCode: t.field({ type: ConnectionErrorCodeEnum, nullable: true, resolve: (r) => connectionErrorCode(r.errorCode) }),
    message: t.exposeString("message", { nullable: true }),
    latencyMs: t.exposeInt("latencyMs"),
    checkedAt: t.expose("checkedAt", { type: "DateTime" }),
    integration: t.prismaField({
      type: "Integration",
      resolve: (query, result, _args, ctx) => ctx.prisma.integration.findUniqueOrThrow({ ...query, where: { id: result.integrationId } }),
    }),
  }),
});

builder.mutationField("testIntegration", (t) =>
  t.field({
    type: TestPayload,
    description: "Run a health check now and return it (members and above)",
    authScopes: { permission: { integration: ["test"] } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const row = await ctx.prisma.integration.findFirst({ where: { id: String(args.id), workspaceId: ctx.viewer.workspaceId } });
      if (!row) throw clientError("NOT_FOUND", "No such integration in this workspace.");
      if (row.status === "DISCONNECTED" || !row.accessTokenEnc) throw clientError("BAD_USER_INPUT", "This integration is not connected.");
      const provider = findProvider(ctx.catalog, row.providerId);
      if (!provider) throw clientError("BAD_USER_INPUT", "The provider of this integration is no longer configured.");
      const result = await checkIntegration({ services: ctx, provider, integrationId: row.id, trigger: "MANUAL" });
      await notifyCheckResults({ prisma: ctx.prisma, logger: ctx.logger, results: [result] });
      await recordAudit(ctx.prisma, { workspaceId: ctx.viewer.workspaceId, actorUserId: ctx.viewer.userId, actorApiKeyId: ctx.viewer.apiKeyId, action: "integration.tested", targetType: "integration", targetId: row.id, metadata: { provider: row.providerId, status: result.status } });
      return result;
    },
  }),
);

builder.mutationField("testAllIntegrations", (t) =>
  t.field({
    type: [TestPayload],
    description: "Check every connected integration of the workspace now (members and above); results in provider order",
    authScopes: { permission: { integration: ["test"] } },
    resolve: async (_root, _args, ctx) => {
      const rows = await ctx.prisma.integration.findMany({
        where: { workspaceId: ctx.viewer.workspaceId, status: { in: ["CONNECTED", "REAUTH_REQUIRED"] }, accessTokenEnc: { not: null } },
        select: { id: true, providerId: true },
        orderBy: { providerId: "asc" },
      });
      const limit = pLimit(ctx.env.HEALTH_CHECK_CONCURRENCY);
      const results = await Promise.all(
        rows.map((row) =>
          limit(async () => {
            const provider = findProvider(ctx.catalog, row.providerId);
            return provider ? checkIntegration({ services: ctx, provider, integrationId: row.id, trigger: "MANUAL" }) : null;
          }),
        ),
      );
      const done = results.filter((r): r is CheckResult => r !== null);
      await notifyCheckResults({ prisma: ctx.prisma, logger: ctx.logger, results: done });
      return done;
    },
  }),
);
