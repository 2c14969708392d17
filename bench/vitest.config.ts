/**
 * The bench's own unit tests (pure report arithmetic, payload signing, module
 * listing). Kept beside the bench rather than in the root config's projects,
 * which belong to the test suite: `npx vitest run --config bench/vitest.config.ts`.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  // Vite would otherwise create bench/node_modules for its cache.
  cacheDir: join(here, "..", "node_modules", ".vite", "bench"),
  test: {
    name: "bench",
    root: here,
    include: ["**/*.test.ts"],
    environment: "node",
  },
});
