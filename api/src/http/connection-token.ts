import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../graphql/context.ts";
import { getAccessToken } from "../domain/integrations/refresh.ts";
import { recordAudit } from "../domain/integrations/audit.ts";
import { OAuthFlowError } from "../providers/errors.ts";
import { OutboundError } from "./outbound.ts";
import { keyCaller, sendJson } from "./key-caller.ts";

// POST /api/connections/{integrationId}/token: a connection's fresh access token for a service
// that must call the provider itself (issue 15). Only an API key with the `credentials`
// permission (owners' and admins' keys), never a cookie session and never GraphQL, so a
// browser never holds a provider token. The token is refreshed first when it is inside its
// refresh margin (the single-flight refresh every check uses). Every read is audited, and
// reads are limited per key (CREDENTIALS_READS_PER_MINUTE, per process).

export const CONNECTION_TOKEN_PATH = /^\/api\/connections\/([^/]{1,64})\/token$/;

type Window = { started: number; count: number };

export function createConnectionTokenRoute(services: Services) {
  const perMinute = services.env.CREDENTIALS_READS_PER_MINUTE;
  const windows = new Map<string, Window>();

  /** A fixed one-minute window per key; the Retry-After when it is spent. */
  function spend(keyId: string, now = Date.now()): number | null {
    const w = windows.get(keyId);
    if (!w || now - w.started >= 60_000) {
      if (windows.size > 10_000) windows.clear();
      windows.set(keyId, { started: now, count: 1 });
      return null;
    }
    if (w.count >= perMinute) return Math.max(1, Math.ceil((w.started + 60_000 - now) / 1000));
    w.count++;
    return null;
  }

  return async function serveConnectionToken(req: IncomingMessage, res: ServerResponse, integrationId: string): Promise<void> {
    if (req.method !== "POST") return sendJson(res, 405, { error: "method_not_allowed", message: "POST to read a connection's token." }, { allow: "POST" });
    const caller = await keyCaller({ auth: services.auth, prisma: services.prisma, req, need: "credentials" });
    if (!caller.ok) return sendJson(res, caller.status, caller.body, caller.headers);
    const { viewer } = caller;
    const row = await services.prisma.integration.findFirst({ where: { id: integrationId, workspaceId: viewer.workspaceId }, select: { id: true, providerId: true, status: true } });
    if (!row) return sendJson(res, 404, { error: "not_found", message: "No such connection in this API key's workspace." });
    const wait = spend(viewer.apiKeyId!);
    if (wait !== null) return sendJson(res, 429, { error: "rate_limited", message: `At most ${perMinute} credential reads a minute per API key; try again in ${wait} s.` }, { "retry-after": String(wait) });
    const provider = services.catalog.find((p) => p.id === row.providerId);
    if (!provider) return sendJson(res, 409, { error: "unknown_provider", message: `The provider ${row.providerId} is no longer configured on this server.` });
    if (row.status === "DISCONNECTED") return sendJson(res, 409, { error: "not_connected", message: "The connection is disconnected: connect it again on the dashboard." });
    let token;
    try {
      token = await getAccessToken({ services, provider, integrationId: row.id });
    } catch (error) {
      if (error instanceof OAuthFlowError && error.code === "invalid_grant") return sendJson(res, 409, { error: "reauth_required", message: `${provider.name} no longer accepts this connection's grant: reconnect it on the dashboard.` });
      if (error instanceof OutboundError || error instanceof OAuthFlowError) {
        services.logger.warn({ integrationId: row.id, provider: row.providerId, errorCode: error instanceof OAuthFlowError ? error.code : error.code }, "a credentials read could not refresh the token");
        return sendJson(res, 502, { error: "refresh_failed", message: `${provider.name} did not refresh the token; try again shortly.` });
      }
      throw error;
    }
    const fresh = await services.prisma.integration.findUniqueOrThrow({ where: { id: row.id }, select: { tokenExpiresAt: true, providerConfig: true } });
    await recordAudit(services.prisma, {
      workspaceId: viewer.workspaceId,
      actorUserId: viewer.userId,
      actorApiKeyId: viewer.apiKeyId,
      action: "integration.credentials_read",
      targetType: "integration",
      targetId: row.id,
      metadata: { provider: row.providerId, refreshed: token.refreshed },
    });
    const instanceUrl = (fresh.providerConfig as { instance_url?: unknown } | null)?.instance_url;
    sendJson(
      res,
      200,
      {
        access_token: token.accessToken,
        token_type: "Bearer",
        expires_at: fresh.tokenExpiresAt ? fresh.tokenExpiresAt.toISOString() : null,
        ...(row.providerId === "salesforce" && typeof instanceUrl === "string" ? { instance_url: instanceUrl } : {}),
      },
      { pragma: "no-cache" },
    );
  };
}
