import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "@switchboard/api/app";
import { createDatabase } from "@switchboard/api/db";
import { parseEnv } from "@switchboard/api/env";
import { createLogger } from "@switchboard/api/logger";
import { createTestDatabase, requirePostgres } from "../support/postgres.ts";
import { freePort, startTestApp, testSecrets, type TestApp } from "../support/app.ts";

// The GraphQL viewer from a session cookie (api/src/auth/viewer.ts): the cookie's signature is
// checked by our code and the session, user and membership are read in one statement, with
// better-auth's getSession only for expired sessions and sessions due for renewal. Every case
// goes through real HTTP to /graphql, on real Postgres and on PGlite, and wherever better-auth
// can answer the same question (GET /api/auth/get-session) its answer is the reference.

const postgres = await requirePostgres();

const VIEWER = "{ viewer { authenticatedWith role user { id email } workspace { id } } }";
const DAY = 24 * 3600 * 1000;

type User = Awaited<ReturnType<TestApp["signUp"]>>;

/** A request with one header line per cookie string (fetch would join them into one). */
function rawRequest(url: string, cookies: string[], body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { cookie: cookies, ...(body ? { "content-type": "application/json" } : {}) };
    const req = request(url, { method: body ? "POST" : "GET", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe.each([
  { database: "postgres" as const, enabled: postgres },
  { database: "pglite" as const, enabled: true },
])("session cookie → viewer on $database", ({ database, enabled }) => {
  describe.skipIf(!enabled)("over HTTP", () => {
    let t: TestApp;
    let name: string;
    let secret: string;
    let alice: User;
    beforeAll(async () => {
      t = await startTestApp({ database });
      const ctx = await t.app.auth.$context;
      name = ctx.authCookies.sessionToken.name;
      secret = ctx.secret;
      alice = await t.signUp({ name: "Alice" });
    });
    afterAll(() => t?.close());

    const prisma = () => t.app.db.prisma;
    /** The session cookie's value as the browser stores it (URI-encoded), and its two parts. */
    const sessionCookie = (user: { cookie: string }) => {
      const sent = user.cookie.split("; ").find((c) => c.startsWith(`${name}=`))!.slice(name.length + 1);
      const raw = decodeURIComponent(sent);
      const dot = raw.lastIndexOf(".");
      return { sent, token: raw.slice(0, dot), signature: raw.slice(dot + 1) };
    };
    const sign = (value: string) => `${value}.${createHmac("sha256", secret).update(value).digest("base64")}`;
    /** better-auth's own answer for a Cookie header: the session's user id, or null. */
    const betterAuthUser = async (cookie: string) => {
      const res = await fetch(`${t.url}/api/auth/get-session`, { headers: { cookie } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { user?: { id: string } } | null;
      return body?.user?.id ?? null;
    };
    const expectRefused = (res: Awaited<ReturnType<TestApp["gql"]>>, label: string) => {
      expect(res.status, label).toBe(401);
      expect(res.body.errors?.[0]?.extensions?.code, label).toBe("UNAUTHENTICATED");
      expect(res.body.data, label).toBeUndefined();
    };
    const signIn = async (email: string, rememberMe: boolean) => {
      const res = await fetch(`${t.url}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: t.origin },
        body: JSON.stringify({ email, password: "correct horse battery", rememberMe }),
      });
      expect(res.status).toBe(200);
      return res.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
    };
    const sessionOf = async (cookie: string) => prisma().session.findUnique({ where: { token: sessionCookie({ cookie }).token } });

    it("a valid session: 200 with its user, workspace and role", async () => {
      const res = await t.gql(VIEWER, { cookie: alice.cookie });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.viewer).toEqual({ authenticatedWith: "session", role: "OWNER", user: { id: alice.userId, email: alice.email }, workspace: { id: alice.workspaceId } });
    });

    it("damaged, forged, misplaced and oversized cookies: 401, as better-auth decides, and the server keeps serving", async () => {
      const bob = await t.signUp({ name: "Bob" });
      const { sent, token, signature } = sessionCookie(alice);
      const bobs = sessionCookie(bob);
      const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
      const enc = encodeURIComponent;
      const cases: { label: string; cookie: string; ok: boolean }[] = [
        // Accepted forms: better-call decodes percent-escapes, strips quotes and spaces, and
        // the first cookie of a name wins.
        { label: "as set by sign-in", cookie: `${name}=${sent}`, ok: true },
        { label: "not URI-encoded", cookie: `${name}=${token}.${signature}`, ok: true },
        { label: "every character percent-encoded", cookie: `${name}=${[...`${token}.${signature}`].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`).join("")}`, ok: true },
        { label: "lower-case percent-escapes", cookie: `${name}=${sent.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`, ok: true },
        { label: "quoted", cookie: `${name}="${sent}"`, ok: true },
        { label: "spaces around", cookie: `  ${name} = ${sent} ;`, ok: true },
        { label: "among other cookies", cookie: `a=1; ${name}x=2; ${name}=${sent}; b="3"`, ok: true },
        { label: "real one first, forged second", cookie: `${name}=${sent}; ${name}=${enc(`${token}.${flip(signature, 3)}`)}`, ok: true },
        // Refused.
        { label: "forged signature", cookie: `${name}=${enc(`${token}.${flip(signature, 0)}`)}`, ok: false },
        { label: "signature of zeros", cookie: `${name}=${enc(`${token}.${"A".repeat(43)}=`)}`, ok: false },
        { label: "another session's signature", cookie: `${name}=${enc(`${token}.${bobs.signature}`)}`, ok: false },
        { label: "tampered token with the original signature", cookie: `${name}=${enc(`${flip(token, 5)}.${signature}`)}`, ok: false },
        { label: "token with a suffix", cookie: `${name}=${enc(`${token}x.${signature}`)}`, ok: false },
        { label: "correctly signed unknown token", cookie: `${name}=${enc(sign("no-such-session-token-0123456789"))}`, ok: false },
        { label: "correctly signed SQL", cookie: `${name}=${enc(sign(`' OR '1'='1`))}`, ok: false },
        { label: "correctly signed token prefix", cookie: `${name}=${enc(sign(token.slice(0, -1)))}`, ok: false },
        { label: "correctly signed token with a wildcard", cookie: `${name}=${enc(sign(`${token.slice(0, -1)}%`))}`, ok: false },
        { label: "unsigned token", cookie: `${name}=${token}`, ok: false },
        { label: "token and dot only", cookie: `${name}=${token}.`, ok: false },
        { label: "signature without padding", cookie: `${name}=${enc(`${token}.${signature.slice(0, -1)}`)}`, ok: false },
        { label: "signature twice", cookie: `${name}=${enc(`${token}.${signature}.${signature}`)}`, ok: false },
        { label: "base64url signature", cookie: `${name}=${enc(`${token}.${signature.replace(/\+/g, "-").replace(/\//g, "_").replace(/^[^-_]*$/, (s) => s.replace(/^./, "-"))}`)}`, ok: false },
        { label: "double URI-encoded", cookie: `${name}=${enc(sent)}`, ok: false },
        { label: "a stray percent sign", cookie: `${name}=${sent}%`, ok: false },
        { label: "another name", cookie: `other=${sent}`, ok: false },
        { label: "a longer name", cookie: `${name}x=${sent}`, ok: false },
        { label: "the name in other case", cookie: `${name.toUpperCase()}=${sent}`, ok: false },
        { label: "the name URI-encoded", cookie: `${enc(name).replace(".", "%2E")}=${sent}`, ok: false },
        { label: "the __Secure- name over http", cookie: `__Secure-${name}=${sent}`, ok: false },
        { label: "forged first, real one second", cookie: `${name}=${enc(`${token}.${flip(signature, 3)}`)}; ${name}=${sent}`, ok: false },
        { label: "empty first, real one second", cookie: `${name}=; ${name}=${sent}`, ok: false },
        { label: "empty value", cookie: `${name}=`, ok: false },
        { label: "name only", cookie: name, ok: false },
        { label: "quotes only", cookie: `${name}=""`, ok: false },
        { label: "a dot", cookie: `${name}=.`, ok: false },
        { label: "signature only", cookie: `${name}=.${enc(signature)}`, ok: false },
        { label: "15 KB value", cookie: `${name}=${"a".repeat(15_000)}.${enc(signature)}`, ok: false },
        { label: "15 KB signed value", cookie: `${name}=${enc(sign("b".repeat(15_000)))}`, ok: false },
      ];
      for (const { label, cookie, ok } of cases) {
        const res = await t.gql(VIEWER, { cookie });
        if (ok) {
          expect(res.status, label).toBe(200);
          expect(res.body.data.viewer.user.id, label).toBe(alice.userId);
        } else expectRefused(res, label);
        expect(await betterAuthUser(cookie), `better-auth on: ${label}`).toBe(ok ? alice.userId : null);
      }
      // Several Cookie header lines (Node joins them with "; "): the same rules, same answers.
      const forged = `${name}=${enc(`${token}.${flip(signature, 3)}`)}`;
      const lines: [string[], boolean][] = [
        [["other=1", `${name}=${sent}`], true],
        [[`${name}=${sent}`, forged], true],
        [[forged, `${name}=${sent}`], false],
      ];
      for (const [cookies, ok] of lines) {
        const gql = await rawRequest(`${t.url}/graphql`, cookies, JSON.stringify({ query: VIEWER }));
        expect(gql.status, cookies.join(" | ")).toBe(ok ? 200 : 401);
        if (ok) expect(JSON.parse(gql.body).data.viewer.user.id).toBe(alice.userId);
        const session = await rawRequest(`${t.url}/api/auth/get-session`, cookies);
        expect((JSON.parse(session.body) as { user?: { id: string } } | null)?.user?.id ?? null, cookies.join(" | ")).toBe(ok ? alice.userId : null);
      }
      // Past Node's header limit (16 KB) the request never reaches the app: the server's
      // clientError handler answers 400 and closes that connection; the next request is served.
      const huge = await fetch(`${t.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", cookie: `${name}=${"a".repeat(100_000)}.${enc(signature)}` }, body: JSON.stringify({ query: VIEWER }) });
      expect(huge.status).toBe(400);
      const after = await t.gql(VIEWER, { cookie: alice.cookie });
      expect(after.status).toBe(200);
      expect(after.body.data.viewer.user.id).toBe(alice.userId);
      // Neither the token nor a signature reached the logs or a response.
      for (const secretPart of [token, signature, bobs.token]) {
        expect(t.logs()).not.toContain(secretPart);
        expect(t.responses.join("\n")).not.toContain(secretPart);
      }
    });

    it("signed out: the old cookie gets 401", async () => {
      const user = await t.signUp({ name: "Sam" });
      expect((await t.gql(VIEWER, { cookie: user.cookie })).status).toBe(200);
      const out = await fetch(`${t.url}/api/auth/sign-out`, { method: "POST", headers: { cookie: user.cookie, origin: t.origin, "content-type": "application/json" }, body: "{}" });
      expect(out.status).toBe(200);
      expect(await sessionOf(user.cookie)).toBeNull();
      expectRefused(await t.gql(VIEWER, { cookie: user.cookie }), "signed out");
    });

    it("a role change takes effect on the next request (updateMemberRole by the owner, or in the database)", async () => {
      const bob = await t.signUp({ name: "Bob" });
      const memberId = await t.addMember(alice, bob, "VIEWER");
      const active = await fetch(`${t.url}/api/auth/organization/set-active`, {
        method: "POST",
        headers: { cookie: bob.cookie, origin: t.origin, "content-type": "application/json" },
        body: JSON.stringify({ organizationId: alice.workspaceId }),
      });
      expect(active.status).toBe(200);
      const bobsViewer = async () => {
        const res = await t.gql(VIEWER, { cookie: bob.cookie });
        expect(res.status).toBe(200);
        return { role: res.body.data.viewer.role, workspace: res.body.data.viewer.workspace.id, user: res.body.data.viewer.user.id };
      };
      expect(await bobsViewer()).toEqual({ role: "VIEWER", workspace: alice.workspaceId, user: bob.userId });
      const forbidden = await t.gql(`mutation { createApiKey(name: "x") { id } }`, { cookie: bob.cookie });
      expect(forbidden.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

      const updated = await t.gql(`mutation($id: ID!) { updateMemberRole(id: $id, role: ADMIN) { role } }`, { cookie: alice.cookie, variables: { id: memberId } });
      expect(updated.body.data.updateMemberRole.role).toBe("ADMIN");
      expect(await bobsViewer()).toEqual({ role: "ADMIN", workspace: alice.workspaceId, user: bob.userId });
      const allowed = await t.gql(`mutation { createApiKey(name: "x") { id } }`, { cookie: bob.cookie });
      expect(allowed.body.errors).toBeUndefined();

      await prisma().member.update({ where: { id: memberId }, data: { role: "member" } });
      expect(await bobsViewer()).toEqual({ role: "MEMBER", workspace: alice.workspaceId, user: bob.userId });
      // Alice's own view never moved.
      expect((await t.gql(VIEWER, { cookie: alice.cookie })).body.data.viewer).toMatchObject({ role: "OWNER", workspace: { id: alice.workspaceId } });
    });

    it("removed from the active workspace: 401, no fallback to another; without an active workspace: the oldest membership", async () => {
      const carol = await t.signUp({ name: "Carol" });
      const addedId = await t.addMember(alice, carol, "MEMBER");
      await prisma().session.updateMany({ where: { userId: carol.userId }, data: { activeOrganizationId: alice.workspaceId } });
      expect((await t.gql(VIEWER, { cookie: carol.cookie })).body.data.viewer.workspace.id).toBe(alice.workspaceId);

      const removed = await t.gql(`mutation($id: ID!) { removeMember(id: $id) }`, { cookie: alice.cookie, variables: { id: addedId } });
      expect(removed.body.data.removeMember).toBe(true);
      // Carol still has her personal workspace, but the session acts in Alice's: refused.
      expectRefused(await t.gql(VIEWER, { cookie: carol.cookie }), "removed from the active workspace");
      expect(await betterAuthUser(carol.cookie)).toBe(carol.userId); // the session itself is fine

      // Unset the active workspace through better-auth: the oldest membership is used.
      const unsetActive = () =>
        fetch(`${t.url}/api/auth/organization/set-active`, {
          method: "POST",
          headers: { cookie: carol.cookie, origin: t.origin, "content-type": "application/json" },
          body: JSON.stringify({ organizationId: null }),
        });
      expect((await unsetActive()).status).toBe(200);
      expect((await sessionOf(carol.cookie))?.activeOrganizationId ?? null).toBeNull();
      const personal = await t.gql(VIEWER, { cookie: carol.cookie });
      expect(personal.status).toBe(200);
      expect(personal.body.data.viewer).toMatchObject({ role: "OWNER", workspace: { id: carol.workspaceId } });

      // A membership older than the personal one wins, so "oldest" is the rule, not chance.
      const againId = await t.addMember(alice, carol, "VIEWER");
      await prisma().member.update({ where: { id: againId }, data: { createdAt: new Date("2000-01-01T00:00:00Z") } });
      // Accepting moved the session to Alice's workspace; without an active one again:
      expect((await unsetActive()).status).toBe(200);
      const oldest = await t.gql(VIEWER, { cookie: carol.cookie });
      expect(oldest.body.data.viewer).toMatchObject({ role: "VIEWER", workspace: { id: alice.workspaceId } });

      // And with no membership at all: 401.
      await prisma().member.deleteMany({ where: { userId: carol.userId } });
      expectRefused(await t.gql(VIEWER, { cookie: carol.cookie }), "no membership");
    });

    it("an expired session: 401 and the session row is deleted, as better-auth does", async () => {
      const user = await t.signUp({ name: "Eve" });
      await prisma().session.updateMany({ where: { userId: user.userId }, data: { expiresAt: new Date(Date.now() - 1000) } });
      expectRefused(await t.gql(VIEWER, { cookie: user.cookie }), "expired");
      expect(await prisma().session.count({ where: { userId: user.userId } })).toBe(0);
      expectRefused(await t.gql(VIEWER, { cookie: user.cookie }), "expired, again");
      // Also with "remember me" off, whose sessions are never due for renewal.
      const other = await t.signUp({ name: "Eva" });
      const shortCookie = await signIn(other.email, false);
      expect(shortCookie).toContain("dont_remember");
      expect((await t.gql(VIEWER, { cookie: shortCookie })).status).toBe(200);
      await prisma().session.update({ where: { token: sessionCookie({ cookie: shortCookie }).token }, data: { expiresAt: new Date(Date.now() - 1000) } });
      expectRefused(await t.gql(VIEWER, { cookie: shortCookie }), "expired, remember me off");
      expect(await sessionOf(shortCookie)).toBeNull();
      expect((await t.gql(VIEWER, { cookie: other.cookie })).status).toBe(200); // the first sign-in's session is another one
    });

    it("renewal follows better-auth's rule: due sessions are extended, others are not written", async () => {
      const { expiresIn, updateAge } = (await t.app.auth.$context).sessionConfig;
      expect(expiresIn).toBeGreaterThan(updateAge);
      const user = await t.signUp({ name: "Dan" });
      const setExpiry = (expiresAt: Date) => prisma().session.updateMany({ where: { userId: user.userId }, data: { expiresAt } });

      // Not yet due (expiresAt - expiresIn + updateAge is an hour ahead): served, left as is.
      const notDue = new Date(Date.now() + (expiresIn - updateAge) * 1000 + 3600_000);
      await setExpiry(notDue);
      const first = await t.gql(VIEWER, { cookie: user.cookie });
      expect(first.status).toBe(200);
      expect((await sessionOf(user.cookie))!.expiresAt.getTime()).toBe(notDue.getTime());

      // Due a minute ago: served, and extended to a full expiresIn from now.
      await setExpiry(new Date(Date.now() + (expiresIn - updateAge) * 1000 - 60_000));
      const before = Date.now();
      const due = await t.gql(VIEWER, { cookie: user.cookie });
      expect(due.status).toBe(200);
      expect(due.body.data.viewer.user.id).toBe(user.userId);
      const renewed = (await sessionOf(user.cookie))!.expiresAt.getTime();
      expect(renewed).toBeGreaterThanOrEqual(before + expiresIn * 1000 - 1000);
      expect(renewed).toBeLessThanOrEqual(Date.now() + expiresIn * 1000 + 1000);

      // "Remember me" off: better-auth gives the session a day and never extends it while the
      // signed dont_remember cookie comes along; without that cookie it does extend.
      const shortCookie = await signIn(user.email, false);
      expect(shortCookie).toContain("dont_remember");
      const short = (await sessionOf(shortCookie))!;
      expect(short.expiresAt.getTime()).toBeLessThan(Date.now() + 2 * DAY);
      const kept = await t.gql(VIEWER, { cookie: shortCookie });
      expect(kept.status).toBe(200);
      expect((await sessionOf(shortCookie))!.expiresAt.getTime()).toBe(short.expiresAt.getTime());
      const withoutMarker = shortCookie
        .split("; ")
        .filter((c) => !c.includes("dont_remember"))
        .join("; ");
      expect((await t.gql(VIEWER, { cookie: withoutMarker })).status).toBe(200);
      expect((await sessionOf(shortCookie))!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * DAY);
    });

    it("the user deleted: 401", async () => {
      const user = await t.signUp({ name: "Gone" });
      expect((await t.gql(VIEWER, { cookie: user.cookie })).status).toBe(200);
      await prisma().user.delete({ where: { id: user.userId } });
      expectRefused(await t.gql(VIEWER, { cookie: user.cookie }), "user deleted");
    });
  });

  describe.skipIf(!enabled)("SQL statements", () => {
    // Counted from Prisma's query log, which startTestApp does not expose: an app of its own.
    let statements: string[] | null = null;
    let url: string;
    let origin: string;
    let close: () => Promise<void>;
    let prisma: Awaited<ReturnType<typeof createDatabase>>["prisma"];
    beforeAll(async () => {
      const tdb = database === "postgres" ? await createTestDatabase("viewersql") : null;
      const dir = mkdtempSync(join(tmpdir(), "sb-viewer-sql-"));
      const db = await createDatabase({ url: tdb?.url, dataDir: dir, onQuery: (sql) => statements?.push(sql) });
      const port = await freePort();
      origin = `http://localhost:${port}`;
      url = `http://127.0.0.1:${port}`;
      const env = parseEnv({ NODE_ENV: "test", PORT: String(port), PUBLIC_URL: origin, DATA_DIR: dir, HEALTH_SCHEDULER: "off", WEBHOOK_DISPATCHER: "off", ...(tdb ? { DATABASE_URL: tdb.url } : {}), ...testSecrets() });
      prisma = db.prisma;
      const app = await buildApp({ env, db, logger: createLogger({ level: "error" }) });
      await app.listen(port, "127.0.0.1");
      close = async () => {
        await app.close();
        await db.close();
        await tdb?.drop();
        rmSync(dir, { recursive: true, force: true });
      };
    });
    afterAll(() => close?.());

    const counted = async (cookie: string) => {
      statements = [];
      const res = await fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", cookie }, body: JSON.stringify({ query: "{ viewer { role authenticatedWith } }" }) });
      const body = await res.json();
      const sent = statements;
      statements = null;
      return { status: res.status, body, sent };
    };

    it("one statement resolves the viewer; better-auth's path only for a session due for renewal", async () => {
      const email = `sql-${Date.now()}@example.test`;
      const res = await fetch(`${url}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin },
        body: JSON.stringify({ email, password: "correct horse battery", name: "Sql" }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie()).toEqual([]); // sign-up starts no session
      const signedIn = await fetch(`${url}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin },
        body: JSON.stringify({ email, password: "correct horse battery" }),
      });
      const cookie = signedIn.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      expect(cookie).toMatch(/^switchboard\.session_token=[^;]+$/);
      const fast = await counted(cookie);
      expect(fast.status).toBe(200);
      expect(fast.body.data.viewer).toEqual({ role: "OWNER", authenticatedWith: "session" });
      expect(fast.sent).toHaveLength(1);
      expect(fast.sent[0]).toMatch(/FROM "session"/);
      // "Remember me" off: a day-long session that is never renewed, still one statement.
      const signIn = await fetch(`${url}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin },
        body: JSON.stringify({ email, password: "correct horse battery", rememberMe: false }),
      });
      expect(signIn.status).toBe(200);
      const shortCookie = signIn.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      expect(shortCookie).toContain("dont_remember");
      const short = await counted(shortCookie);
      expect(short.status).toBe(200);
      expect(short.sent).toHaveLength(1);
      // A forged cookie costs no statement at all.
      const dot = cookie.lastIndexOf(".");
      const forged = await counted(cookie.slice(0, dot + 1) + (cookie[dot + 1] === "A" ? "B" : "A") + cookie.slice(dot + 2));
      expect(forged.status).toBe(401);
      expect(forged.sent).toHaveLength(0);
      // The counter sees better-auth's statements too: a session due for renewal goes its way.
      await prisma.session.update({ where: { token: decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1)).split(".")[0]! }, data: { expiresAt: new Date(Date.now() + 3600_000) } });
      const due = await counted(cookie);
      expect(due.status).toBe(200);
      expect(due.sent.length).toBeGreaterThan(2);
      expect(due.sent.some((sql) => /^UPDATE\b.*"session"/is.test(sql))).toBe(true);
      // Renewed: back to one statement.
      expect((await counted(cookie)).sent).toHaveLength(1);
    });
  });
});
