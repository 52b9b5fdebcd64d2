import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sameOriginPath } from "../../api/src/http/same-origin-path.ts";
import { requirePostgres } from "../support/postgres.ts";
import { freePort, startTestApp, type TestApp } from "../support/app.ts";
import { consent } from "../support/sandbox-consent.ts";
import { OFF_SITE, ON_SITE } from "./open-redirect-payloads.ts";

// Redirect targets taken from a request (`next` on /login and /signup, `returnTo` of the OAuth
// routes and of connectIntegration) go through one check, api/src/http/same-origin-path.ts.
// Here: that check against the known bypasses, then the same list through the API
// (connectIntegration → the stored state → the callback's redirect) and through the web's real
// routes, served by the built SvelteKit handler as the product serves it.

const SITE = "https://switchboard.test";
const DEFAULT_AFTER_SIGN_IN = "/dashboard/integrations";

/** Whether a browser on SITE that follows `location` stays on SITE, whatever it decodes. */
function staysOnSite(location: string): boolean {
  if (!/^[\x21-\x7e]*$/.test(location)) return false;
  if (/^[/\\]{2}/.test(location) || /^[/\\]{2}/.test(decodeURIComponent(location.replace(/%(?![0-9a-f]{2})/gi, "%25")))) return false;
  return new URL(location, `${SITE}/some/page`).origin === SITE;
}

describe("sameOriginPath, the one redirect check", () => {
  it("refuses every known bypass", () => {
    for (const payload of OFF_SITE) expect(sameOriginPath(payload), JSON.stringify(payload)).toBeNull();
  });

  it("keeps paths on this site, in the browser's normal form", () => {
    for (const [input, expected] of ON_SITE) expect(sameOriginPath(input), JSON.stringify(input)).toBe(expected);
  });

  it("never answers anything a browser would take off the site, for any mix of tricky prefixes", () => {
    const pieces = ["/", "\\", ".", "..", "%2f", "%2F", "%5c", "%2e", "%2e%2e", "%252f", "%09", "\t", "\n", " ", "\uff0f", "%EF%BC%8F", "@", ";", ":", "https:", "evil.example"];
    let checked = 0;
    for (const a of pieces) {
      for (const b of pieces) {
        for (const c of pieces) {
          for (const lead of ["", "/"]) {
            const value = `${lead}${a}${b}${c}evil.example`;
            const result = sameOriginPath(value);
            if (result !== null) expect(staysOnSite(result), `${JSON.stringify(value)} → ${result}`).toBe(true);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(2 * pieces.length ** 3);
  });

  it("accepts nothing but strings", () => {
    for (const value of [null, undefined, 42, ["/dashboard"], { toString: () => "/dashboard" }]) expect(sameOriginPath(value)).toBeNull();
  });
});

const enabled = await requirePostgres();
const WEB_HANDLER = fileURLToPath(new URL("../../web/build/handler.js", import.meta.url));
const webBuilt = existsSync(WEB_HANDLER);
if (!webBuilt) {
  const message = `${WEB_HANDLER} is missing: build the product first (node scripts/build.mjs); the README's test command does.`;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n⚠ SKIPPING the web routes' redirect tests: ${message}\n`);
}

describe.skipIf(!enabled)("redirect targets through the API and the web's routes", () => {
  let t: TestApp;
  let user: Awaited<ReturnType<TestApp["signUp"]>>;
  let web: Server | undefined;
  let webUrl = "";

  beforeAll(async () => {
    t = await startTestApp({ database: "postgres" });
    user = await t.signUp({ name: "Rita Redirect" });
    if (!webBuilt) return;
    // As main.ts mounts it: adapter-node reads ORIGIN, and the web's server code reaches the
    // GraphQL API over loopback, when the handler is imported.
    const port = await freePort();
    webUrl = `http://127.0.0.1:${port}`;
    process.env.ORIGIN = webUrl;
    process.env.SWITCHBOARD_API_URL = t.url;
    const { handler } = (await import(pathToFileURL(WEB_HANDLER).href)) as { handler: (req: unknown, res: unknown, next: () => void) => void };
    web = createServer((req, res) => handler(req, res, () => res.writeHead(404).end()));
    await new Promise<void>((resolve) => web!.listen(port, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    if (web) await new Promise<void>((resolve) => web!.close(() => resolve()));
    await t?.close();
  });

  const latestState = () => t.app.db.prisma.oAuthState.findFirstOrThrow({ where: { userId: user.userId }, orderBy: { createdAt: "desc" } });
  const connect = (returnTo: string) =>
    t.gql(`mutation($p: ID!, $r: String) { connectIntegration(provider: $p, returnTo: $r) { authorizationUrl } }`, { cookie: user.cookie, variables: { p: "slack", r: returnTo } });

  it("connectIntegration stores no bypass as the returnTo, and keeps paths on this site", async () => {
    for (const payload of OFF_SITE) {
      const res = await connect(payload);
      expect(res.body.errors, JSON.stringify(payload)).toBeUndefined();
      expect((await latestState()).returnTo, JSON.stringify(payload)).toBeNull();
    }
    for (const [input, expected] of ON_SITE) {
      await connect(input);
      expect((await latestState()).returnTo, JSON.stringify(input)).toBe(expected);
    }
  });

  it("completing a connection started with returnTo=/..//evil.example lands on the dashboard", async () => {
    for (const [returnTo, landing] of [
      ["/..//evil.example", `${DEFAULT_AFTER_SIGN_IN}?connected=slack`],
      ["/settings/webhooks", "/settings/webhooks?connected=slack"],
    ] as const) {
      const started = await connect(returnTo);
      const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
      const back = await consent(started.body.data.connectIntegration.authorizationUrl, { origin: t.origin });
      const done = await t.gql(`mutation($p: ID!, $q: String!) { completeIntegrationConnection(provider: $p, callbackQuery: $q) { redirectTo errorCode } }`, {
        cookie: `${user.cookie}; ${binding}`,
        variables: { p: "slack", q: back.search },
      });
      expect(done.body.data.completeIntegrationConnection).toEqual({ redirectTo: landing, errorCode: null });
    }
  });

  describe.skipIf(!webBuilt)("the web's routes (built SvelteKit handler)", () => {
    const get = async (path: string, cookie?: string) => {
      const res = await fetch(`${webUrl}${path}`, { redirect: "manual", headers: cookie ? { cookie } : {} });
      await res.body?.cancel();
      return { status: res.status, location: res.headers.get("location"), setCookies: res.headers.getSetCookie() };
    };

    it("/login and /signup send a signed-in person only to a path on this site (the reported /login?next=/..//evil.example)", async () => {
      const reported = await get(`/login?next=${encodeURIComponent("/..//evil.example")}`, user.cookie);
      expect(reported).toMatchObject({ status: 303, location: DEFAULT_AFTER_SIGN_IN });
      for (const page of ["/login", "/signup"]) {
        for (const payload of OFF_SITE) {
          const res = await get(`${page}?next=${encodeURIComponent(payload)}`, user.cookie);
          expect(res, `${page} ${JSON.stringify(payload)}`).toMatchObject({ status: 303, location: DEFAULT_AFTER_SIGN_IN });
        }
        for (const [input, expected] of ON_SITE) {
          const res = await get(`${page}?next=${encodeURIComponent(input)}`, user.cookie);
          expect(res, `${page} ${JSON.stringify(input)}`).toMatchObject({ status: 303, location: expected });
        }
      }
    });

    it("the authorize route passes no bypass on, signed out (to /login?next=) or signed in (to the state)", async () => {
      for (const payload of OFF_SITE) {
        const signedOut = await get(`/api/integrations/oauth/authorize?provider=slack&returnTo=${encodeURIComponent(payload)}`);
        expect(signedOut.status).toBe(303);
        const login = new URL(signedOut.location!, webUrl);
        expect([login.pathname, login.searchParams.get("next")], JSON.stringify(payload)).toEqual(["/login", DEFAULT_AFTER_SIGN_IN]);

        const signedIn = await get(`/api/integrations/oauth/authorize?provider=slack&returnTo=${encodeURIComponent(payload)}`, user.cookie);
        expect(signedIn.status, JSON.stringify(payload)).toBe(303);
        expect(new URL(signedIn.location!).pathname).toMatch(/^\/sandbox\//);
        expect((await latestState()).returnTo, JSON.stringify(payload)).toBeNull();
      }
    });

    it("the callback route brings the browser back to a path on this site", async () => {
      for (const [returnTo, landing] of [
        ["/..//evil.example", `${DEFAULT_AFTER_SIGN_IN}?connected=slack`],
        ["/%2e%2e%2f%2fevil.example", `${DEFAULT_AFTER_SIGN_IN}?connected=slack`],
        ["/settings/webhooks", "/settings/webhooks?connected=slack"],
      ] as const) {
        const started = await get(`/api/integrations/oauth/authorize?provider=slack&returnTo=${encodeURIComponent(returnTo)}`, user.cookie);
        const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
        const back = await consent(started.location!, { origin: t.origin });
        const res = await get(`/api/integrations/oauth/callback/slack${back.search}`, `${user.cookie}; ${binding}`);
        expect(res, returnTo).toMatchObject({ status: 303, location: landing });
      }
    });
  });
});
