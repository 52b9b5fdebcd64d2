import { createRequire } from "node:module";
import { createHmac, randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { bearerToken, parseCookieHeader, verifySignedCookie } from "./viewer.ts";
import { can } from "./roles.ts";

describe("bearerToken", () => {
  it("reads exactly one Bearer credential", () => {
    expect(bearerToken("Bearer sb_abc")).toBe("sb_abc");
    expect(bearerToken("bearer   sb_abc ")).toBe("sb_abc");
    for (const bad of [null, "", "Basic xyz", "Bearer", "Bearer a b", "sb_abc"]) expect(bearerToken(bad)).toBeNull();
  });
});

describe("roles", () => {
  it("lets viewers read, members test, admins and owners manage", () => {
    expect(can("viewer", { integration: ["read"] })).toBe(true);
    expect(can("viewer", { integration: ["test"] })).toBe(false);
    expect(can("member", { integration: ["test"] })).toBe(true);
    expect(can("member", { integration: ["connect"] })).toBe(false);
    expect(can("member", { apiKey: ["create"] })).toBe(false);
    for (const role of ["admin", "owner"] as const) {
      expect(can(role, { integration: ["connect", "disconnect"], apiKey: ["create"], webhook: ["create"] })).toBe(true);
    }
  });
});

// The session cookie is checked on the GraphQL hot path by our own code (verifySignedCookie,
// parseCookieHeader) and everywhere else by better-auth through better-call. The two must agree
// on every input: compared here against the very copy of better-call that better-auth loads
// (it is better-auth's dependency, not ours, so it is resolved from better-auth's location).

type BetterCall = {
  parseCookies(header: string): Map<string, string>;
  serializeSignedCookie(name: string, value: string, secret: string): Promise<string>;
  createInternalContext(
    context: { headers: Headers },
    options: { options: { method: string }; path: string },
  ): Promise<{ getSignedCookie(name: string, secret: string): Promise<string | null | false> }>;
};

const betterCallEntry = createRequire(createRequire(import.meta.url).resolve("better-auth")).resolve("better-call");
const betterCall = (await import(pathToFileURL(betterCallEntry.replace(/index\.cjs$/, "index.mjs")).href)) as BetterCall;

/** What better-auth's getSession reads from a Cookie header: better-call's getSignedCookie. */
async function theirs(cookieHeader: string, name: string, secret: string): Promise<string | null> {
  const ctx = await betterCall.createInternalContext({ headers: new Headers({ cookie: cookieHeader }) }, { options: { method: "GET" }, path: "/" });
  return (await ctx.getSignedCookie(name, secret)) || null;
}

function ours(cookieHeader: string, name: string, secret: string): string | null {
  return verifySignedCookie(parseCookieHeader(cookieHeader).get(name), secret);
}

// Deterministic by default so a failure reproduces; FUZZ_SEED=<n> explores other inputs.
const SEED = Number(process.env.FUZZ_SEED) || 0x5eed1e;
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
// Characters that need URI-encoding, the signature separator, base64 padding, percent signs,
// quotes, cookie separators, non-ASCII and astral characters.
const ALPHABET = [..."abcXYZ019-_~.!*'()=%;, \"+/\\:@?&#$[]{}<>|^`\t", "é", "€", "ß", "😀", "\u00a0"];
function randomValue(next: () => number): string {
  const length = 1 + Math.floor(next() * 48);
  let out = "";
  for (let i = 0; i < length; i++) out += next() < 0.5 ? ALPHABET[Math.floor(next() * ALPHABET.length)] : String.fromCharCode(0x21 + Math.floor(next() * 94));
  return out;
}

const NAME = "switchboard.session_token";

describe("verifySignedCookie against better-call's signed cookies", () => {
  it("accepts every value better-call signs, with the right secret only", async () => {
    const next = rng(SEED);
    const secrets = [randomBytes(32).toString("base64url"), "sécret with spaces ✓", "s"];
    const values = ["", ".", "..", "=", "%", "%%", "%2", "%25", "a.b.c", "x=y", "\"quoted\"", " padded ", "😀", crypto.randomUUID(), ...Array.from({ length: 300 }, () => randomValue(next))];
    let accepted = 0;
    for (const [i, value] of values.entries()) {
      const secret = secrets[i % secrets.length]!;
      const header = await betterCall.serializeSignedCookie(NAME, value, secret);
      const expected = await theirs(header, NAME, secret);
      const context = `seed ${SEED}, value ${JSON.stringify(value)}`;
      expect(ours(header, NAME, secret), context).toBe(expected);
      // better-call itself refuses an empty value (no character before the dot) and trims
      // surrounding spaces when it parses; every other value comes back exactly as signed.
      if (value !== "" && value.trim() === value) {
        expect(expected, context).toBe(value);
        accepted++;
      }
      const wrongSecret = secrets[(i + 1) % secrets.length]!;
      expect(ours(header, NAME, wrongSecret), context).toBeNull();
      expect(await theirs(header, NAME, wrongSecret), context).toBeNull();
      // Our signature is byte for byte better-call's.
      const raw = decodeURIComponent(header.slice(NAME.length + 1));
      expect(raw.slice(raw.lastIndexOf(".") + 1)).toBe(createHmac("sha256", secret).update(value).digest("base64"));
    }
    expect(accepted).toBeGreaterThan(250);
  });

  it("refuses every one-bit change of the signed value or its signature, exactly as better-call does", async () => {
    const next = rng(SEED + 1);
    const secret = randomBytes(32).toString("base64url");
    let compared = 0;
    for (let n = 0; n < 12; n++) {
      const value = n === 0 ? randomBytes(24).toString("base64url").slice(0, 32) : randomValue(next).trim() || "v";
      const signature = createHmac("sha256", secret).update(value).digest("base64");
      const raw = `${value}.${signature}`;
      for (let i = 0; i < raw.length; i++) {
        const code = raw.charCodeAt(i);
        if (code >= 0xd800 && code <= 0xdfff) continue; // half of an astral character
        for (let bit = 0; bit < 16; bit++) {
          const flipped = code ^ (1 << bit);
          if (flipped >= 0xd800 && flipped <= 0xdfff) continue; // would not be a string encodeURIComponent takes
          const mutated = raw.slice(0, i) + String.fromCharCode(flipped) + raw.slice(i + 1);
          const header = `${NAME}=${encodeURIComponent(mutated)}`;
          const got = ours(header, NAME, secret);
          const context = `seed ${SEED}, ${JSON.stringify(mutated)}`;
          expect(got, context).toBe(await theirs(header, NAME, secret));
          compared++;
          if (got === null) continue;
          // The only changes either accepts: the unused low bits of the signature's last base64
          // character (43 characters carry 258 bits for a 256-bit MAC), which decode to the
          // same MAC. Same value, same MAC bytes: nothing was forged.
          expect(got, context).toBe(value);
          expect(i, context).toBe(raw.length - 2);
          expect(Buffer.from(mutated.slice(-44), "base64").equals(Buffer.from(signature, "base64")), context).toBe(true);
        }
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it("agrees with better-call on damaged Cookie headers (each visible ASCII change of the sent header)", async () => {
    const secret = randomBytes(32).toString("base64url");
    const value = randomBytes(24).toString("base64url");
    const header = await betterCall.serializeSignedCookie(NAME, value, secret);
    expect(ours(header, NAME, secret)).toBe(value);
    const variants: string[] = [];
    for (let i = 0; i < header.length; i++) {
      for (let c = 0x20; c <= 0x7e; c++) if (c !== header.charCodeAt(i)) variants.push(header.slice(0, i) + String.fromCharCode(c) + header.slice(i + 1));
      variants.push(header.slice(0, i) + header.slice(i + 1)); // one character dropped
    }
    let acceptedOther = 0;
    for (const variant of variants) {
      const got = ours(variant, NAME, secret);
      expect(got, variant).toBe(await theirs(variant, NAME, secret));
      if (got !== null) {
        // Accepted damage changes nothing that matters: lower-case percent-escapes, spaces
        // trimmed around the name, the unused bits of the last signature character.
        expect(got, variant).toBe(value);
        acceptedOther++;
      }
    }
    expect(acceptedOther).toBeLessThan(variants.length / 50);
  });

  it("refuses malformed signatures that a lenient base64 decoder would read", () => {
    const secret = "s3cret";
    const value = "token123";
    const good = createHmac("sha256", secret).update(value).digest("base64");
    expect(verifySignedCookie(`${value}.${good}`, secret)).toBe(value);
    const bad = [
      undefined,
      "",
      value,
      `${value}.`,
      `.${good}`,
      `${value}.${good.slice(0, -1)}`, // padding dropped
      `${value}.${good}=`,
      `${value}.${good.replace(/\+/g, "-").replace(/\//g, "_")}${/[+/]/.test(good) ? "" : "x"}`, // base64url
      `${value}.${good.slice(0, 20)} ${good.slice(21)}`,
      `${value}.${good.slice(0, 20)}*${good.slice(21)}`,
      `${value}.${"A".repeat(43)}=`,
      `${value}x.${good}`,
      `${value}.${good}.${good}`,
    ];
    for (const raw of bad) expect(verifySignedCookie(raw, secret), String(raw)).toBeNull();
  });
});

describe("parseCookieHeader against better-call's parseCookies", () => {
  const same = (header: string) => expect([...parseCookieHeader(header)], JSON.stringify(header)).toEqual([...betterCall.parseCookies(header)]);

  it("parses tricky Cookie headers exactly as better-call does", () => {
    const headers = [
      "",
      "a",
      "=",
      ";",
      "a=1",
      "a=1; a=2",
      "a=; a=2",
      " a = 1 ; b = 2 ",
      "a=1;b=2;;c=3",
      "a=\"quoted\"",
      "a=\"",
      "a=\"\"",
      "a=\"unterminated",
      "a=%",
      "a=%2",
      "a=%zz",
      "a=%E2%82%AC",
      "a=%ED%A0%80",
      "a=%2F%2f",
      "a=b=c",
      "a;b=1",
      "a;b;c=1;d",
      "x; a=1; y",
      "=1",
      "=1; a=2",
      "a.b=1; a%2Eb=2",
      `${NAME}=v.sig%3D; ${NAME}=other`,
      `other=1; ${NAME}=v.sig%3D`,
      `${NAME}x=1; ${NAME}=2`,
      `__Secure-${NAME}=1; ${NAME}=2`,
      "a=1,b=2",
      "a=1\t; b=\t2",
      "a=é; b=\u00a0",
      "a=1; ; ; b=2;",
      "a=" + "x".repeat(100_000),
    ];
    for (const header of headers) same(header);
  });

  it("parses random Cookie headers exactly as better-call does", () => {
    const next = rng(SEED + 2);
    const pieces = ["a", "b", NAME, "=", "==", ";", "; ", " ", "\"", "%", "%2", "%3D", "%zz", "%E2%82%AC", ".", "x", "é", "\t", ","];
    for (let n = 0; n < 5000; n++) {
      let header = "";
      const length = Math.floor(next() * 14);
      for (let i = 0; i < length; i++) header += pieces[Math.floor(next() * pieces.length)];
      same(header);
    }
  });
});
