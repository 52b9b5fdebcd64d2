// The tab's icon with a red count in its corner while connections need attention: an SVG data
// URL built from the app's own icon (web/static/favicon.svg), so no canvas or image load.

/** web/static/favicon.svg's drawing, without its <svg> wrapper. */
const ICON = `<rect width="32" height="32" rx="7" fill="#3b4cca"/><path d="M9 11h9m-9 10h14M22 8v6m-9 4v6" stroke="#fff" stroke-width="2.5" stroke-linecap="round"/>`;

/** The icon with `count` in a badge ("9+" past nine), as a data URL; the plain icon when 0. */
export function faviconWithBadge(count: number): string {
  const text = count > 9 ? "9+" : String(count);
  const badge =
    count > 0
      ? `<circle cx="23" cy="23" r="9" fill="#d92d20" stroke="#fff" stroke-width="1.5"/>` +
        `<text x="23" y="27.2" text-anchor="middle" font-family="Arial,Helvetica,sans-serif" font-weight="700" font-size="${text.length > 1 ? 9.5 : 12}" fill="#fff">${text}</text>`
      : "";
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">${ICON}${badge}</svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/**
 * Points the page's icon link at the badged icon; returns the function that restores the
 * original (when the count drops to 0, or the page is left).
 */
export function showFaviconBadge(doc: Document, count: number): () => void {
  const link = doc.querySelector<HTMLLinkElement>('link[rel~="icon"]');
  if (!link) return () => {};
  // Absolute: SvelteKit writes the icon's path relative to the first page served, and the
  // restore may run after a client-side navigation to a deeper path.
  const original = absolute(link.getAttribute("href"), doc.baseURI);
  if (count > 0) link.setAttribute("href", faviconWithBadge(count));
  return () => {
    if (original === null) link.removeAttribute("href");
    else link.setAttribute("href", original);
  };
}

function absolute(href: string | null, base: string): string | null {
  if (href === null || href.startsWith("data:")) return href;
  try {
    return new URL(href, base).href;
  } catch {
    return href;
  }
}
