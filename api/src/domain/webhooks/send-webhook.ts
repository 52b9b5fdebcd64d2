import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupAddress, LookupOptions } from "node:dns";
import { isIP } from "node:net";
import type { ResolvedAddress } from "./url-policy.ts";

// One webhook POST to addresses already checked by the URL policy. `fetch` would resolve the
// name again and could connect to a second, rebound answer; node:http lets us hand the socket a
// `lookup` that can only answer with the checked addresses, while the Host header and the TLS
// server name (SNI and certificate check) stay the URL's own host. (undici's Agent can do the
// same with `connect.lookup`, but undici is not a dependency of the API; node:http is enough for
// one POST without redirects.) Redirects are never followed: node:http does not follow them.
// The receiver's body is not kept: it is read only to let the connection end cleanly, up to a
// limit, and thrown away, because the delivery log is shown to workspace admins. Only a caller
// whose receiver answers in codes it parses (Slack's incoming webhooks) keeps the first bytes.

export type SendWebhookResult =
  | { ok: true; status: number; headers: IncomingHttpHeaders; durationMs: number; /** The body's first `keepBodyBytes` bytes, when asked for. */ bodyStart?: string }
  | { ok: false; error: string; durationMs: number };

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for one connection that answers only with the addresses checked beforehand. */
export function pinnedLookup(hostname: string, addresses: readonly ResolvedAddress[]) {
  return (name: string, options: LookupOptions, callback: LookupCallback): void => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    if (name !== hostname || wanted.length === 0) {
      const error: NodeJS.ErrnoException = new Error(`no checked address for ${name}`);
      error.code = "ENOTFOUND";
      callback(error, "", 0);
      return;
    }
    if (options.all) callback(null, wanted.map(({ address, family }) => ({ address, family })));
    else callback(null, wanted[0]!.address, wanted[0]!.family);
  };
}

export function sendWebhook({
  url,
  addresses,
  headers,
  body,
  timeoutMs,
  maxResponseBytes,
  keepBodyBytes = 0,
}: {
  url: URL;
  /** What the URL policy checked for this attempt; the connection goes to one of these. */
  addresses: readonly ResolvedAddress[];
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** The answer is drained (and discarded) up to this many bytes, then the connection is cut. */
  maxResponseBytes: number;
  /** Keep this many of the body's first bytes (`bodyStart`); none by default. */
  keepBodyBytes?: number;
}): Promise<SendWebhookResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const https = url.protocol === "https:";
  const hostname = url.hostname.replace(/^\[|\]$/g, "");
  const signal = AbortSignal.timeout(timeoutMs);
  const payload = Buffer.from(body, "utf8");

  return new Promise<SendWebhookResult>((resolve) => {
    let settled = false;
    const settle = (result: SendWebhookResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const fail = (error: unknown) => settle({ ok: false, error: describeFailure(url.host, error, signal.aborted, timeoutMs), durationMs: elapsed() });

    const request = (https ? httpsRequest : httpRequest)({
      protocol: url.protocol,
      hostname,
      port: url.port ? Number(url.port) : https ? 443 : 80,
      path: `${url.pathname}${url.search}`,
      method: "POST",
      headers: { ...headers, host: url.host, "content-length": String(payload.length) },
      // An IP literal is connected to as it is (no lookup); a name only through the pinned one.
      lookup: pinnedLookup(hostname, addresses),
      // TLS checks the certificate against the URL's host, not against the address.
      ...(https && !isIP(hostname) ? { servername: hostname } : {}),
      // One connection per attempt: a pooled socket could outlive the check that allowed it.
      agent: false,
      signal,
    });
    request.on("error", fail);
    request.on("response", (response) => {
      const answer: SendWebhookResult = { ok: true, status: response.statusCode ?? 0, headers: response.headers, durationMs: elapsed() };
      const kept: Buffer[] = [];
      let received = 0;
      response.on("data", (chunk: Buffer) => {
        if (received < keepBodyBytes) kept.push(chunk.subarray(0, keepBodyBytes - received));
        received += chunk.length;
        if (received > maxResponseBytes) response.destroy();
      });
      // Settled once the answer is over, however it ends (a cut-off drain is no failure).
      const done = () => settle(keepBodyBytes > 0 ? { ...answer, bodyStart: Buffer.concat(kept).toString("utf8") } : answer);
      response.on("end", done);
      response.on("close", done);
      response.on("error", done);
    });
    request.end(payload);
  });
}

/** What went wrong, in words an admin can act on; no address is named, only the URL's host. */
function describeFailure(host: string, error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `${host} did not answer within ${timeoutMs} ms`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? "";
  if (code === "ECONNREFUSED") return `could not reach ${host}: connection refused`;
  if (code === "ECONNRESET" || code === "EPIPE") return `the connection to ${host} was reset`;
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return `could not reach ${host}: no route`;
  if (code === "ETIMEDOUT") return `could not reach ${host}: the connection timed out`;
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_CERT)/.test(code) || code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return `TLS with ${host} failed (${code})`;
  }
  return `could not reach ${host}`;
}
