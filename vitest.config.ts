// Projects: "package" checks the library as users get it (defineApp, and
// examples/chat against the packed tarball); "node" runs the codec, client
// and over-TCP tests in Node;
// "workers" runs the seed application's edge objects inside workerd through
// @cloudflare/vitest-plugin with the bindings of wrangler.toml, and
// "workers-probe" runs a probe application the same way.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Replays a chaos run (test/edge/chaos/): CHAOS_SEED=<printed seed>, CHAOS_OPS=<ops> for longer runs.
const chaos = { CHAOS_SEED: process.env.CHAOS_SEED ?? "", CHAOS_OPS: process.env.CHAOS_OPS ?? "" };

// The four projects run at once on CI's 2 cores: a test that takes 2 s alone
// may take 10 there. Deadlines inside the tests say what is slow; these only
// stop a run that hangs.
const LOADED_MACHINE = { testTimeout: 30_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "package",
          include: ["test/package/**/*.test.ts"],
          // Packs the package once for every file of the tier (test/package/pack.ts).
          globalSetup: ["test/package/pack.ts"],
          environment: "node",
          ...LOADED_MACHINE,
        },
      },
      {
        test: {
          name: "node",
          include: [
            "test/protocol/**/*.test.ts",
            "test/client/**/*.test.ts",
            "test/tcp/**/*.test.ts",
            "test/docs/**/*.test.ts",
            "test/layout/**/*.test.ts",
          ],
          environment: "node",
          ...LOADED_MACHINE,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: { ADMIN_SECRET: "test-admin-secret", TICKET_SECRET: "test-ticket-secret", ...chaos },
            },
          }),
        ],
        test: { name: "workers", include: ["test/edge/*.test.ts"], ...LOADED_MACHINE },
      },
      {
        // The probe application: session events in text, cap 2, replace-oldest, no admin secret.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./test/edge/probe/wrangler.toml" },
            miniflare: { bindings: chaos },
          }),
        ],
        test: { name: "workers-probe", include: ["test/edge/probe/*.test.ts"], ...LOADED_MACHINE },
      },
    ],
  },
});
