/**
 * The bench's own unit tests (pure report arithmetic, payload signing, module
 * listing). Kept beside the bench rather than in the root config's projects,
 * which belong to the test suite: `npx vitest run --config bench/vitest.config.ts`.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "bench",
    root: fileURLToPath(new URL(".", import.meta.url).href),
    include: ["**/*.test.ts"],
    environment: "node",
  },
});
