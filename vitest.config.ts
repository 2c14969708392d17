import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-plugin";

// Three projects, one per layer of the suite (see docs/contributing.md):
// unit in Node, integration inside workerd with real bindings, e2e against `wrangler dev`.
export default defineConfig({
  test: {
    globalSetup: ["./test/support/global-setup.ts"],
    projects: [
      {
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // Every variable .dev.vars may set (npm run dev writes one) is pinned here, so the suite
              // runs the same after `npm run dev` as on a fresh clone: no App key, GitHub unreachable.
              bindings: {
                REPOFLOW_ENV: "local",
                WEBHOOK_SECRET: "integration-secret",
                WEBHOOK_SECRET_PREVIOUS: "integration-secret-previous",
                APP_ID: "1",
                PRIVATE_KEY: "",
                GITHUB_API_URL: "http://127.0.0.1:9",
              },
            },
          }),
        ],
        test: { name: "integration", include: ["test/integration/**/*.test.ts"], testTimeout: 120_000, hookTimeout: 120_000 },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
