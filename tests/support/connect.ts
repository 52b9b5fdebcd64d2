import type { TestApp } from "./app.ts";
import { consent } from "./sandbox-consent.ts";

/** Connects a sandbox built-in for a signed-up user, through the same calls the web routes make. */
/** Connects through the sandbox's consent page; `account` picks an account on its picker (e.g. "Globex Sandbox"). */
export async function connectSandbox(t: TestApp, user: { cookie: string }, providerId: string, options: { account?: string } = {}): Promise<string> {
  const started = await t.gql(`mutation($p: ID!) { connectIntegration(provider: $p) { authorizationUrl } }`, { cookie: user.cookie, variables: { p: providerId } });
  if (started.body.errors) throw new Error(JSON.stringify(started.body.errors));
  const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
  const back = await consent(started.body.data.connectIntegration.authorizationUrl, { origin: t.origin, ...(options.account ? { account: options.account } : {}) });
  const done = await t.gql(`mutation($p: ID!, $q: String!) { completeIntegrationConnection(provider: $p, callbackQuery: $q) { errorCode integrationId } }`, {
    cookie: `${user.cookie}; ${binding}`,
    variables: { p: providerId, q: back.search },
  });
  const result = done.body.data.completeIntegrationConnection;
  if (result.errorCode) throw new Error(`connect ${providerId}: ${result.errorCode}`);
  return result.integrationId;
}
