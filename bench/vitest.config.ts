/**
 * The bench's own unit tests (pure report arithmetic, payload signing, module
 * listing). Kept beside the bench rather than in the root config's projects,
 * which belong to the test suite: `npx vitest run --config bench/vitest.config.ts`.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Vite would otherwise create bench/node_modules for its cache.
  cacheDir: fileURLToPath(new URL("../node_modules/.vite/bench", import.meta.url)),
  test: {
    name: "bench",
    root: fileURLToPath(new URL(".", import.meta.url).href),
    include: ["**/*.test.ts"],
    environment: "node",
  },
});
