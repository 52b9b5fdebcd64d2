import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import type PrismaTypes from "../generated/pothos-prisma-types.ts";
import { getDatamodel } from "../generated/pothos-prisma-types.ts";
import type { Context } from "./context.ts";
import { can, type Permission } from "../auth/roles.ts";
import { clientError } from "./errors.ts";
import { isoString } from "./iso-date.ts";

export const builder = new SchemaBuilder<{
  PrismaTypes: PrismaTypes;
  Context: Context;
  AuthScopes: { permission: Permission };
  Scalars: { DateTime: { Input: Date; Output: Date | string } };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin],
  defaultFieldNullability: false,
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  scopeAuth: {
    // The viewer always exists here: anonymous requests are refused before execution (401).
    authScopes: (ctx) => ({ permission: (perm: Permission) => can(ctx.viewer.role, perm) }),
    unauthorizedError: () => clientError("FORBIDDEN", "Your role in this workspace does not allow this."),
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

builder.scalarType("DateTime", {
  description: "An ISO-8601 date and time in UTC",
  serialize: (value) => isoString(value instanceof Date ? value : new Date(value)),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError("DateTime must be an ISO-8601 string");
    return date;
  },
});
