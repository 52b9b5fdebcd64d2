export const DEFAULT_AFTER_SIGN_IN = "/dashboard/integrations";

const BASE = "http://switchboard.invalid";

/**
 * `value` when it is a path on this origin, normalised; otherwise null. A value such as
 * `//evil.example` or `/\evil.example` is a protocol-relative URL to browsers, so it is refused
 * (open redirect), as are control characters, which browsers strip before resolving.
 */
export function sameOriginPath(value: string | null | undefined): string | null {
  if (!value || value.length > 512) return null;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return null;
  if (/[\u0000-\u001f\\]/.test(value)) return null;
  try {
    const url = new URL(value, BASE);
    if (url.origin !== BASE) return null;
    return url.pathname + url.search + url.hash;
  } catch {
    return null;
  }
}

/** The `next` target after signing in, only when it is a path on this origin. */
export function safeNext(next: string | null | undefined): string {
  return sameOriginPath(next) ?? DEFAULT_AFTER_SIGN_IN;
}
