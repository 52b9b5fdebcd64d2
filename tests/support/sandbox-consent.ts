// Drives a sandbox emulator's consent page over HTTP as a person would: open it, keep the
// ticked scopes (or untick some), keep the account picker's default (or choose another by its
// name), press Allow or Deny, follow the redirect back.

// The sandbox's pages escape with numeric character references (escapeHtml in api/src/sandbox/http.ts).
const unescape = (value: string) => value.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, "&");

/** The account picker's options (value and text) and the selected one's value; none without a picker. */
export function accountOptions(html: string): { options: { value: string; name: string }[]; selected: string | undefined } {
  const select = /<select id="account" name="account">([\s\S]*?)<\/select>/.exec(html)?.[1];
  if (select === undefined) return { options: [], selected: undefined };
  const found = [...select.matchAll(/<option value="([^"]*)"( selected)?>([^<]*)<\/option>/g)].map((m) => ({ value: unescape(m[1]!), name: unescape(m[3]!), selected: m[2] !== undefined }));
  return { options: found.map(({ value, name }) => ({ value, name })), selected: (found.find((o) => o.selected) ?? found[0])?.value };
}

export async function consent(
  authorizationUrl: string,
  options: {
    origin: string;
    deny?: boolean;
    untick?: string[];
    /** The account to choose in the page's picker, by its name ("Globex Sandbox"); the preselected one otherwise. */
    account?: string;
  },
): Promise<URL> {
  const page = await fetch(authorizationUrl, { redirect: "manual" });
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${(await page.text()).slice(0, 200)}`);
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const consentId = /name="consent" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !consentId) throw new Error("no consent form on the page");
  const form = new URLSearchParams({ consent: consentId, decision: options.deny ? "deny" : "allow" });
  // A browser posts the picker's selected option.
  const picker = accountOptions(html);
  if (options.account !== undefined) {
    const chosen = picker.options.find((option) => option.name === options.account);
    if (!chosen) throw new Error(`no account "${options.account}" on the consent page (offered: ${picker.options.map((o) => o.name).join(", ") || "none"})`);
    form.set("account", chosen.value);
  } else if (picker.selected !== undefined) form.set("account", picker.selected);
  for (const m of html.matchAll(/<input type="checkbox" name="([^"]+)" value="([^"]+)" checked>/g)) {
    const value = m[2]!.replace(/&amp;/g, "&").replace(/&#39;/g, "'").replace(/&quot;/g, '"');
    if (!options.untick?.includes(value)) form.append(m[1]!, value);
  }
  const submit = await fetch(new URL(action.replace(/&amp;/g, "&"), authorizationUrl), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: options.origin },
    body: form.toString(),
    redirect: "manual",
  });
  const location = submit.headers.get("location");
  if (!location) throw new Error(`consent submit answered ${submit.status} without a redirect`);
  return new URL(location, authorizationUrl);
}
