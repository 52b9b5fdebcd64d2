import { describe, expect, it } from "vitest";
import { faviconWithBadge, showFaviconBadge } from "./favicon-badge";

const svgOf = (url: string) => decodeURIComponent(url.replace(/^data:image\/svg\+xml,/, ""));

describe("faviconWithBadge", () => {
  it("draws the count in a badge, 9+ past nine, and the plain icon at 0", () => {
    expect(svgOf(faviconWithBadge(1))).toMatch(/<circle [^>]*\/><text [^>]*>1<\/text><\/svg>$/);
    expect(svgOf(faviconWithBadge(12))).toContain(">9+</text>");
    expect(svgOf(faviconWithBadge(0))).not.toContain("<circle");
    expect(faviconWithBadge(0)).toMatch(/^data:image\/svg\+xml,/);
  });
});

describe("showFaviconBadge", () => {
  it("points the icon link at the badge and restores the original", () => {
    document.head.innerHTML = '<link rel="icon" href="/favicon.svg" type="image/svg+xml">';
    const link = document.querySelector("link")!;
    const restore = showFaviconBadge(document, 2);
    expect(svgOf(link.getAttribute("href")!)).toContain(">2</text>");
    restore();
    // Restored as an absolute URL: a relative one would resolve against a later, deeper path.
    expect(link.getAttribute("href")).toBe(new URL("/favicon.svg", document.baseURI).href);
    showFaviconBadge(document, 0);
    expect(link.getAttribute("href")).toBe(new URL("/favicon.svg", document.baseURI).href);
  });
});
