import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@switchboard/api/logger";
import { requirePostgres } from "../support/postgres.ts";
import { startTestApp, type TestApp } from "../support/app.ts";

function capture() {
  let text = "";
  const destination = new Writable({
    write(chunk, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { logger: createLogger({ level: "debug", destination }), text: () => text };
}

describe("log redaction", () => {
  it("removes tokens, secrets, cookies and authorization headers wherever an object carries them", () => {
    const { logger, text } = capture();
    logger.info({ access_token: "AT-1", refresh_token: "RT-1", password: "PW-1", client_secret: "CS-1" }, "flat");
    logger.info({ tokens: { accessToken: "AT-2", refreshToken: "RT-2" }, req: { headers: { authorization: "Bearer KEY-2", cookie: "s=COOKIE-2" } } }, "nested");
    logger.info({ res: { headers: { "set-cookie": "s=COOKIE-3" } }, body: { token: { idToken: "ID-3" } } }, "deeper");
    logger.error({ err: Object.assign(new Error("boom"), { code: "ECONNREFUSED" }) }, "error codes stay readable");
    const out = text();
    for (const secret of ["AT-1", "RT-1", "PW-1", "CS-1", "AT-2", "RT-2", "KEY-2", "COOKIE-2", "COOKIE-3", "ID-3"]) expect(out).not.toContain(secret);
    expect(out).toContain("[redacted]");
    expect(out).toContain("ECONNREFUSED");
  });

  it("at any depth, in arrays, in errors and their causes, without changing the caller's objects", () => {
    const { logger, text } = capture();
    const deep = { a: { b: { c: { d: { e: { refresh_token: "RT-DEEP" }, list: [{ authorization: "Bearer KEY-LIST" }, "plain"] } } } } };
    const cause = Object.assign(new Error("token endpoint said no"), { response: { body: { access_token: "AT-CAUSE" } } });
    const err = Object.assign(new TypeError("refresh failed", { cause }), { code: "invalid_grant", client_secret: "CS-ERR", status: 400 });
    const cycle: Record<string, unknown> = { name: "loop", password: "PW-CYCLE" };
    cycle.self = cycle;
    logger.info(deep, "deep");
    logger.error({ err }, "error");
    logger.info({ cycle }, "cycle");
    logger.child({ component: "test", token: "T-BINDING" }).info({ ok: true }, "child");
    // Past the scan's depth or size, objects are left out rather than logged unscanned.
    let nested: Record<string, unknown> = { password: "PW-TOO-DEEP" };
    for (let i = 0; i < 12; i++) nested = { inner: nested };
    logger.info({ nested, wide: Array.from({ length: 6000 }, (_, i) => ({ i, secret: `S-WIDE-${i}` })) }, "too much");
    const out = text();
    for (const secret of ["RT-DEEP", "KEY-LIST", "AT-CAUSE", "CS-ERR", "PW-CYCLE", "T-BINDING", "PW-TOO-DEEP", "S-WIDE-"]) expect(out).not.toContain(secret);
    expect(out).toContain("[too deep to log]");
    expect(out).toContain("[too large to log]");
    const lines = out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines[0]!.a.b.c.d.list).toEqual([{ authorization: "[redacted]" }, "plain"]);
    // The error renders as pino renders errors: its type, message, stack and fields, the cause too.
    expect(lines[1]!.err).toMatchObject({ type: "TypeError", message: "refresh failed: token endpoint said no", code: "invalid_grant", status: 400, client_secret: "[redacted]" });
    expect(lines[1]!.err.stack).toContain("refresh failed");
    expect(JSON.stringify(lines[1]!.err)).toContain("token endpoint said no");
    expect(lines[3]).toMatchObject({ component: "test", token: "[redacted]", ok: true });
    // Nothing the caller holds was changed.
    expect(deep.a.b.c.d.e.refresh_token).toBe("RT-DEEP");
    expect((err as unknown as { client_secret: string }).client_secret).toBe("CS-ERR");
    expect(err.cause).toBe(cause);
    expect(cycle.password).toBe("PW-CYCLE");
  });
});

const enabled = await requirePostgres();

describe.skipIf(!enabled)("server logs", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
  });
  afterAll(() => t?.close());

  it("carry no password, session token or API key through sign-up, sign-in and API calls", async () => {
    const password = "a-very-secret-password-42";
    const user = await t.signUp({ password });
    const signIn = await fetch(`${t.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: t.origin },
      body: JSON.stringify({ email: user.email, password }),
    });
    expect(signIn.status).toBe(200);
    const wrong = await fetch(`${t.url}/api/auth/sign-in/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: t.origin },
      body: JSON.stringify({ email: user.email, password: "wrong-password-123" }),
    });
    expect(wrong.status).toBe(401);
    const key = (await t.gql('mutation { createApiKey(name: "k") { key } }', { cookie: user.cookie })).body.data.createApiKey.key as string;
    await t.gql("{ providers { id } }", { apiKey: key });
    await t.gql("{ nope }", { apiKey: key });
    const sessionToken = decodeURIComponent(user.cookie.split("=")[1]!).split(".")[0]!;
    const logs = t.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [password, "wrong-password-123", key, key.slice(3), sessionToken]) expect(logs).not.toContain(secret);
  });
});
