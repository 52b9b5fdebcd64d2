import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printedSchema, SCHEMA_FILE } from "@switchboard/api/graphql/print-schema";

describe("schema.graphql", () => {
  it("matches the schema the code builds (run `pnpm --filter @switchboard/api schema` after changing it)", () => {
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(printedSchema());
  });

  it("keeps the public contract of design.md", () => {
    const sdl = printedSchema();
    for (const field of ["providers: [Provider!]!", "integrations(after: String, filter: IntegrationFilter, first: Int = 50, search: String): IntegrationConnection!", "integrationCounts: [ProviderConnectionCount!]!", "renameIntegration(id: ID!, label: String!): Integration!", "integration(id: ID!): Integration", "viewer: Viewer!", "createApiKey(name: String!, permissions: [ApiKeyPermission!]): CreatedApiKey!", "healthStatus(integrationId: ID): HealthEvent!"]) {
      expect(sdl).toContain(field);
    }
    for (const value of ["HEALTHY", "DEGRADED", "UNHEALTHY", "UNKNOWN", "CONNECTED", "DISCONNECTED", "REAUTH_REQUIRED", "OWNER", "ADMIN", "MEMBER", "VIEWER"]) {
      expect(sdl).toMatch(new RegExp(`^  ${value}$`, "m"));
    }
    // Secrets have no field to leak through.
    expect(sdl).not.toMatch(/clientSecret|accessToken|refreshToken|Enc\b/i);
  });
});
