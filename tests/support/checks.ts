import type { PrismaClient } from "../../api/src/generated/prisma/client.ts";
import type { Probe } from "../../api/src/domain/health/check-integration.ts";
import { writeChecks } from "../../api/src/domain/health/record.ts";

// Checks with known times and outcomes, written through the product's own check writer
// (record.ts: history row, rollups and incidents in one statement), for tests of what is
// computed from them.

export type TestCheck = {
  integrationId: string;
  workspaceId: string;
  providerId?: string;
  at: Date;
  /** null: the provider answered; an answering code (slow, ...) or a failure code otherwise */
  errorCode?: string | null;
  latencyMs?: number;
  status?: "HEALTHY" | "DEGRADED" | "UNHEALTHY";
};

const FAILURES = new Set(["timeout", "network", "provider_error", "invalid_grant", "token_revoked"]);

export function testProbe(c: TestCheck): Probe {
  const code = c.errorCode ?? null;
  const failed = code !== null && FAILURES.has(code);
  return {
    result: {
      integrationId: c.integrationId,
      workspaceId: c.workspaceId,
      providerId: c.providerId ?? "slack",
      status: c.status ?? (code === null ? "HEALTHY" : "DEGRADED"),
      outcome: failed ? "failure" : code === null ? "ok" : "degraded",
      transition: null,
      reauthRequired: false,
      steps: [{ step: "api", ok: !failed, latencyMs: c.latencyMs ?? 100 }],
      errorCode: code as Probe["result"]["errorCode"],
      message: code,
      latencyMs: c.latencyMs ?? 100,
      checkedAt: c.at,
      nextCheckAt: new Date(c.at.getTime() + 300_000),
      accountName: null,
    },
    trigger: "SCHEDULED",
    newStatus: "CONNECTED",
    counters: { consecutiveFailures: failed ? 1 : 0, consecutiveSuccesses: failed ? 0 : 1 },
    transitionFrom: null,
    account: null,
    grantedScopes: null,
    generation: 0,
  };
}

/** Writes the checks as one batch (one statement), as a sweep's recorder does. */
export function writeTestChecks(prisma: PrismaClient, checks: TestCheck[]): Promise<Set<string>> {
  return writeChecks(prisma, checks.map(testProbe));
}
