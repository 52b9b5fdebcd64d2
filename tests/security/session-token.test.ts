import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";

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
    const password = "correct horse battery";
    const post = (path: string, body: unknown) =>
      fetch(`${t.url}/api/auth/${path}`, { method: "POST", headers: { "content-type": "application/json", origin: t.origin }, body: JSON.stringify(body) });

    for (const res of [await post("sign-up/email", { email, password, name: "Tess" }), await post("sign-in/email", { email, password })]) {
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
});
