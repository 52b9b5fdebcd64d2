import type { Prisma } from "../../generated/prisma/client.ts";
import type { CatalogProvider } from "../../providers/catalog.ts";
import { adapterFor, type AccountDetails } from "../../providers/adapters.ts";
import { OutboundError } from "../../http/outbound.ts";
import { OAuthFlowError, oauthErrorCodes, type OAuthErrorCode } from "../oauth/errors.ts";
import { getAccessToken, type RefreshServices } from "../integrations/refresh.ts";

// A check in layers, each with its latency: token (valid, or refreshed), API and identity (the
// provider's identity call answers, for the same account as when connected), scopes (granted
// contains requested). Expected failures are values, not exceptions.

export type StepResult = { step: "token" | "api" | "identity" | "scopes"; ok: boolean; latencyMs: number; code?: string; message?: string };
export type CheckResult = {
  integrationId: string;
  status: "HEALTHY" | "DEGRADED" | "UNHEALTHY" | "UNKNOWN";
  reauthRequired: boolean;
  steps: StepResult[];
  errorCode: OAuthErrorCode | null;
  message: string | null;
  latencyMs: number;
  checkedAt: Date;
};

function codeOf(error: unknown): OAuthErrorCode {
  if (error instanceof OAuthFlowError) return error.code;
  if (error instanceof OutboundError) return error.code === "timeout" ? "timeout" : "network";
  return "provider_error";
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = performance.now();
  try {
    return { value: await fn(), ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { error, ms: Math.round(performance.now() - started) };
  }
}

export async function checkIntegration({
  services,
  provider,
  integrationId,
  trigger,
}: {
  services: RefreshServices;
  provider: CatalogProvider;
  integrationId: string;
  trigger: "SCHEDULED" | "MANUAL" | "CALLBACK";
}): Promise<CheckResult> {
  const { prisma, realtime } = services;
  const started = performance.now();
  const row = await prisma.integration.findUniqueOrThrow({ where: { id: integrationId } });
  const steps: StepResult[] = [];
  let errorCode: OAuthErrorCode | null = null;
  let reauthRequired = false;

  const token = await timed(() => getAccessToken({ services, provider, integrationId }));
  steps.push({ step: "token", ok: !token.error, latencyMs: token.ms, ...(token.error ? { code: codeOf(token.error) } : {}) });
  let account: AccountDetails | undefined;
  if (token.error) {
    errorCode = codeOf(token.error);
    reauthRequired = errorCode === "invalid_grant";
  } else {
    const adapter = adapterFor(provider);
    const tokens = { accessToken: token.value!.accessToken, scopes: row.grantedScopes, extra: (row.providerConfig as Record<string, unknown>) ?? {} };
    let api = await timed(() => adapter.account({ provider, tokens, allowHttp: services.allowHttp }));
    if (api.error && codeOf(api.error) === "token_revoked") {
      // A 401 may only mean the token expired early (Salesforce sessions): refresh once, retry.
      const again = await timed(async () => {
        const fresh = await getAccessToken({ services, provider, integrationId, rejected: tokens.accessToken });
        return adapter.account({ provider, tokens: { ...tokens, accessToken: fresh.accessToken }, allowHttp: services.allowHttp });
      });
      api = { ...again, ms: api.ms + again.ms };
    }
    steps.push({ step: "api", ok: !api.error, latencyMs: api.ms, ...(api.error ? { code: codeOf(api.error) } : {}) });
    if (api.error) {
      errorCode = codeOf(api.error);
      reauthRequired = errorCode === "invalid_grant" || errorCode === "token_revoked";
    } else {
      account = api.value;
      const stored = (row.account ?? {}) as AccountDetails;
      const same = !stored.id || !account?.id || stored.id === account.id;
      steps.push({ step: "identity", ok: same, latencyMs: 0, ...(same ? {} : { code: "identity_changed", message: "the token now belongs to another account" }) });
      if (!same) errorCode = "provider_error";
    }
  }
  const missing = row.requestedScopes.filter((s) => !row.grantedScopes.includes(s));
  steps.push({ step: "scopes", ok: missing.length === 0, latencyMs: 0, ...(missing.length ? { code: "insufficient_scope", message: `missing ${missing.join(", ")}` } : {}) });

  const status: CheckResult["status"] = errorCode ? "UNHEALTHY" : missing.length ? "DEGRADED" : "HEALTHY";
  if (!errorCode && missing.length) errorCode = "insufficient_scope";
  const message = errorCode ? (errorCode === "insufficient_scope" ? `Missing scopes: ${missing.join(", ")}` : oauthErrorCodes[errorCode]) : null;
  const latencyMs = Math.round(performance.now() - started);
  const checkedAt = new Date();
  const newStatus = reauthRequired ? "REAUTH_REQUIRED" : row.status;
  await prisma.$transaction([
    prisma.integration.update({
      where: { id: row.id },
      data: {
        status: newStatus,
        healthStatus: status,
        healthMessage: message,
        healthErrorCode: errorCode,
        lastHealthCheckAt: checkedAt,
        consecutiveFailures: status === "UNHEALTHY" ? { increment: 1 } : 0,
        consecutiveSuccesses: status === "UNHEALTHY" ? 0 : { increment: 1 },
      },
    }),
    prisma.integrationHealthLog.create({
      data: {
        integrationId: row.id,
        workspaceId: row.workspaceId,
        status,
        trigger,
        latencyMs,
        steps: steps as unknown as Prisma.InputJsonValue,
        errorCode,
        message,
        transitionFrom: status !== row.healthStatus ? row.healthStatus : null,
      },
    }),
  ]);
  realtime.publish("health:workspace", row.workspaceId, {
    integrationId: row.id,
    workspaceId: row.workspaceId,
    providerId: row.providerId,
    status: newStatus,
    healthStatus: status,
    healthMessage: message,
    errorCode,
    checkedAt: checkedAt.toISOString(),
    kind: reauthRequired && row.status !== "REAUTH_REQUIRED" ? "reauth_required" : "check",
  });
  return { integrationId: row.id, status, reauthRequired, steps, errorCode, message, latencyMs, checkedAt };
}
