import { sveltekit } from "@sveltejs/kit/vite";
import { defineConfig } from "vite";

// In `vite dev` the API runs as its own process; proxying keeps the browser on one origin so
// the session cookie, better-auth's Origin check and the graphql-ws upgrade behave as in production.
// Only /api/auth belongs to the API: /api/integrations/oauth/* are this app's own routes.
const apiUrl = process.env.SWITCHBOARD_API_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [sveltekit()],
  // Iconify's logo modules are CommonJS with `exports.default`; bundling them lets Vite unwrap
  // the default export, which Node's own ESM-to-CJS interop would not.
  ssr: { noExternal: ["@iconify/icons-logos"] },
  server: {
    proxy: {
      "/graphql": { target: apiUrl, ws: true },
      "/api/auth": { target: apiUrl },
    },
  },
});
