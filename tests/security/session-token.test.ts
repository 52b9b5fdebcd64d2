import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PASSWORD, startTestApp, type TestApp } from "../support/app.ts";

// The session token lives only in the httpOnly cookie: better-auth also puts it in the JSON
// body of sign-up and sign-in, where the page's scripts could read it; the app removes it.

describe("the session token never reaches a script", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: "pglite" });
  });
  afterAll(() => t?.close());

  const sessionTokenOf = (setCookies: string[]) => {
    const cookie = setCookies.find((c) => c.startsWith("switchboard.session_token="));
    expect(cookie, "a session cookie is set").toBeDefined();
    expect(cookie).toMatch(/HttpOnly/i);
    return decodeURIComponent(cookie!.split(";")[0]!.split("=")[1]!).split(".")[0]!;
  };

  it("is not in the body of sign-up or sign-in, and the cookie still signs the person in", async () => {
    const email = `token-${Date.now()}@example.test`;
    const password = DEFAULT_PASSWORD;
    const post = (path: string, body: unknown) =>
      fetch(`${t.url}/api/auth/${path}`, { method: "POST", headers: { "content-type": "application/json", origin: t.origin }, body: JSON.stringify(body) });

    // Sign-up starts no session (issue 12: its answer must not tell a registered email from a
    // new one), so it sets no cookie and its body holds no token either.
    const signedUp = await post("sign-up/email", { email, password, name: "Tess" });
    expect(signedUp.status).toBe(200);
    expect(signedUp.headers.getSetCookie().some((c) => c.startsWith("switchboard.session_token="))).toBe(false);
    expect((JSON.parse(await signedUp.text()) as { token?: unknown }).token ?? null).toBeNull();

    for (const res of [await post("sign-in/email", { email, password })]) {
      expect(res.status).toBe(200);
      const setCookies = res.headers.getSetCookie();
      const token = sessionTokenOf(setCookies);
      expect(token.length).toBeGreaterThan(20);
      const text = await res.text();
      expect(text).not.toContain(token);
      const body = JSON.parse(text) as { token?: unknown; user?: { email?: string } };
      expect(body.token ?? null).toBeNull();
      expect(body.user?.email).toBe(email);
      // The cookie alone is the session.
      const cookie = setCookies.map((c) => c.split(";")[0]).join("; ");
      const me = await t.gql("{ viewer { user { email } } }", { cookie });
      expect(me.status).toBe(200);
      expect(JSON.stringify(me.body)).toContain(email);
    }
  });

  it("is not in get-session answers either (list-sessions is not mounted at all)", async () => {
    const user = await t.signUp();
    const token = decodeURIComponent(/switchboard\.session_token=([^;]+)/.exec(user.cookie)![1]!).split(".")[0]!;
    const res = await fetch(`${t.url}/api/auth/get-session`, { headers: { cookie: user.cookie, origin: t.origin } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(user.userId); // it is the person's session being answered
    expect(text).not.toContain(token);
    expect((await fetch(`${t.url}/api/auth/list-sessions`, { headers: { cookie: user.cookie, origin: t.origin } })).status).toBe(404);
  });

  it("a session renewed while the person works sends the browser a cookie with the new expiry", async () => {
    const user = await t.signUp();
    const ctx = await t.app.auth.$context;
    const { expiresIn, updateAge } = ctx.sessionConfig;
    const token = decodeURIComponent(/switchboard\.session_token=([^;]+)/.exec(user.cookie)![1]!).split(".")[0]!;
    // Signed in long enough ago that better-auth's sliding renewal is due.
    const dueAt = new Date(Date.now() + (expiresIn - updateAge - 60) * 1000);
    await t.app.db.prisma.session.update({ where: { token }, data: { expiresAt: dueAt } });
    const res = await t.gql("{ viewer { role } }", { cookie: user.cookie });
    expect(res.status).toBe(200);
    const renewed = res.setCookies.find((c) => c.startsWith("switchboard.session_token="));
    expect(renewed, "a renewed session cookie").toBeDefined();
    expect(renewed).toMatch(/HttpOnly/i);
    expect(Number(/Max-Age=(\d+)/i.exec(renewed!)?.[1])).toBeGreaterThan(expiresIn - 120);
    const row = await t.app.db.prisma.session.findUniqueOrThrow({ where: { token } });
    expect(row.expiresAt.getTime()).toBeGreaterThan(Date.now() + (expiresIn - 120) * 1000);
    // Not due any more: no cookie on the next request.
    expect((await t.gql("{ viewer { role } }", { cookie: user.cookie })).setCookies.some((c) => c.startsWith("switchboard.session_token="))).toBe(false);
  });
});
