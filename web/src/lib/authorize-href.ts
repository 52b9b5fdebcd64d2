/**
 * The link that starts a connection: GET /api/integrations/oauth/authorize (design.md), which
 * answers 303 to the provider. `org` is sent only for providers that ask which org
 * (`Provider.orgChoice`); `returnTo` is a path on this site to come back to.
 */
export function authorizeHref({ provider, org, returnTo }: { provider: string; org?: string | null; returnTo?: string }): string {
  const params = new URLSearchParams({ provider });
  if (org) params.set("org", org);
  if (returnTo) params.set("returnTo", returnTo);
  return `/api/integrations/oauth/authorize?${params}`;
}
