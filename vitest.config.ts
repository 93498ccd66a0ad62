// Two projects: "node" runs the codec, client and over-TCP tests in Node;
// "workers" runs the edge objects inside workerd through
// @cloudflare/vitest-plugin, with the bindings of wrangler.toml.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/protocol/**/*.test.ts", "test/client/**/*.test.ts", "test/tcp/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { ADMIN_SECRET: "test-admin-secret" } },
          }),
        ],
        test: { name: "workers", include: ["test/edge/**/*.test.ts"] },
      },
    ],
  },
});
