// Baseline of benchmark 4: the emulator's own capacity. The same provider calls a health sweep
// makes (read from the emulator's counters: the identity calls per connection — Slack auth.test,
// HubSpot introspection, Google userinfo + tokeninfo — plus the refresh attempt after a refusal), with the same concurrency and the same HTTP agent (Node's global fetch,
// which api/src/http/outbound.ts uses), in a plain loop: no database, no decryption, no claims.
import { readFileSync } from "node:fs";
import { serveIpc } from "../lib/child.ts";

type Item = { provider: "slack" | "hubspot" | "google"; accessToken: string; refreshToken?: string };

async function body(res: Response) {
  await res.arrayBuffer();
  return res.status;
}

async function call(base: string, item: Item): Promise<void> {
  const p = `${base}/sandbox/${item.provider}`;
  if (item.provider === "slack") {
    await body(await fetch(`${p}/api/auth.test`, { method: "POST", headers: { authorization: `Bearer ${item.accessToken}` } }));
  } else if (item.provider === "hubspot") {
    const client = { client_id: "sandbox-hubspot", client_secret: "sandbox-hubspot-secret" };
    const introspection = new URLSearchParams({ ...client, token_type_hint: "access_token", token: item.accessToken, access_token: item.accessToken });
    const res = await fetch(`${p}/oauth/v3/token/introspect`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: introspection.toString() });
    const active = res.ok && ((await res.json()) as { active?: boolean }).active === true;
    if (!active && item.refreshToken) {
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: item.refreshToken, client_id: "sandbox-hubspot", client_secret: "sandbox-hubspot-secret" });
      await body(await fetch(`${p}/oauth/v3/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: form.toString() }));
    }
  } else {
    const headers = { authorization: `Bearer ${item.accessToken}`, accept: "application/json" };
    await Promise.all([fetch(`${p}/v1/userinfo`, { headers }).then(body), fetch(`${p}/tokeninfo`, { method: "POST", headers }).then(body)]);
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
