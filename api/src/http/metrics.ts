import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { PrismaClient } from "../generated/prisma/client.ts";

// Prometheus metrics, one registry per app (tests run several apps in one process).

export type Metrics = {
  registry: Registry;
  checkCompleted(provider: string, result: string, seconds: number): void;
  sweepCompleted(seconds: number): void;
  subscriptionOpened(): void;
  subscriptionClosed(): void;
  /** Where the count of distinct subscription executions comes from (the graphql-ws server). */
  countSubscriptionExecutionsWith(source: () => number): void;
  /** A proxied call answered (status class 2xx … 5xx, or "error" when the proxy answered for a provider that did not). */
  proxyCompleted(provider: string, statusClass: string, seconds: number): void;
  /** A proxied call's token was refreshed because the provider refused it (result: ok | failed). */
  proxyRefreshed(provider: string, result: "ok" | "failed"): void;
};

export function createMetrics({ prisma }: { prisma: PrismaClient }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "switchboard_process_" });
  const checks = new Counter({ name: "switchboard_health_checks_total", help: "Health checks by provider and result", labelNames: ["provider", "result"], registers: [registry] });
  const latency = new Histogram({
    name: "switchboard_health_check_duration_seconds",
    help: "Health check latency",
    labelNames: ["provider"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const sweep = new Histogram({ name: "switchboard_health_sweep_duration_seconds", help: "Duration of one scheduler sweep", buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60], registers: [registry] });
  const subscriptions = new Gauge({ name: "switchboard_graphql_subscriptions_open", help: "Open GraphQL subscriptions on this process", registers: [registry] });
  const proxyCalls = new Counter({ name: "switchboard_proxy_calls_total", help: "Proxied calls by provider and status class (error: the proxy answered for the provider: timeout, unreachable, too large)", labelNames: ["provider", "class"], registers: [registry] });
  const proxyLatency = new Histogram({
    name: "switchboard_proxy_call_duration_seconds",
    help: "Proxied calls: time until the provider's status and headers (the body streams after)",
    labelNames: ["provider"],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const proxyRefreshes = new Counter({ name: "switchboard_proxy_refreshes_total", help: "Token refreshes after a provider refused a proxied call's token, by result", labelNames: ["provider", "result"], registers: [registry] });
  let executionsSource: () => number = () => 0;
  new Gauge({
    name: "switchboard_graphql_subscription_executions",
    help: "Distinct subscription executions on this process; subscribers of one operation, variables, workspace and role share one",
    registers: [registry],
    collect() {
      this.set(executionsSource());
    },
  });
  new Gauge({
    name: "switchboard_health_oldest_overdue_seconds",
    help: "Age of the oldest connected integration whose check is overdue (0 when none)",
    registers: [registry],
    async collect() {
      const rows = await prisma.$queryRaw<{ age: number | null }[]>`
        SELECT EXTRACT(EPOCH FROM (now() - min("nextHealthCheckAt")))::float8 AS age
        FROM "integration" WHERE status = 'CONNECTED' AND "nextHealthCheckAt" < now()`.catch(() => [{ age: null }]);
      this.set(Math.max(0, rows[0]?.age ?? 0));
    },
  });
  return {
    registry,
    checkCompleted: (provider, result, seconds) => {
      checks.inc({ provider, result });
      latency.observe({ provider }, seconds);
    },
    sweepCompleted: (seconds) => sweep.observe(seconds),
    subscriptionOpened: () => subscriptions.inc(),
    subscriptionClosed: () => subscriptions.dec(),
    countSubscriptionExecutionsWith: (source) => {
      executionsSource = source;
    },
    proxyCompleted: (provider, statusClass, seconds) => {
      proxyCalls.inc({ provider, class: statusClass });
      proxyLatency.observe({ provider }, seconds);
    },
    proxyRefreshed: (provider, result) => proxyRefreshes.inc({ provider, result }),
  };
}

/**
 * /metrics tells whoever reads it the instance's providers, volumes and timings. With
 * METRICS_TOKEN set it needs `Authorization: Bearer <token>`; in production it is refused
 * outright without one, so a deployment never publishes it by accident. Outside production,
 * without a token, it stays open for a laptop's Prometheus.
 */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse, { metrics, token, production }: { metrics: Metrics; token?: string; production: boolean }): Promise<void> {
  if (!token && production) {
    return refuse(res, 403, "Metrics are off: in production /metrics needs METRICS_TOKEN (then send Authorization: Bearer <METRICS_TOKEN>).\n");
  }
  if (token && !sameToken(bearer(req.headers.authorization), token)) {
    return refuse(res, 401, "Send Authorization: Bearer <METRICS_TOKEN> to read /metrics.\n", { "www-authenticate": 'Bearer realm="metrics"' });
  }
  const body = await metrics.registry.metrics();
  res.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" });
  res.end(body);
}

function refuse(res: ServerResponse, status: 401 | 403, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(text);
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? "")?.[1];
}

/** Compares through hashes, so neither the length nor a prefix of the token leaks through timing. */
function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(expected).digest());
}
