// Known open-redirect bypasses, by technique, aimed at evil.example. The techniques come from
// PortSwigger's Web Security Academy ("DOM-based open redirection", the URL validation bypass
// cheat sheet), OWASP's Unvalidated Redirects and Forwards Cheat Sheet and the public payload
// lists (PayloadsAllTheThings "Open Redirect"); each line is written here for this product's
// `next` and `returnTo`, which must be paths on this site.
//
// OFF_SITE: every one must be refused (the caller falls back to its default page).
// Each is off-site in some reading: as sent, after dot segments are resolved, after a browser
// drops tabs and newlines, after one or more rounds of percent-decoding, or after NFKC.

export const OFF_SITE: string[] = [
  // Absolute and scheme-relative URLs, and schemes without slashes.
  "https://evil.example",
  "http://evil.example/",
  "HtTpS://evil.example",
  "https:evil.example",
  "https:/evil.example",
  "https:\\\\evil.example",
  "javascript:alert(1)",
  "JaVaScRiPt:alert(1)",
  "java%0d%0ascript%0d%0a:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "evil.example",
  "evil.example/dashboard",
  "@evil.example",
  "%2F%2Fevil.example",
  // Doubled and mixed slashes.
  "//evil.example",
  "//evil.example/%2f..",
  "///evil.example",
  "////evil.example",
  "/\\evil.example",
  "//\\evil.example",
  "\\/\\/evil.example/",
  "/\\/evil.example/",
  "\\\\evil.example",
  "\\evil.example",
  "//evil.example@switchboard.test",
  "//switchboard.test@evil.example",
  // Dot segments that leave `//` behind once resolved (the reported finding: /..//evil.example).
  "/..//evil.example",
  "/.//evil.example",
  "/./..//evil.example",
  "/a/..//evil.example",
  "/dashboard/../..//evil.example",
  "/.\\/evil.example",
  "/..\\\\evil.example",
  "/%2e%2e//evil.example",
  "/%2E%2E//evil.example",
  "/%2e//evil.example",
  "/.%2e//evil.example",
  "/%2e%2e%2f%2fevil.example",
  "/%2e%2e%5c%5cevil.example",
  // Percent-encoded slashes and backslashes, once, twice, three times, in either case.
  "/%2f%2fevil.example",
  "/%2F%2Fevil.example",
  "/%2f/evil.example",
  "/%2fevil.example",
  "/%5cevil.example",
  "/%5Cevil.example",
  "/%5c%5cevil.example",
  "/%252f%252fevil.example",
  "/%252F/evil.example",
  "/%25252f%25252fevil.example",
  "/%255cevil.example",
  // Tabs, newlines and other control characters (raw and encoded), which browsers strip or choke on.
  "/\t/evil.example",
  "/\n/evil.example",
  "/\r\n/evil.example",
  "\t//evil.example",
  " //evil.example",
  "//evil.example\t",
  "/%09/evil.example",
  "/%0a/evil.example",
  "/%0d/evil.example",
  "/%0d%0a/evil.example",
  "/%09/javascript:alert(1)",
  "/\u0000/evil.example",
  "/%00/evil.example",
  "//evil%00.example",
  "/\u007f/evil.example",
  "/\u0085/evil.example",
  // Unicode lookalikes that fold to a slash or backslash (NFKC), raw and encoded.
  "/\uff0fevil.example",
  "\uff0f\uff0fevil.example",
  "/%EF%BC%8Fevil.example",
  "/%ef%bc%8f%ef%bc%8fevil.example",
  "/\uff3cevil.example",
  "/%EF%BC%BCevil.example",
  "/\ufe68evil.example",
  // Too long to be a link this product writes.
  `/${"a".repeat(2100)}`,
  "",
];

// Paths that stay on this site in every reading: accepted as they are or normalised, but never
// off-site. (`/;@evil.example` and `/@evil.example` are paths here, not hosts: no `//` precedes them.)
export const ON_SITE: [input: string, expected: string][] = [
  ["/dashboard/integrations", "/dashboard/integrations"],
  ["/dashboard/integrations?connected=slack", "/dashboard/integrations?connected=slack"],
  ["/dashboard/integrations/0193a1b2-c3d4?tab=log#checks", "/dashboard/integrations/0193a1b2-c3d4?tab=log#checks"],
  ["/settings/webhooks", "/settings/webhooks"],
  ["/dashboard/./integrations/../integrations", "/dashboard/integrations"],
  ["/dashboard\\integrations", "/dashboard/integrations"],
  ["/dashboard/integrations?next=%2F%2Fevil.example", "/dashboard/integrations?next=%2F%2Fevil.example"],
  ["/;@evil.example", "/;@evil.example"],
  ["/@evil.example", "/@evil.example"],
  ["/%40evil.example", "/%40evil.example"],
  ["/https://evil.example", "/https://evil.example"],
  ["/evil.example", "/evil.example"],
  ["/\u3031evil.example", "/%E3%80%B1evil.example"],
  ["/\u2215\u2215evil.example", "/%E2%88%95%E2%88%95evil.example"],
  // A browser drops tabs and newlines anywhere, and control characters and spaces at either end.
  ["/dash\tboard", "/dashboard"],
  ["/dashboard\u0000", "/dashboard"],
  [" /dashboard\n", "/dashboard"],
  ["/..", "/"],
];
