/**
 * The link that starts a connection: GET /api/integrations/oauth/authorize (design.md), which
 * answers 303 to the provider. `org` is sent only for providers that ask which org
 * (`Provider.orgChoice`); `integration` reconnects that connection (connectIntegration's
 * `integrationId`: the person must sign in to the same account again), and without it a new
 * connection is added; `returnTo` is a path on this site to come back to.
 */
export function authorizeHref({
  provider,
  org,
  integration,
  returnTo,
}: {
  provider: string;
  org?: string | null;
  integration?: string | null;
  returnTo?: string;
}): string {
  const params = new URLSearchParams({ provider });
  if (org) params.set("org", org);
  if (integration) params.set("integration", integration);
  if (returnTo) params.set("returnTo", returnTo);
  return `/api/integrations/oauth/authorize?${params}`;
}
