export const DEFAULT_AFTER_SIGN_IN = "/dashboard/integrations";

/**
 * The `next` target after signing in, only when it is a path on this origin. A value such as
 * `//evil.example` or `/\evil.example` is a protocol-relative URL to browsers, so it is refused
 * (open redirect).
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return DEFAULT_AFTER_SIGN_IN;
  }
  const base = "http://switchboard.invalid";
  try {
    const url = new URL(next, base);
    if (url.origin !== base) return DEFAULT_AFTER_SIGN_IN;
    return url.pathname + url.search + url.hash;
  } catch {
    return DEFAULT_AFTER_SIGN_IN;
  }
}
