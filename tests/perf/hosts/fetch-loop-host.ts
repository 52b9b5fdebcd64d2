// Baseline of benchmark 4: the emulator's own capacity. The same provider calls a health sweep
// makes (read from the emulator's counters: the identity calls per connection — Slack auth.test,
// HubSpot introspection, Google userinfo + tokeninfo — plus the refresh attempt after a refusal),
// with the same concurrency and the same HTTP client as the product's outbound calls
// (api/src/http/outbound.ts: node:http with keep-alive agents of the same options; it used
// Node's global fetch until 2026-12-06, when the product moved off it), in a plain loop: no
// database, no decryption, no claims, no timers or size limits.
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { OUTBOUND_AGENT_OPTIONS } from "../../../api/src/http/outbound.ts";
import { serveIpc } from "../lib/child.ts";

type Item = { provider: "slack" | "hubspot" | "google"; accessToken: string; refreshToken?: string };

const agent = new Agent(OUTBOUND_AGENT_OPTIONS);
const parsed = new Map<string, URL>();

/**
 * One exchange, its answer read whole: status and body text. Header lines go as node's flat
 * list, as the product sends them (node writes them without building a header map).
 */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
  const { hostname, port, host, pathname } = parsed.get(url) ?? parsed.set(url, new URL(url)).get(url)!;
  const lines = method === "GET" ? ["host", host] : ["host", host, "content-length", String(body === undefined ? 0 : Buffer.byteLength(body))];
  for (const name in headers) lines.push(name, headers[name]!);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: pathname, method, headers: lines, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const form = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };

async function call(base: string, item: Item): Promise<void> {
  const p = `${base}/sandbox/${item.provider}`;
  if (item.provider === "slack") {
    await send(`${p}/api/auth.test`, "POST", { authorization: `Bearer ${item.accessToken}` });
  } else if (item.provider === "hubspot") {
    const client = { client_id: "sandbox-hubspot", client_secret: "sandbox-hubspot-secret" };
    const introspection = new URLSearchParams({ ...client, token_type_hint: "access_token", token: item.accessToken, access_token: item.accessToken });
    const res = await send(`${p}/oauth/v3/token/introspect`, "POST", form, introspection.toString());
    const active = res.status >= 200 && res.status < 300 && (JSON.parse(res.text) as { active?: boolean }).active === true;
    if (!active && item.refreshToken) {
      const refresh = new URLSearchParams({ grant_type: "refresh_token", refresh_token: item.refreshToken, client_id: "sandbox-hubspot", client_secret: "sandbox-hubspot-secret" });
      await send(`${p}/oauth/v3/token`, "POST", form, refresh.toString());
    }
  } else {
    const headers = { authorization: `Bearer ${item.accessToken}`, accept: "application/json" };
    await Promise.all([send(`${p}/v1/userinfo`, "GET", headers), send(`${p}/tokeninfo`, "POST", headers)]);
  }
}

serveIpc(
  {
    run: async ({ file, base, concurrency }: { file: string; base: string; concurrency: number }) => {
      const items = JSON.parse(readFileSync(file, "utf8")) as Item[];
      let next = 0;
      const started = performance.now();
      const cpu = process.cpuUsage();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < items.length) await call(base, items[next++]!);
        }),
      );
      const c = process.cpuUsage(cpu);
      return { done: items.length, durationMs: performance.now() - started, cpuMs: (c.user + c.system) / 1000 };
    },
  },
  async () => {},
);
process.send!({ ready: {} });
