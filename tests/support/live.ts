import WebSocket from "ws";

// Long-lived connections as a test needs to watch them: a raw graphql-transport-ws socket (every
// message, the close code and reason, and when it closed) and an SSE stream (every event, and
// when it ended).

export type RawSocket = ReturnType<typeof rawSocket>;

/** A raw graphql-ws socket: authenticated by `cookie` on the upgrade or `authorization` in connection_init. */
export function rawSocket(url: string, auth: { cookie?: string; authorization?: string; origin?: string }) {
  const headers: Record<string, string> = {};
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.origin) headers.origin = auth.origin;
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws", { headers });
  const messages: any[] = [];
  let closed: { code: number; reason: string; at: number } | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: auth.authorization ? { authorization: auth.authorization } : {} })));
    ws.on("message", (data) => {
      const message = JSON.parse(String(data));
      messages.push(message);
      if (message.type === "connection_ack") resolve();
    });
    ws.on("close", (code, reason) => {
      closed = { code, reason: String(reason), at: Date.now() };
      reject(Object.assign(new Error(`closed before ack: ${code} ${String(reason)}`), { code, reason: String(reason) }));
    });
    ws.on("error", () => {});
  });
  ready.catch(() => {});
  return {
    ws,
    messages,
    ready,
    closed: () => closed,
    subscribe(id: string, query: string, variables?: Record<string, unknown>) {
      ws.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
    },
    complete(id: string) {
      ws.send(JSON.stringify({ id, type: "complete" }));
    },
    /** `next` payloads received for one operation. */
    results(id: string): any[] {
      return messages.filter((m) => m.id === id && m.type === "next").map((m) => m.payload);
    },
    /** Runs a query or mutation and resolves with its first answer (`next` payload, or `{ errors }`); rejects if the socket closes first. */
    async request(id: string, query: string, variables?: Record<string, unknown>): Promise<any> {
      this.subscribe(id, query, variables);
      const deadline = Date.now() + 5000;
      for (;;) {
        const answer = messages.find((m) => m.id === id && (m.type === "next" || m.type === "error"));
        if (answer) return answer.type === "next" ? answer.payload : { errors: answer.payload };
        if (closed) throw Object.assign(new Error(`socket closed: ${closed.code} ${closed.reason}`), closed);
        if (Date.now() > deadline) throw new Error(`no answer for ${id}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close() {
      ws.close();
    },
  };
}

export type SseStream = Awaited<ReturnType<typeof openSse>>;

/** Opens an SSE subscription; `events` fills as `next` events arrive, `ended()` tells when the server ended the stream. */
export async function openSse(url: string, auth: { cookie?: string; authorization?: string }, query: string) {
  const controller = new AbortController();
  const headers: Record<string, string> = { "content-type": "application/json", accept: "text/event-stream" };
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.authorization) headers.authorization = auth.authorization;
  const res = await fetch(`${url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query }), signal: controller.signal });
  const events: any[] = [];
  let ended: { at: number; completed: boolean } | null = null;
  let body = "";
  let completed = false;
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        body += text;
        buffer += text;
        let index;
        while ((index = buffer.indexOf("\n\n")) >= 0) {
          const chunk = buffer.slice(0, index);
          buffer = buffer.slice(index + 2);
          if (chunk.startsWith("event: complete")) completed = true;
          const data = chunk.split("\n").find((l) => l.startsWith("data:"));
          if (data && data.length > 6) events.push(JSON.parse(data.slice(5)));
        }
      }
      ended = { at: Date.now(), completed };
    } catch {
      // aborted by the test
    }
  })();
  if (res.status !== 200) await pump; // a refusal is a short body: read it whole
  return {
    status: res.status,
    events,
    body: () => body,
    ended: () => ended,
    close: () => (controller.abort(), pump),
  };
}

export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
