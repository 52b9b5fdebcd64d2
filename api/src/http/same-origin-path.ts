// The one check of a redirect target taken from a request: `next` on /login and /signup, the
// `returnTo` of the OAuth routes and of connectIntegration. The web imports this file as it is
// (web/src/lib/safe-next.ts), so it must stay free of imports and of Node-only APIs.
//
// Open-redirect bypasses work by making a check and the browser (or a later hop that decodes the
// value again) read one string differently: `/..//evil` is a path to a naive check and `//evil`
// once dot segments are resolved; `/%2f%2fevil`, `/%5cevil` and `/%252f%252fevil` become
// `//evil` or `/\evil` after one or two rounds of decoding; `/\t/evil` is `//evil` to a browser,
// which drops tabs and newlines anywhere; `/／evil` (fullwidth solidus) is `//evil` after NFKC.
// So the value is first brought to the browser's reading, then every reading of it (as sent,
// percent-decoded once, twice…, NFKC-normalised) must be a path on this site, and what comes
// out is the browser's own serialisation of the path, which is always ASCII.

export const MAX_REDIRECT_PATH_LENGTH = 2048;

// Any origin works: only whether a value stays on it matters. `.invalid` never resolves.
const BASE = "http://same-origin.invalid";
// What the WHATWG URL parser removes before parsing: tab and newlines anywhere, and C0 controls
// and spaces at either end.
const BROWSER_STRIPPED = /[\t\n\r]/g;
const EDGE_C0_OR_SPACE = /^[\u0000-\u0020]+|[\u0000-\u0020]+$/g;
// No path on this site needs a control character; browsers treat some of them specially.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Decoding rounds tried before a value that still changes is refused: three levels of encoding
// is already more than any link this product writes.
const MAX_DECODE_ROUNDS = 4;

/**
 * `value` as a path on this site (path, query and fragment, normalised the way a browser
 * normalises it), or null when any reading of it leaves the site, it holds control characters,
 * or it is longer than MAX_REDIRECT_PATH_LENGTH.
 */
export function sameOriginPath(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_REDIRECT_PATH_LENGTH) return null;
  const sent = browserReading(value);
  if (sent === null) return null;
  const canonical = localPath(sent);
  if (canonical === null || canonical.length > MAX_REDIRECT_PATH_LENGTH) return null;
  // The serialised form is what goes out, so it too must survive a later hop's decoding.
  if (!everyReadingIsLocal(sent) || !everyReadingIsLocal(canonical)) return null;
  return canonical;
}

/** The value as the URL parser will see it, or null when it holds control characters. */
function browserReading(value: string): string | null {
  const stripped = value.replace(BROWSER_STRIPPED, "").replace(EDGE_C0_OR_SPACE, "");
  return CONTROL.test(stripped) ? null : stripped;
}

/**
 * The path a browser would go to for `value`, resolved against this site, or null when it is
 * not a path on this site: it must start with exactly one slash (`//host` and `/\host` name
 * another host), stay on the origin, and keep a single leading slash once dot segments and
 * backslashes are resolved (`/..//evil` is `//evil`).
 */
function localPath(value: string): string | null {
  if (value[0] !== "/" || value[1] === "/" || value[1] === "\\") return null;
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE || url.pathname.startsWith("//")) return null;
  return url.pathname + url.search + url.hash;
}

/** Whether the value stays a local path however many times a later hop decodes or folds it. */
function everyReadingIsLocal(value: string): boolean {
  let current = value;
  for (let round = 0; round <= MAX_DECODE_ROUNDS; round++) {
    const folded = current.normalize("NFKC");
    for (const reading of folded === current ? [current] : [current, folded]) {
      const browser = browserReading(reading);
      if (browser === null || localPath(browser) === null) return false;
    }
    const decoded = percentDecode(current);
    if (decoded === current) return true;
    current = decoded;
  }
  return false;
}

/**
 * One round of percent-decoding that never throws: runs of escapes that are valid UTF-8 are
 * decoded as such (so `%EF%BC%8F` becomes `／` and NFKC can fold it), and in a run that is not,
 * the ASCII escapes (`%2f`, `%5C`, `%2e`, `%09`…) are still decoded.
 */
function percentDecode(value: string): string {
  return value.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%([0-7][0-9a-fA-F])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
  });
}
