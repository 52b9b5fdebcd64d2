import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Logger } from "../../logger.ts";
import { emitWorkspaceEvent, summarizeSweep, type SweepResult } from "../webhooks/index.ts";
import type { CheckResult } from "./check-integration.ts";

function toSweepResult(r: CheckResult): SweepResult {
  return {
    workspaceId: r.workspaceId,
    integrationId: r.integrationId,
    providerId: r.providerId,
    transition: r.transition,
    failed: r.outcome === "failure" || r.outcome === "auth_failure",
    healthStatus: r.status,
    message: r.message,
    errorCode: r.errorCode,
    accountName: r.accountName,
  };
}

/**
 * Turns check results into webhook events. Across a whole sweep, so that an outage at a
 * provider becomes one provider.incident per workspace instead of one event per connection.
 */
export async function notifyCheckResults({ prisma, logger, results }: { prisma: PrismaClient; logger: Logger; results: CheckResult[] }): Promise<number> {
  const planned = summarizeSweep(results.map(toSweepResult), { scope: "sweep" });
  let queued = 0;
  for (const event of planned) {
    try {
      queued += await emitWorkspaceEvent({ prisma, workspaceId: event.workspaceId, type: event.type, data: event.data });
    } catch (error) {
      logger.error({ err: error, type: event.type }, "could not queue a webhook event");
    }
  }
  return queued;
}
