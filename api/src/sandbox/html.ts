import { PROVIDER_NAMES, SANDBOX_PROVIDERS, type SandboxProviderId } from "./catalog.ts";
import { escapeHtml as e } from "./http.ts";
import type { ScopeGroup } from "./store.ts";
import { DEFAULT_DELAY_MS, DEFAULT_RETRY_AFTER_SECONDS, FAULT_MODES, type AccountChoice, type ConsentAccount, type ProviderRuntime } from "./types.ts";

// Server-rendered pages of the sandbox: consent, errors and the fault control panel. Every
// interpolated value goes through escapeHtml: query parameters (state, scope, client_id) are
// attacker-controlled, since anyone can craft an authorization link.

function layout(input: { title: string; accent: string; body: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${e(input.title)}</title>
<style>
  body { margin: 0; font: 15px/1.5 system-ui, sans-serif; background: #f4f4f5; color: #18181b; }
  header { background: ${input.accent}; color: #fff; padding: 14px 24px; font-weight: 600; }
  header small { font-weight: 400; opacity: .85; margin-left: 8px; }
  main { max-width: 640px; margin: 32px auto; background: #fff; border-radius: 8px; padding: 24px 28px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  main.wide { max-width: 1000px; }
  h1 { font-size: 20px; margin: 0 0 12px; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; align-items: baseline; margin: 12px 0 20px; }
  dt { color: #52525b; }
  dd { margin: 0; word-break: break-all; }
  fieldset { border: 1px solid #e4e4e7; border-radius: 6px; margin: 0 0 16px; padding: 8px 14px; }
  label { display: block; padding: 3px 0; }
  dt label { padding: 0; }
  select { font: inherit; }
  code { background: #f4f4f5; padding: 1px 4px; border-radius: 3px; }
  .actions { display: flex; gap: 12px; margin-top: 20px; }
  button { font: inherit; padding: 8px 18px; border-radius: 6px; border: 1px solid #a1a1aa; background: #fff; cursor: pointer; }
  button.primary { background: ${input.accent}; border-color: ${input.accent}; color: #fff; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 8px; border-bottom: 1px solid #e4e4e7; vertical-align: top; }
  form.inline { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 0; }
  input[type=number] { width: 90px; }
  .note { color: #52525b; font-size: 13px; }
</style>
</head>
<body>
${input.body}
</body>
</html>`;
}

export const ACCENTS: Record<SandboxProviderId, string> = {
  slack: "#4a154b",
  hubspot: "#c2410c",
  google: "#1a73e8",
  salesforce: "#0b5cab",
};

function banner(provider: SandboxProviderId): string {
  return `<header>${e(PROVIDER_NAMES[provider])}<small>Switchboard sandbox: an emulator, not the real ${e(PROVIDER_NAMES[provider])}</small></header>`;
}

export function consentPage(input: {
  provider: SandboxProviderId;
  clientId: string;
  /** Lines about the account; with `choice`, they follow its picker. */
  lines: ConsentAccount;
  choice?: AccountChoice;
  scopeGroups: ScopeGroup[];
  consentId: string;
  action: string;
}): string {
  const name = PROVIDER_NAMES[input.provider];
  const groups = input.scopeGroups
    .filter((group) => group.scopes.length > 0)
    .map(
      (group) => `<fieldset>
  <legend>${e(group.label)}</legend>
  ${group.scopes.map((scope) => `<label><input type="checkbox" name="${e(group.field)}" value="${e(scope)}" checked> ${e(scope)}</label>`).join("\n  ")}
</fieldset>`,
    )
    .join("\n");
  // The picker is a labelled <select> posted with the form, the first account selected.
  const picker = input.choice
    ? [
        `<dt><label for="account">${e(input.choice.label)}</label></dt><dd><select id="account" name="account">${input.choice.accounts
          .map((account, i) => `<option value="${e(account.key)}"${i === 0 ? " selected" : ""}>${e(account.name)}</option>`)
          .join("")}</select></dd>`,
      ]
    : [];
  const lines = [...picker, ...input.lines.map(([label, value]) => `<dt>${e(label)}</dt><dd>${e(value)}</dd>`)];
  const body = `${banner(input.provider)}
<main>
  <h1>Allow access to your ${e(name)} account?</h1>
  <form method="post" action="${e(input.action)}">
    <input type="hidden" name="consent" value="${e(input.consentId)}">
    <p>The application <code>${e(input.clientId)}</code> is asking to connect to:</p>
    <dl>
      ${lines.join("\n      ")}
    </dl>
    <p>Requested permissions (untick one to grant less than was asked):</p>
    ${groups || "<p>No permissions were requested.</p>"}
    <div class="actions">
      <button type="submit" class="primary" name="decision" value="allow">Allow</button>
      <button type="submit" name="decision" value="deny">Deny</button>
    </div>
  </form>
</main>`;
  return layout({ title: `${name} sandbox: authorize ${input.clientId}`, accent: ACCENTS[input.provider], body });
}

export function errorPage(input: { provider?: SandboxProviderId; title: string; message: string; link?: { href: string; label: string } }): string {
  const accent = input.provider ? ACCENTS[input.provider] : "#3f3f46";
  const header = input.provider ? banner(input.provider) : "<header>Switchboard sandbox</header>";
  const body = `${header}
<main>
  <h1>${e(input.title)}</h1>
  <p>${e(input.message)}</p>${input.link ? `\n  <p><a href="${e(input.link.href)}">${e(input.link.label)}</a></p>` : ""}
</main>`;
  return layout({ title: input.title, accent, body });
}

const ROTATION_PROVIDERS: SandboxProviderId[] = ["slack", "hubspot", "salesforce"];

/** One boolean option as a one-button form that flips it (the field posts "on" or "off"). */
function toggle(input: { provider: SandboxProviderId; name: string; on: boolean; label: string; states: [on: string, off: string]; turn: [on: string, off: string] }): string {
  const { provider, name, on, label, states, turn } = input;
  return `<form class="inline" method="post" action="/sandbox/_control/form">
          <input type="hidden" name="provider" value="${e(provider)}">
          <input type="hidden" name="${e(name)}" value="${on ? "off" : "on"}">
          <span>${e(label)}: ${e(on ? states[0] : states[1])}</span>
          <button type="submit">${e(on ? turn[1] : turn[0])} for ${e(PROVIDER_NAMES[provider])}</button>
        </form>`;
}

export function controlPage(input: { runtimes: Record<SandboxProviderId, ProviderRuntime> }): string {
  const rows = SANDBOX_PROVIDERS.map((provider) => {
    const { fault, options, stats, revokedAt } = input.runtimes[provider];
    const modes = FAULT_MODES.map((mode) => `<option value="${e(mode)}"${mode === fault.mode ? " selected" : ""}>${e(mode)}</option>`).join("");
    const current = [
      fault.mode,
      fault.mode === "rate_limited" ? `Retry-After ${fault.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS} s` : "",
      fault.mode === "slow" ? `${fault.delayMs ?? DEFAULT_DELAY_MS} ms` : "",
      fault.mode === "revoked" && revokedAt !== undefined ? `at ${new Date(revokedAt).toISOString()}` : "",
    ]
      .filter(Boolean)
      .join(", ");
    const rotation = ROTATION_PROVIDERS.includes(provider)
      ? toggle({ provider, name: "rotateRefreshTokens", on: options.rotateRefreshTokens === true, label: "Refresh-token rotation", states: ["on", "off"], turn: ["Turn rotation on", "Turn rotation off"] })
      : `<span class="note">Refresh tokens do not rotate.</span>`;
    const extra =
      provider === "google"
        ? toggle({ provider, name: "issParameter", on: options.issParameter !== false, label: "iss on the authorization redirect (RFC 9207)", states: ["sent", "not sent"], turn: ["Send iss", "Stop sending iss"] })
        : provider === "hubspot"
          ? toggle({ provider, name: "v1Retired", on: options.v1Retired === true, label: "OAuth v1 API", states: ["retired (404)", "served"], turn: ["Retire v1", "Serve v1 again"] })
          : "";
    return `<tr>
      <th scope="row">${e(PROVIDER_NAMES[provider])}</th>
      <td><strong>${e(current)}</strong><div class="note">token requests: ${stats.tokenRequests.authorization_code} code, ${stats.tokenRequests.refresh_token} refresh; API calls: ${stats.apiCalls}; revocations: ${stats.revocations}</div></td>
      <td>
        <form class="inline" method="post" action="/sandbox/_control/form">
          <input type="hidden" name="provider" value="${e(provider)}">
          <label>Fault <select name="mode" aria-label="Fault for ${e(PROVIDER_NAMES[provider])}">${modes}</select></label>
          <label>Retry-After (s) <input type="number" name="retryAfterSeconds" min="0" max="86400" value="${e(fault.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS)}"></label>
          <label>Delay (ms) <input type="number" name="delayMs" min="0" max="600000" value="${e(fault.delayMs ?? DEFAULT_DELAY_MS)}"></label>
          <button type="submit" class="primary">Apply to ${e(PROVIDER_NAMES[provider])}</button>
        </form>
        ${rotation}
        ${extra}
      </td>
    </tr>`;
  }).join("\n");
  const body = `<header>Switchboard sandbox<small>built-in provider emulators</small></header>
<main class="wide">
  <h1>Sandbox providers</h1>
  <p class="note">Faults apply to each emulator's token and API endpoints, not to its consent page.
  <code>revoked</code> revokes every token of the provider once, when applied. <code>hang</code> never answers.</p>
  <table>
    <thead><tr><th scope="col">Provider</th><th scope="col">Current fault</th><th scope="col">Change</th></tr></thead>
    <tbody>
    ${rows}
    </tbody>
  </table>
  <form method="post" action="/sandbox/_control/form" class="actions">
    <input type="hidden" name="reset" value="true">
    <button type="submit">Reset sandbox</button>
  </form>
</main>`;
  return layout({ title: "Switchboard sandbox", accent: "#3f3f46", body });
}
