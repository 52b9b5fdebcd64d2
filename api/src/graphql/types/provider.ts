import { builder } from "../builder.ts";
import type { CatalogProvider } from "../../providers/catalog.ts";

export const ProviderRef = builder.objectRef<CatalogProvider>("Provider");

ProviderRef.implement({
  description: "An OAuth provider this server can connect to (built-in or from PROVIDERS_FILE)",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    description: t.exposeString("description"),
    type: t.exposeString("type"),
    configured: t.exposeBoolean("configured", { description: "Client credentials are set on the server" }),
    sandbox: t.exposeBoolean("sandbox", { description: "Served by the built-in emulator because no credentials are set" }),
    redirectUri: t.exposeString("redirectUri", { description: "The callback URL to register at the provider" }),
    scopes: t.exposeStringList("scopes", { description: "Scopes requested when connecting" }),
    statusPageUrl: t.string({
      nullable: true,
      description: "The provider's public status page (built-ins; `statusPageUrl` in PROVIDERS_FILE), to link next to a provider error",
      resolve: (p) => p.statusPageUrl ?? null,
    }),
    orgChoice: t.boolean({
      description: "Connect asks which org (Salesforce: production, sandbox or a My Domain); pass it as connectIntegration's `org`",
      resolve: (p) => Boolean(p.orgLoginUrls),
    }),
  }),
});

builder.queryField("providers", (t) =>
  t.field({
    type: [ProviderRef],
    resolve: (_root, _args, ctx) => ctx.catalog,
  }),
);

export function findProvider(catalog: CatalogProvider[], id: string): CatalogProvider | undefined {
  return catalog.find((p) => p.id === id);
}
