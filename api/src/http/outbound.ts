// Every call to a provider goes through here: a timeout and a response size limit, so a slow,
// hanging or oversized answer can never hold a request or a check for long, or fill memory.

import { AsyncLocalStorage } from "node:async_hooks";

export type OutboundOptions = { timeoutMs?: number; maxBytes?: number };

// Limits for every outbound call made inside `withOutboundLimits` (a health check sets its own
// timeout this way without threading it through each provider adapter).
const scoped = new AsyncLocalStorage<OutboundOptions>();

export function withOutboundLimits<T>(options: OutboundOptions, fn: () => Promise<T>): Promise<T> {
  return scoped.run({ ...scoped.getStore(), ...options }, fn);
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BYTES = 1024 * 1024;

export class OutboundError extends Error {
  constructor(
    readonly code: "timeout" | "network" | "too_large",
    message: string,
  ) {
    super(message);
    this.name = "OutboundError";
  }
}

export async function outboundFetch(input: string | URL, init: RequestInit = {}, options: OutboundOptions = {}): Promise<Response> {
  const outer = scoped.getStore() ?? {};
  const timeoutMs = options.timeoutMs ?? outer.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? outer.maxBytes ?? DEFAULT_MAX_BYTES;
  const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  // For messages only (parsing a URL on every call costs more than the rest of this function).
  const host = () => new URL(input).host;
  let response: Response;
  try {
    response = await fetch(input, { ...init, signal, redirect: "manual" });
  } catch (error) {
    if ((error as Error).name === "TimeoutError" || signal.aborted) throw new OutboundError("timeout", `${host()} did not answer within ${timeoutMs} ms`);
    throw new OutboundError("network", `could not reach ${host()}`);
  }
  const length = response.headers.get("content-length");
  const declared = length === null ? null : Number(length);
  if (declared !== null && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new OutboundError("too_large", `${host()} answered with more than ${maxBytes} bytes`);
  }
  // Read the body under the same deadline and limit, then hand back a complete Response.
  let body: ArrayBuffer | Buffer<ArrayBuffer> | null = null;
  try {
    if (response.status === 204 || response.status === 304 || !response.body) {
      await response.body?.cancel().catch(() => {});
    } else if (declared !== null && Number.isSafeInteger(declared) && declared >= 0) {
      // A declared length within the limit: the connection delivers exactly that many bytes
      // (HTTP framing), so one read is bounded; the signal still bounds its time.
      body = await response.arrayBuffer();
    } else {
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > maxBytes) throw new OutboundError("too_large", `${host()} answered with more than ${maxBytes} bytes`);
        chunks.push(chunk);
      }
      body = Buffer.concat(chunks);
    }
  } catch (error) {
    if (error instanceof OutboundError) throw error;
    if (signal.aborted) throw new OutboundError("timeout", `${host()} did not finish answering within ${timeoutMs} ms`);
    throw new OutboundError("network", `the connection to ${host()} broke`);
  }
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
