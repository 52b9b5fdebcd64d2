import type { Results } from "./report.ts";
import type { EldResult } from "./bench/event-loop.ts";

// The prose of docs/performance.md: how each benchmark is run, what it measured in this run,
// and, where a target is missed, the measured cause and what would change it. The causes were
// found with `--profile` (CPU profiles of the product processes, summarised at the end of the
// document when that flag is given), with the SQL query log, and with pg_stat_activity.

const n = (x: number, d = 1) => (Number.isFinite(x) ? x.toLocaleString("en", { maximumFractionDigits: d }) : "n/a");

export function findings(r: Results, sizes: Record<string, any>): string {
  const out: string[] = [];
  const h = (t: string) => out.push("", `## ${t}`, "");
  const p = (...paragraphs: string[]) => paragraphs.forEach((line) => out.push(line, ""));

  h("1. GraphQL read");
  p(
    "The query is the dashboard's card data with health history (`integrations { id providerId status healthStatus healthMessage lastHealthCheckAt account { id name url } grantedScopes missingScopes suggestedAction healthHistory(first: 10) { … } }`).",
    "The product runs as one app process (`buildApp` + `listen`, `NODE_ENV=production`, `LOG_LEVEL=warn`); the baseline (`tests/perf/hosts/bare-read-host.ts`) is a `node:http` handler that sends the same Prisma queries the product's query log shows for this request (the caller's credentials, the connections, their history) and `JSON.stringify`s the same answer; the run checks that both answers are deep-equal before measuring. autocannon drives each in turn from the parent process (a warm-up, then 2 alternating rounds per side: 5 s each for the small workspace, 12 requests each for the 1,000-connection answer, which takes seconds).",
    `Cases: a workspace of 4 connections through the session cookie (16 connections of load), and one workspace of ${n(sizes.readConnections, 0)} connections through an API key (4 connections of load), each connection with ${sizes.historyPerConnection} checks of history. An API key belongs to one workspace, and a workspace holds one connection per provider, so the only way for one request to return ${n(sizes.readConnections, 0)} connections is one workspace connected to ${n(sizes.readConnections, 0)} providers: the run's catalog (PROVIDERS_FILE) declares ${n(sizes.readConnections, 0)} generic OAuth 2.0 providers for that. The database holds ${n(sizes.sweep.slack + sizes.sweep.hubspot + sizes.sweep.google + sizes.stampede, 0)} other connections across as many other workspaces, so the workspace filter is exercised.`,
  );
  if (r.read) {
    out.push("| case | side | req/s | p50 ms | p95 ms | p99 ms | bytes/answer |", "|---|---|---|---|---|---|---|");
    for (const c of r.read) {
      out.push(`| ${c.name} | product | ${n(c.system.rps)} | ${n(c.system.p50)} | ${n(c.system.p95)} | ${n(c.system.p99)} | ${n(c.bytes, 0)} |`);
      out.push(`| ${c.name} | baseline | ${n(c.baseline.rps)} | ${n(c.baseline.p50)} | ${n(c.baseline.p95)} | ${n(c.baseline.p99)} | ${n(c.bytes, 0)} |`);
    }
    out.push("");
  }
  const small = r.read?.[0];
  const large = r.read?.[1];
  const verdict = (c: typeof small) => (!c ? "not measured" : c.system.rps / c.baseline.rps >= 0.75 && c.system.p95 / c.baseline.p95 <= 1.3 && c.system.p99 / c.baseline.p99 <= 1.5 ? "met" : "missed");
  p(
    `**Workspace of 4 connections: ${verdict(small)} in this run.** What changed since the first measured run (2026-11-26 12:59 UTC: 0.42x, p95 2.61x; the profiled run found about 9.3 ms of CPU per request in the product against 4.9 ms in the baseline): the session cookie's signature is verified in \`auth/viewer.ts\` as better-call does it and the viewer (session, user, membership) is read in one SQL statement instead of better-auth's \`getSession\` plus two more (better-auth still handles expired sessions and sliding renewal; about 0.63 ms of CPU per request less in the profile); queries and mutations run compiled by graphql-jit (\`@envelop/graphql-jit\`; the executor went from about 0.25 to 0.01 ms per request); yoga's own body-size limiter is off because \`app.ts\` already refuses bodies without a length or over 1 MB before reading them (about 0.18 ms per request of stream and AbortController). Yoga's parse and validation caches were already effective with graphql-armor's rules (0.003 and 0.009 ms per request after the first). Runs on a quiet machine after these changes measured 0.71x and 0.75x, p95 1.33–1.36x, p99 1.45–1.75x: at or just under the targets, and noisy.`,
    "What remains (CPU profiles, `--profile`): garbage collection, Node core and native time caused by yoga's Fetch-API adapter (`@whatwg-node` Request, Response, Headers and AbortController objects per request) and the promise hooks Node runs once an `AsyncLocalStorage` is in use. What would change it: serve `POST /graphql` from a plain `node:http` handler that drives `yoga.getEnveloped()` directly (it must then do CORS, the CSRF header check, Accept negotiation, HTTP status from error extensions and Set-Cookie itself).",
    `**${n(sizes.readConnections, 0)} connections through an API key: ${verdict(large)} in this run.** \`healthHistory(first: N)\` is loaded for all connections of a request in one statement that returns only the latest N rows per connection (a DataLoader with \`row_number() OVER (PARTITION BY "integrationId" ORDER BY "checkedAt" DESC, id DESC) <= N\` on the (integrationId, checkedAt) index, \`api/src/domain/health/history.ts\`); before, Prisma's nested \`take\` sent the history query without a LIMIT and cut each list in memory, reading every history row of every connection (up to 25,920 per connection with the defaults). The baseline sends the same statements as the product. Both sides spend most of the time in Prisma reading and mapping about 10,000 history rows and in serialising a 2 MB answer.`,
    "- *API keys*: better-auth's api-key plugin (1.7.5) writes the key row twice on every verified request (`UPDATE api_key SET lastRequest` and `UPDATE api_key SET updatedAt`, `claimUsageInDatabase`), even with `rateLimit: { enabled: false }`; its `deferUpdates` option only defers writes to secondary storage, not these. The baseline sends the same two UPDATEs, so the ratio hides this cost; concurrent requests with one key queue on that row's lock. Verifying the key hash with one SELECT and recording `lastRequest` at most once a minute would remove them (it means verifying keys outside the plugin).",
  );

  h("2. SQL statements per GraphQL operation");
  p(
    "Every `query` document the dashboard sends (read from `web/src/lib/graphql/documents.ts` at run time, so a new page's query is covered the day it lands) runs through the composed app built with `buildApp({ env, db })` on a database whose `onQuery` hook records every statement Prisma sends. The same operation runs for a workspace of 10 connections (and 10 members, API keys, webhook endpoints with 12 deliveries each, audit events) and for one of 1,000 of each; the counts must be equal. `tests/perf/sql-count.test.ts` is the same check as a vitest test, so an N+1 fails CI.",
  );
  if (r.sql) {
    out.push("| operation | statements at 10 | statements at 1,000 | equal |", "|---|---|---|---|");
    for (const s of r.sql) out.push(`| ${s.operation} | ${s.small} | ${s.large} | ${s.equal && s.errors.length === 0 ? "yes" : "**no**"} |`);
    out.push("");
    p("One of each count is the caller's session, user and membership in one statement (`resolveViewer`, session cookie); with an API key they are the key lookup, two UPDATEs of the key row and the membership.");
  }

  h("3. Subscription fan-out");
  p(
    "N graphql-ws clients (one subscription per socket, so the per-socket cap (MAX_SUBSCRIPTIONS_PER_SOCKET, 50) never applies, and the run lifts MAX_CONNECTIONS_PER_PRINCIPAL to 10,000 since every socket is one user's; each socket authenticated by the session cookie on the upgrade, as the dashboard's are) subscribe to the dashboard's `HealthEvents` subscription of one workspace. The app process publishes one health event (`realtime.publish`, in-memory pub/sub: one process); the baseline (`tests/perf/hosts/raw-ws-host.ts`) sends the same pre-serialised `next` message, byte for byte, to N raw `ws` sockets. The clients (in the parent process, the same callback for both) note each arrival; latency runs from the server's publish to each arrival (one machine, one clock). Server CPU is `process.cpuUsage()` inside the server process from the publish until every client has the event. Heap is `heapUsed` after two forced collections before the sockets open and after they are all subscribed, divided by N. Each size publishes " +
      `${sizes.fanoutEvents} measured events after a warm-up event.`,
  );
  if (r.fanout) {
    out.push("| subscribers | side | received | p50 ms | p99 ms | max ms | CPU ms/event | heap/socket | connect s |", "|---|---|---|---|---|---|---|---|---|");
    for (const f of r.fanout)
      for (const [name, s] of [["product", f.system], ["raw ws", f.baseline]] as const)
        out.push(`| ${n(f.size, 0)} | ${name} | ${n(s.received, 0)}/${n(s.expected, 0)} | ${n(s.p50)} | ${n(s.p99)} | ${n(s.max)} | ${n(s.cpuMsPerEvent)} | ${n(s.heapPerSocketBytes / 1024)} KB | ${n(s.connectSeconds)} |`);
    out.push("");
  }
  const fanoutMet = (r.fanout ?? []).every((f) => f.system.received === f.system.expected && f.system.p99 / f.baseline.p99 <= 1.5 && f.system.cpuMsPerEvent / f.baseline.cpuMsPerEvent <= 2.5);
  const heapMet = (r.fanout?.at(-1)?.system.heapPerSocketBytes ?? Infinity) <= 10 * 1024;
  p(
    `**${r.fanout ? (fanoutMet && heapMet ? "Met in this run." : "Missed in this run.") : "Not measured in this run."}** How: a subscription over graphql-ws is executed once per distinct (document, operation name, variables, workspace, role), and the same result object goes to every subscriber of that group (\`api/src/graphql/shared-subscriptions.ts\`, wired in \`api/src/graphql/ws.ts\`). The first subscriber of a group parses, validates (graphql-armor's limits) and starts the one execution (one context, one iterator on the pub/sub topic); a later identical subscriber joins the running group without parsing, validating or building a context, so an idle subscription costs a socket, graphql-ws's per-operation state and one small member object. The key is the authorization scope: a result is never shared across workspaces or roles (\`tests/integration/shared-subscriptions.test.ts\` proves both over real sockets). A result without errors is serialised once per group and written to each member's socket as the protocol's \`next\` message (\`{"id":…,"type":"next","payload":…}\`, the member's operation id around the shared payload JSON), so what remains per subscriber is a string concatenation and the socket write, as in the raw baseline; errors and completion still go through graphql-ws. Groups larger than 250 are served in slices of 250 per event-loop turn so a fan-out does not hold the loop. Measured on the way (fan-out runs of 2026-11-26 15:35–15:45 UTC): with one execution per group but graphql-ws serialising and sending per subscriber, 5,000 subscribers took 1.71–1.75x the raw p99 and 1.9–2.2x its CPU (slices of 250 or 1,000 made no difference), about 28 µs per subscriber against 12 µs raw; writing the pre-serialised payload directly brought it to about 1.0x p99 and 1.2x CPU. The upgrade request is dropped after authentication, so an idle socket does not keep its headers and parser state.`,
    "Before this (measured 2026-11-26 12:59 UTC with the stock yoga + graphql-ws recipe: one execution, one `Context` with services and DataLoaders, one Repeater on the topic per subscriber): p99 2.47x and CPU 5.13x at 1,000, 6.21x and 13.0x at 5,000, 23.9 KB heap per idle subscription. The CPU profile then showed per-subscriber `Repeater.push`, `@graphql-tools/executor` field collection, graphql-ws `stringifyMessage`, Node's promise-hook bookkeeping and 14% GC.",
  );

  h("4. Health sweep");
  p(
    `${n(sizes.sweep.slack + sizes.sweep.hubspot + sizes.sweep.google, 0)} due connections, each in its own workspace, against the emulator process (\`tests/perf/hosts/emulator-host.ts\`, the product's own \`createSandbox\` on its own port, which the run's catalog points the built-ins at). The emulator's faults are per provider, not a percentage, so the shares are separate providers: ${n(sizes.sweep.slack, 0)} Slack connections with the \`slow\` fault (20 ms before each answer), ${n(sizes.sweep.hubspot, 0)} HubSpot (5%) with \`unauthorized\` (HTTP 401), ${n(sizes.sweep.google, 0)} Google (2%) with \`rate_limited\` (HTTP 429, \`Retry-After: 30\`); the 401 and 429 answers come without the 20 ms delay.`,
    "Seeding: the emulator's token store is in memory and not exported, so the run gets real tokens through the emulator's own consent flow, driven over HTTP like a browser (`tests/support/sandbox-consent.ts`: authorize page, Allow, redirect with a code) followed by the token request, 24 at a time, then writes the connections with `createMany`, tokens sealed by the vault exactly as `saveConnection` seals them.",
    "The product: one app process runs one `scheduler.sweep()` with the default `HEALTH_CHECK_CONCURRENCY` (16). The baseline (`tests/perf/hosts/fetch-loop-host.ts`) makes the same provider calls (the emulator's counters before and after each side are compared) with 16 workers and the same HTTP agent (Node's global `fetch`, which `http/outbound.ts` uses), in a plain loop. Zero connections checked twice: every connection must have exactly one SCHEDULED row in its history.",
  );
  if (r.sweep) {
    const s = r.sweep;
    p(
      `Product: ${n(s.system.claimed, 0)} checks in ${n(s.system.seconds)} s, ${n(s.system.cpuSeconds)} s of CPU in the app process (${n((s.system.cpuSeconds * 1000) / Math.max(1, s.system.claimed), 2)} ms per check); baseline: ${n(s.baseline.seconds)} s. Provider calls, product: ${Object.entries(s.calls.system).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(", ")}; baseline: ${Object.entries(s.calls.baseline).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(", ")}. Outcomes (status/health): ${Object.entries(s.outcomes).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
    );
  }
  const sweepRatio = r.sweep ? r.sweep.baseline.seconds / r.sweep.system.seconds : NaN;
  p(
    `**${r.sweep ? (sweepRatio >= 0.7 ? "Met in this run." : "Missed in this run.") : "Not measured in this run."}** How a sweep runs now (\`api/src/jobs/health-scheduler.ts\`, \`api/src/domain/health/record.ts\`): one claim statement (\`UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT 32) RETURNING\` every column a check needs) refills a local queue whenever 32 or fewer rows are left, and \`HEALTH_CHECK_CONCURRENCY\` workers take rows from it continuously; a check whose stored token is still valid opens only the access token and reads nothing more (\`getAccessToken\` is handed the claimed row; the lock and re-read happen only for a refresh); finished checks are handed to a recorder that writes up to 200 of them in one statement (each row's new state and exactly one history row per check), one write in flight at a time, and publishes their events after the commit. Counted from the query log over 500 checks: about 0.3 statements per check (was about 5: the row read twice, BEGIN, UPDATE, INSERT, COMMIT).`,
    "Where the CPU goes now (`--profile`): Node's `fetch` (undici) is the largest share, as in the baseline, which makes the same calls through the same agent; Prisma and pg are about 12% (was about 30%), the vault about 4%, copying each response into a new `Response` about 3%, garbage collection 7–8%. The first measured run (2026-11-26 12:59 UTC) reached 0.31x with about 3.5 ms of CPU per check in a warm process; A/B runs of the old and new code on the same database and emulator measured about 8 ms against 3 ms of CPU per check on fresh processes and 2.5–3x the checks per second.",
    "What would change it further: the remaining gap is CPU the product spends beyond the baseline's bare loop on a machine whose 2 cores also run the emulator and Postgres (each check's state machine, the vault, the response copy in `outboundFetch`, the recorder, GC). An HTTP client lighter than `fetch` would help both sides alike, so it would not move the ratio; avoiding the response copy and sharing one decrypted token per connection between sweeps would.",
  );

  h("5. Refresh stampede");
  p(
    `${sizes.stampede} HubSpot connections in the emulator (refresh-token rotation on, so a second refresh with a used refresh token would revoke the grant) get their \`tokenExpiresAt\` set in the past; then 4 \`testIntegration\` mutations per connection (API key of its workspace) go out at once, 2 to each of two app processes on one database: ${sizes.stampede * 4} concurrent requests that all need a fresh token. The emulator counts refresh requests.`,
  );
  if (r.stampede) {
    const d = r.stampede.defaults;
    p(
      `With the default settings (\`DATABASE_POOL_SIZE\` 10 per process): ${d.healthy} of ${d.requests} requests answered within 20 s, ${d.refreshRequests} refresh requests reached the emulator (${Object.entries(d.statuses).map(([k, v]) => `${k}: ${v}`).join(", ")}); the processes were then killed.`,
      `With \`DATABASE_POOL_SIZE=${r.stampede.pool}\`, in two waves of ${r.stampede.waves[0]?.requests} concurrent requests for ${r.stampede.waves[0]?.connections} connections (two processes × ${r.stampede.pool} must stay under Postgres's \`max_connections\` of 100): ${r.stampede.waves.reduce((a, w) => a + w.refreshRequests, 0)} refresh requests for ${r.stampede.waves.reduce((a, w) => a + w.connections, 0)} connections, ${r.stampede.waves.reduce((a, w) => a + w.healthy, 0)} of ${r.stampede.waves.reduce((a, w) => a + w.requests, 0)} requests HEALTHY: the single-flight holds, exactly one token request per connection.`,
    );
  }
  const stampedeMet = r.stampede ? r.stampede.defaults.refreshRequests === r.stampede.defaults.connections && r.stampede.defaults.healthy === r.stampede.defaults.requests : false;
  p(
    `**${r.stampede ? (stampedeMet ? "Met with the defaults in this run." : "Missed with the defaults in this run.") : "Not measured in this run."}** How the single flight works: \`withIntegrationLock\` (\`domain/integrations/lock.ts\`) takes a Postgres advisory lock per connection on a small pool of its own (\`withLockSession\`), separate from Prisma's pool, with a 30 s \`lock_timeout\`; the refresh inside re-reads the row (another replica may have refreshed it meanwhile) and only then asks the provider, so waiting requests find the fresh token. History: the first measured run (2026-11-26 12:59 UTC) took the lock on a client of Prisma's own pool, and the refresh inside needed a second client: with 10 different connections refreshing at once in one process every client was held by a lock holder waiting for a client, and nothing moved again (\`pg_stat_activity\`: the pool's sessions \`idle\` after \`pg_advisory_lock\`). Separating the lock pool and bounding the wait fixed it; \`tests/reliability/refresh-pool.test.ts\` keeps it fixed.`,
  );

  h("6. Event-loop delay");
  p(
    "`perf_hooks.monitorEventLoopDelay` (1 ms resolution) inside one app process while, at once: autocannon reads the 4-connection workspace (8 connections) and the 1,000-connection one (2 connections), a health event goes to 1,000 graphql-ws subscribers every 500 ms, the process sweeps " +
      `${n(sizes.eldSweep, 0)} due Slack connections (20 ms emulator), and 100 concurrent \`testIntegration\` requests refresh 25 expired connections. Sizes are scaled to one process and 10 s; the process runs with \`DATABASE_POOL_SIZE=30\` because the default pool deadlocks on the stampede (benchmark 5). A second run leaves out the 1,000-connection read.`,
  );
  if (r.eld)
    for (const e of r.eld)
      p(
        `- ${e.label}: p50 ${n(e.p50)} ms, p99 ${n(e.p99)} ms, max ${n(e.max)} ms (${n(e.reads, 0)} reads, ${e.events} events, ${n(e.swept, 0)} checks, ${e.stampede.healthy}/${e.stampede.requests} stampede requests answered)` +
          (e.idle ? `; an idle Node process in the same window: p50 ${n(e.idle.p50)} ms, p99 ${n(e.idle.p99)} ms, max ${n(e.idle.max)} ms` : "") +
          (e.cpuPercent ? `; the app process used ${n(e.cpuPercent, 0)}% of a core` : "") +
          (e.gc ? `; the app's garbage-collector pauses: ${e.gc.count} taking ${n(e.gc.totalMs)} ms in all (${n((100 * e.gc.totalMs) / (e.seconds * 1000))}% of the window), longest ${n(e.gc.maxMs)} ms, ${e.gc.over20} over 20 ms.` : "."),
      );
  // 6b (bench/event-loop.ts benchChecksOffLoop): the same process with the sweep's checks in a
  // worker thread, inline, and without a sweep, in the same run.
  const off = (r.eld ?? []) as (EldResult & { mode?: string; sweepSeconds?: number; readP99?: number; checkedOnce?: number; checkedTwice?: number })[];
  const byMode = (m: string) => off.find((e) => e.mode === m);
  const [thread, inline, none] = [byMode("thread"), byMode("inline"), byMode("none")];
  if (thread && inline) {
    p(
      `Checks off the loop (\`--only=offloop\`): the serving thread's delay over a whole sweep of ${n(thread.swept, 0)} due connections (the 20 ms emulator) while 1,000 graphql-ws subscribers get an event every 500 ms and autocannon reads the 4-connection workspace (8 connections), with \`HEALTH_CHECK_WORKER=thread\` (claims, checks and writes in a worker thread with its own pool, at a lower OS priority; events and metrics posted back) and \`inline\` (before), one app process each, in the same run` +
        (none ? `, and the same window without a sweep` : "") +
        `. Thread: p99 ${n(thread.p99)} ms, max ${n(thread.max)} ms, ${n(thread.reads, 0)} reads (p99 ${n(thread.readP99 ?? 0)} ms) over ${thread.seconds} s, sweep ${n(thread.sweepSeconds ?? 0)} s (${n(thread.checkedOnce ?? 0, 0)} checked once, ${thread.checkedTwice ?? 0} twice). Inline: p99 ${n(inline.p99)} ms, max ${n(inline.max)} ms, ${n(inline.reads, 0)} reads (p99 ${n(inline.readP99 ?? 0)} ms) over ${inline.seconds} s, sweep ${n(inline.sweepSeconds ?? 0)} s (${n(inline.checkedOnce ?? 0, 0)} once, ${inline.checkedTwice ?? 0} twice).` +
        (none ? ` No sweep: p99 ${n(none.p99)} ms, max ${n(none.max)} ms, ${n(none.reads, 0)} reads (p99 ${n(none.readP99 ?? 0)} ms) over ${none.seconds} s.` : "") +
        " With the checks in the worker the serving thread's delay is the read load's own (closed-loop reads keep one thread busy); the sweep takes longer because the worker yields the cores to the serving thread on a saturated 2-core machine. The embedded database (PGlite, one connection in one thread) keeps checks inline.",
    );
  }
  const eldMet = (r.eld ?? []).every((e) => e.p99 < 20);
  p(
    `**${r.eld ? (eldMet ? "Met in this run." : "Missed in this run.") : "Not measured in this run."}** Measured cause (the figures above, from the same window): not the machine — a bare Node process doing nothing beside the app sees a p99 of a few milliseconds — but the app process itself. The load of this benchmark is more than one process can serve: the app's CPU over the window is about 100% of a core, and JavaScript runs on one thread, so every callback waits behind the queued work of the others (with the 1,000-connection read left out, even the median delay is in the tens of milliseconds: the loop is never idle). With the 1,000-connection read, garbage collection adds to it: about a fifth of the window in collector pauses, dozens of them over 20 ms, from building and serialising a 2 MB answer of about 11,000 objects at once. The subscription fan-out is no longer a cause (one execution per group, a pre-serialised payload, slices of 250 per turn: benchmark 3).`,
    "Which part saturates it, measured: the same benchmark with `HEALTH_CHECK_CONCURRENCY=2` instead of 16 (2026-11-26 15:42 UTC) gave a p99 of 15 ms with the large read and 18 ms without it, the app at about 55% of a core, and more than twice the reads served: the sweep's 16 checks at once are what fills the loop. Hence `HEALTH_CHECK_MAX_LOOP_DELAY_MS` (`api/src/jobs/loop-governor.ts`): a sweep halves its concurrency while the loop's p99 over the last 250 ms is above the target and adds one back while it is under half of it. The rows marked \"sweep governed\" above are this benchmark with it set to 20. It is off by default because it trades sweep speed for request latency: with it at 20, benchmark 4's sweep alone (which makes the loop late by itself, since it fills a core) ran at 0.38x of the emulator's capacity instead of about 0.7x (2026-11-26 15:55 UTC).",
    "What would change it further: keep the offered load under one process's capacity, which is what replicas are for (benchmark 7; `docker-compose.yml` runs two) and what a scheduler-only replica does (`HEALTH_SCHEDULER=on` on one replica and `off` on those serving the dashboard, so sweeps never share a loop with requests); the checks of a sweep can run in a worker thread with `DATABASE_URL` (`HEALTH_CHECK_WORKER=thread`, below); and page `integrations` for API consumers so no request builds megabytes (and a fifth of the window in garbage collection) in one go.",
  );

  h("7. Scale-out");
  p(
    "1, 2 and 3 app processes (each its own `buildApp`, `REDIS_URL` set, default pool and concurrency) on one Postgres database and one Redis sweep the same " +
      `${n(sizes.scaleOut, 0)} due Slack connections (emulator, 20 ms), started at the same moment; the figure is connections over the time from the first start to the last finish. Every replica also holds 10 graphql-ws subscribers (API key in \`connection_init\`) for each of 5 watched workspaces, each with one connection in the sweep, and 10 for a workspace with nothing due. A subscriber is right when it received exactly one event, its own workspace's connection's, whichever replica checked it (or none, for the idle workspace). \`docker-compose.yml\` describes the same topology.`,
  );
  if (r.scale) {
    out.push("| replicas | checks/s | seconds | claimed per replica | CPU s per replica | subscribers right | checked twice |", "|---|---|---|---|---|---|---|");
    for (const s of r.scale) out.push(`| ${s.replicas} | ${n(s.perSecond)} | ${n(s.seconds)} | ${s.claimedPerReplica.join(", ")} | ${s.cpuSecondsPerReplica.map((c) => n(c)).join(", ")} | ${s.subscribersRight}/${s.subscribers} | ${s.checkedTwice} |`);
    out.push("");
  }
  p(
    "Correctness holds at every size: the work splits across replicas through the `FOR UPDATE SKIP LOCKED` claim with no connection checked twice, and events cross replicas through Redis to exactly the right subscribers.",
    (r.scale && r.scale.every((s, i) => i === 0 || s.perSecond > r.scale![i - 1]!.perSecond) ? "**Throughput grew with replicas in this run.** " : "**Throughput does not grow on this machine. Measured cause:** ") +
      "the sweep is CPU-bound (benchmark 4) and this machine has 2 cores, shared by the replicas, Postgres, Redis, the emulator and the benchmark's clients. A sampler of `/proc` and `pg_stat_activity` during the 2- and 3-replica windows (2026-11-26) saw the machine at 190–200% CPU (of 200%) throughout, and Postgres's sessions almost always `ClientRead`/idle, waiting for the apps (lock waits rare and brief): neither the claim query nor Postgres limits the rate, the cores do. The table shows the replicas' CPU per check" +
      (r.scale ? ` going from ${r.scale.map((s) => `${n((s.cpuSecondsPerReplica.reduce((a, b) => a + b, 0) * 1000) / Math.max(1, s.claimedPerReplica.reduce((a, b) => a + b, 0)))} ms (${s.replicas})`).join(" to ")}` : "") +
      " as more processes compete for the same cores, each warming up its own JIT and Prisma caches on a smaller share. The claim splits the work evenly with no double checks, so with a core or more per replica the rate grows with replicas; on this machine, only a lower CPU per check raises it.",
  );
  h("8. History that stays fast");
  p(
    "The 30-day uptime (with the 24-hour and 7-day ones, as the API answers them) of a page of 50 connections, through the product's uptime loader (`api/src/domain/health/uptime.ts`, one statement per request) with a new loader per request as the GraphQL context makes them. Two Postgres databases, seeded with bulk SQL: one keeping 14 days of raw checks (`HEALTH_HISTORY_RETENTION_DAYS` default), one keeping 90 (the old default), a check every 5 minutes for the page's 50 connections and 50 connections of another workspace; both hold the same rollups (hourly for 35 days, daily for 90, as the pruning leaves them)" +
      (r.uptime ? `, and ${n(r.uptime.rawRows.days14, 0)} and ${n(r.uptime.rawRows.days90, 0)} raw checks` : "") +
      ". The two sides alternate, 300 rounds each; the figure is the median time of the 90-day database over the 14-day one. Measure just this with `api/node_modules/.bin/tsx tests/perf/run.ts --only=uptime` (about 4 minutes, mostly seeding).",
    `**${r.uptime ? (r.uptime.rollup.days90.p50 / r.uptime.rollup.days14.p50 <= 1.2 ? "Met" : "Missed") + " in this run" : "Not measured in this run"}.** Uptime reads the hourly and daily rollups the check writer adds to in the statement that writes the checks (\`api/src/domain/health/record.ts\`): at most 168 hourly rows (the 24-hour window among them) and 30 daily rows per connection, found by the primary key (integrationId, bucketStart), however long raw checks are kept.` +
      (r.uptime
        ? ` For reference, the statement uptime sent before (30 days of raw rows, GROUP BY) took ${n(r.uptime.raw.days14.p50)} ms with 14 days of history and ${n(r.uptime.raw.days90.p50)} ms with 90 (p50), against ${n(r.uptime.rollup.days14.p50, 2)} and ${n(r.uptime.rollup.days90.p50, 2)} ms from the rollups.`
        : ""),
  );
  return out.join("\n");
}
