// Drives a sandbox emulator's consent page over HTTP as a person would: open it, keep the
// ticked scopes (or untick some), press Allow or Deny, follow the redirect back.

export async function consent(authorizationUrl: string, options: { origin: string; deny?: boolean; untick?: string[] }): Promise<URL> {
  const page = await fetch(authorizationUrl, { redirect: "manual" });
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${(await page.text()).slice(0, 200)}`);
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  const consentId = /name="consent" value="([^"]+)"/.exec(html)?.[1];
  if (!action || !consentId) throw new Error("no consent form on the page");
  const form = new URLSearchParams({ consent: consentId, decision: options.deny ? "deny" : "allow" });
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
