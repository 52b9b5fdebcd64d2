import { defineConfig } from "prisma/config";

// Used only by `prisma generate` (scripts/generate.mjs). Migrations are applied by the app
// itself (src/db/migrate.ts), so no URL is needed here.
export default defineConfig({
  schema: "../prisma/schema.prisma",
});
