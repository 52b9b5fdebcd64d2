import { createRequire } from "node:module";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { freePort } from "../../support/app.ts";
import { startHost, type Host } from "../lib/child.ts";
import type { RunContext } from "../lib/context.ts";
import { combine, load, type LoadResult } from "../lib/load.ts";

// Benchmark 1: the dashboard's page of connections with health history, through the whole
// product (yoga, Pothos, better-auth, one app process) against a bare node:http handler sending
// the same SQL (hosts/bare-read-host.ts, built with the product's own SQL builders). Both run in
// child processes, one at a time, alternating, under the same closed-loop load from autocannon
// in this process.

/**
 * The dashboard's query (web/src/lib/graphql/documents.ts DASHBOARD_QUERY, printed), pinned here
 * so the baseline (hosts/bare-read-host.ts) answers exactly these fields: the catalog, the first
 * page of connections with every card field, and the per-provider counts. `webDashboardQuery()`
 * says whether the web still sends this text; the run reports it. `first` is a variable there:
 * as the literal 50, graphql-armor's cost rule (api/src/graphql/yoga.ts, maxCost 5000) would
 * multiply the selection's cost by it and refuse the document.
 */
export const DASHBOARD_QUERY = `query Dashboard($first: Int!, $after: String, $filter: IntegrationFilter, $search: String) {
  providers {
    ...ProviderFields
  }
  integrations(first: $first, after: $after, filter: $filter, search: $search) {
    ...IntegrationPageFields
  }
  integrationCounts {
    ...ConnectionCountFields
  }
}

fragment ProviderFields on Provider {
  id
  name
  description
  configured
  sandbox
  redirectUri
  scopes
  type
  orgChoice
}

fragment IntegrationPageFields on IntegrationConnection {
  nodes {
    ...IntegrationFields
  }
  pageInfo {
    hasNextPage
    endCursor
  }
  totalCount
}

fragment IntegrationFields on Integration {
  id
  providerId
  label
  status
  healthStatus
  state
  consecutiveFailures
  unhealthyAfter
  healthMessage
  lastHealthCheckAt
  nextHealthCheckAt
  uptime {
    last24h
  }
  account {
    id
    name
    url
  }
  grantedScopes
  missingScopes
  suggestedAction
  lastError {
    code
    message
    step
    httpStatus
    endpoint
    providerMessage
    at
  }
  recentChecks: healthHistory(first: 30) {
    id
    status
    checkedAt
    latencyMs
    errorCode
  }
  provider {
    id
    statusPageUrl
  }
  org
}

fragment ConnectionCountFields on ProviderConnectionCount {
  providerId
  total
  connected
  needsAttention
  states {
    state
    count
  }
}`;

/** The web's DASHBOARD_QUERY as printed now (null when documents.ts cannot be read). */
export async function webDashboardQuery(): Promise<string | null> {
  try {
    const { print } = createRequire(join(import.meta.dirname, "../../../api/package.json"))("graphql") as typeof import("graphql");
    const docs = (await import(join(import.meta.dirname, "../../../web/src/lib/graphql/documents.ts"))) as Record<string, unknown>;
    return docs.DASHBOARD_QUERY ? print(docs.DASHBOARD_QUERY as never) : null;
  } catch {
    return null;
  }
}

/** An API client's page: the card data with recent checks, `after` = the last page's endCursor. */
export const CONNECTIONS_PAGE_QUERY = `query ConnectionsPage($first: Int!, $after: String) {
  integrations(first: $first, after: $after) {
    nodes {
      id providerId label status healthStatus healthMessage lastHealthCheckAt
      account { id name url }
      grantedScopes missingScopes suggestedAction
      healthHistory(first: 10) { id status trigger latencyMs errorCode message checkedAt }
    }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}`;

export const dashboardBody = () => JSON.stringify({ query: DASHBOARD_QUERY, operationName: "Dashboard", variables: { first: 50 } });
export const pageBody = (first: number, after: string | null) => JSON.stringify({ query: CONNECTIONS_PAGE_QUERY, operationName: "ConnectionsPage", variables: { first, after } });

/**
 * The request bodies that read every page of a workspace, in order, following the product's
 * own cursors (each connection of the load cycles through them).
 */
export async function allPageBodies(url: string, headers: Record<string, string>, first: number): Promise<string[]> {
  const bodies: string[] = [];
  let after: string | null = null;
  for (;;) {
    const body = pageBody(first, after);
    bodies.push(body);
    const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const json = (await res.json()) as { data?: { integrations: { pageInfo: { hasNextPage: boolean; endCursor: string | null } } }; errors?: unknown };
    if (!json.data) throw new Error(`paging: ${JSON.stringify(json).slice(0, 300)}`);
    if (!json.data.integrations.pageInfo.hasNextPage) return bodies;
    after = json.data.integrations.pageInfo.endCursor;
    if (bodies.length > 1000) throw new Error("paging does not end");
  }
}

export type ReadCase = {
  /** small: the dashboard's page of a small workspace; large: every page of 1,000 connections (API); page: the first page of a 10,000-connection workspace */
  kind: "small" | "large" | "page";
  name: string;
  headers: Record<string, string>;
  /** autocannon connections */
  connections: number;
  /** The requests of one round; with several, each connection cycles through them in order. */
  bodies: string[];
  /** What the product's answers must hold (besides equalling the baseline's): null when right. */
  check: (answers: any[]) => string | null;
  /** Requests per round instead of a duration, for answers that take long. */
  amount?: number;
  /** The row's targets: requests/s at least, p95 and p99 at most, as ratios to the baseline. */
  target: { rps: number; p95: number; p99: number };
};
export type ReadResult = { kind: ReadCase["kind"]; name: string; system: LoadResult; baseline: LoadResult; connections: number; bytes: number; requests: number; target: ReadCase["target"] };

export async function benchGraphqlRead(
  ctx: RunContext,
  app: Host & { url: string },
  cases: ReadCase[],
  options: { seconds: number; rounds: number; warmupSeconds: number; /** CPU-profile both servers over the measured rounds (app.cpuprofile, bare.cpuprofile). */ profileDir?: string },
): Promise<ReadResult[]> {
  const port = await freePort();
  // The baseline checks the session cookie's signature too, so it needs the secret that signs it.
  // It answers `providers` from the same catalog (PROVIDERS_FILE, and PUBLIC_URL for redirectUri).
  const bare = await startHost("bare-read", "bare-read-host.ts", { PORT: String(port), DATABASE_URL: ctx.tdb.url, AUTH_SECRET: ctx.secrets.AUTH_SECRET, PROVIDERS_FILE: ctx.catalogFile, PUBLIC_URL: app.url });
  ctx.hosts.add(bare);
  const bareUrl = `http://127.0.0.1:${port}`;
  const out: ReadResult[] = [];
  try {
    for (const c of cases) {
      const headers = { "content-type": "application/json", ...c.headers };
      // Both answer the same thing, or the comparison means nothing.
      const answers: unknown[] = [];
      for (const body of c.bodies) {
        const [a, b] = await Promise.all([app.url, bareUrl].map(async (u) => (await fetch(`${u}/graphql`, { method: "POST", headers, body })).json()));
        if ((a as any).errors || !isDeepStrictEqual(a, b)) throw new Error(`${c.name}: the product and the baseline answered differently: ${JSON.stringify(a).slice(0, 600)} vs ${JSON.stringify(b).slice(0, 600)}`);
        answers.push((a as any).data);
      }
      const wrong = c.check(answers);
      if (wrong) throw new Error(`${c.name}: ${wrong}`);
      const run = (u: string, seconds: number) =>
        load({ url: `${u}/graphql`, headers, bodies: c.bodies, connections: c.connections, seconds, amount: c.amount ? (seconds === options.warmupSeconds ? c.connections * c.bodies.length : c.amount) : undefined });
      await run(bareUrl, options.warmupSeconds);
      await run(app.url, options.warmupSeconds);
      const sys: LoadResult[] = [];
      const base: LoadResult[] = [];
      if (options.profileDir) await Promise.all([app.call("profileStart"), bare.call("profileStart")]);
      for (let r = 0; r < options.rounds; r++) {
        // Alternate the order so drift on a shared machine hits both sides alike.
        if (r % 2 === 0) {
          base.push(await run(bareUrl, options.seconds));
          sys.push(await run(app.url, options.seconds));
        } else {
          sys.push(await run(app.url, options.seconds));
          base.push(await run(bareUrl, options.seconds));
        }
      }
      if (options.profileDir) await Promise.all([app.call("profileStop", { file: join(options.profileDir, "app.cpuprofile") }), bare.call("profileStop", { file: join(options.profileDir, "bare.cpuprofile") })]);
      const system = combine(sys);
      const baseline = combine(base);
      if (system.non2xx + system.errors + baseline.non2xx + baseline.errors > 0) throw new Error(`${c.name}: failed requests (system ${system.non2xx}+${system.errors}, baseline ${baseline.non2xx}+${baseline.errors})`);
      out.push({ kind: c.kind, name: c.name, system, baseline, connections: c.connections, bytes: Math.round(system.bytesPerRequest), requests: c.bodies.length, target: c.target });
    }
  } finally {
    ctx.hosts.delete(bare);
    await bare.stop();
  }
  return out;
}
