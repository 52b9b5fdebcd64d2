import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { connectSandbox } from "../support/connect.ts";

// The proxy on the embedded database (PGlite), which the README's run command uses: its key
// statement (db.query with a prepared name, which PGlite ignores) answers there as on Postgres,
// each call by its own key. tests/integration/proxy.test.ts covers the proxy itself on Postgres.

describe("the proxy on the embedded database (PGlite)", () => {
  let t: TestApp;
  let ownerKey: string;
  let readKey: string;
  let otherKey: string;
  let slack: string;

  const createKey = async (cookie: string, name: string, permissions: string[]) => {
    const res = await t.gql(`mutation($n: String!, $p: [ApiKeyPermission!]) { createApiKey(name: $n, permissions: $p) { key } }`, { cookie, variables: { n: name, p: permissions } });
    if (!res.body.data?.createApiKey) throw new Error(JSON.stringify(res.body.errors));
    return res.body.data.createApiKey.key as string;
  };

  beforeAll(async () => {
    t = await startTestApp({ database: "pglite" });
    const owner = await t.signUp({ name: "Pia" });
    const other = await t.signUp({ name: "Quinn" });
    slack = await connectSandbox(t, owner, "slack");
    ownerKey = await createKey(owner.cookie, "proxy", ["PROXY"]);
    readKey = await createKey(owner.cookie, "reader", ["READ"]);
    otherKey = await createKey(other.cookie, "other", ["PROXY"]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("forwards a call with the connection's token, and answers calls sent together each by its own key", async () => {
    const call = (key: string, id = slack) => fetch(`${t.url}/proxy/${id}/auth.test`, { method: "POST", headers: { authorization: `Bearer ${key}` } });
    const one = await call(ownerKey);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ ok: true, team_id: "T0SANDBOX" });
    const keys = [ownerKey, readKey, otherKey, "sb_not_a_key", ownerKey, otherKey, readKey, ownerKey];
    const statuses = await Promise.all(keys.map(async (key) => (await call(key)).status));
    expect(statuses).toEqual([200, 403, 404, 401, 200, 404, 403, 200]);
    expect((await call(ownerKey, "no-such-connection")).status).toBe(404);
  });
});
