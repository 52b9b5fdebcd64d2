import { sveltekit } from "@sveltejs/kit/vite";
import { svelteTesting } from "@testing-library/svelte/vite";
import { defineConfig } from "vitest/config";

// Component tests: Svelte components compiled for the browser, rendered into happy-dom (it has
// <dialog>.showModal, which jsdom lacks), with $lib and $app resolved by SvelteKit's plugin.
export default defineConfig({
  plugins: [sveltekit(), svelteTesting()],
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["./vitest-setup.ts"],
  },
});
