// Which org a connection goes to, for providers whose `Provider.orgChoice` is true (Salesforce:
// production logs in at login.salesforce.com, sandboxes at test.salesforce.com, and an org with
// a My Domain at its own host). The API validates `org` and is the authority; the check here
// only lets the card explain a mistake before the browser leaves for the provider. It restates
// the API's rule, so keep the two in step (api: connectIntegration's `org` argument).

export type OrgKind = "production" | "sandbox" | "mydomain";

export const ORG_CHOICES: readonly { kind: OrgKind; label: string }[] = [
  { kind: "production", label: "Production" },
  { kind: "sandbox", label: "Sandbox" },
  { kind: "mydomain", label: "My Domain" },
];

export const MY_DOMAIN_EXAMPLE = "acme or https://acme.my.salesforce.com";

// A My Domain name, optionally with a sandbox suffix ("acme--uat") and the kind of org it is
// ("acme--uat.sandbox", "acme.develop"): the first label of `NAME.my.salesforce.com`.
const NAME = "[a-z0-9][a-z0-9-]*(?:--[a-z0-9]+)?(?:\\.(?:sandbox|develop|scratch|trailblaze|demo|patch))?";
const BARE_NAME = new RegExp(`^${NAME}$`);
const MY_DOMAIN_URL = new RegExp(`^https://${NAME}\\.my\\.salesforce\\.com/?$`);
// Where people most often copy an address from: the Lightning app, which is not a login host.
const LIGHTNING = new RegExp(`^(?:https?://)?(${NAME})\\.lightning\\.force\\.com(?:/.*)?$`);
const MY_DOMAIN_HOST = new RegExp(`^(?:https?://)?(${NAME})\\.my\\.salesforce\\.com/?$`);

export type MyDomainCheck = { valid: true; value: string } | { valid: false; message: string };

/** Checks what was typed in the "My Domain" field; `value` is what to send as `org`. */
export function checkMyDomain(input: string): MyDomainCheck {
  const value = input.trim().toLowerCase();
  if (value === "") return { valid: false, message: `Enter your My Domain: ${MY_DOMAIN_EXAMPLE}.` };
  if (BARE_NAME.test(value) || MY_DOMAIN_URL.test(value)) return { valid: true, value };
  const lightning = LIGHTNING.exec(value);
  if (lightning) {
    return {
      valid: false,
      message: `That is a Lightning address, not a login host. Use the My Domain URL instead: https://${lightning[1]}.my.salesforce.com`,
    };
  }
  const host = MY_DOMAIN_HOST.exec(value);
  if (host) return { valid: false, message: `Start the URL with https://, or enter only the name: ${host[1]}` };
  return { valid: false, message: `Not a My Domain. Enter ${MY_DOMAIN_EXAMPLE}.` };
}

/** The choice to show for a connection's stored `org` (production, sandbox or a My Domain URL). */
export function orgChoiceOf(org: string | null | undefined): { kind: OrgKind; myDomain: string } {
  if (!org || org === "production") return { kind: "production", myDomain: "" };
  if (org === "sandbox") return { kind: "sandbox", myDomain: "" };
  return { kind: "mydomain", myDomain: org };
}
