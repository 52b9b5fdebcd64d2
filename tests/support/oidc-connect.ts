import type { TestApp } from "./app.ts";
import type { OidcServer } from "./oidc-server.ts";

/** Connects the catalog provider "acme" for a user through the OIDC server's login and consent. */
export async function consentThroughOidc(t: TestApp, oidc: OidcServer, user: { cookie: string }): Promise<string> {
  const started = await t.gql(`mutation { connectIntegration(provider: "acme") { authorizationUrl } }`, { cookie: user.cookie });
  if (started.body.errors) throw new Error(JSON.stringify(started.body.errors));
  const binding = started.setCookies.find((c) => c.startsWith("switchboard_oauth="))!.split(";")[0]!;
  const back = await oidc.authorize(started.body.data.connectIntegration.authorizationUrl);
  const done = await t.gql(`mutation($q: String!) { completeIntegrationConnection(provider: "acme", callbackQuery: $q) { errorCode integrationId } }`, {
    cookie: `${user.cookie}; ${binding}`,
    variables: { q: back.search },
  });
  const result = done.body.data.completeIntegrationConnection;
  if (result.errorCode) throw new Error(`connect acme: ${result.errorCode}`);
  return result.integrationId;
}
