// Projects: "package" checks the library as users get it (defineApp, and
// examples/chat against the packed tarball); "node" runs the codec, client
// and over-TCP tests in Node;
// "workers" runs the seed application's edge objects inside workerd through
// @cloudflare/vitest-plugin with the bindings of wrangler.toml, and
// "workers-probe" runs a probe application the same way (no session-event sink; its chaos suite
// runs in "workers-probe-events", with the webhook);
// "workers-queue" runs the seed with session events to a Queue (docs/events.md#sinks).
import { availableParallelism } from "node:os";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { ByProjectLongestFirst } from "./test/support/sequencer.js";

// Two tiers of one suite. `npm test` is the quick tier: every file, with
// shorter chaos and fuzz runs. `npm run test:full` (SOCKIZY_TEST_TIER=full)
// runs them at full length: chaos 2,000 ops per app, fuzz 20,000 frames.
const FULL = process.env.SOCKIZY_TEST_TIER === "full";
// Quick chaos runs are long enough that a random seed almost always makes
// the relayed binds each run asserts (more than ops/250): a seed-app run binds
// about 1 socket in 42 ops by relay (47 in 2,000), so 700 ops expect about 17
// and fall short (2 or fewer) about once in 100,000 runs; the probe app binds more.
const CHAOS_OPS = FULL ? { seed: "2000", probe: "2000" } : { seed: "700", probe: "400" };
const FUZZ_FRAMES = FULL ? "20000" : "5000";

// Replays a chaos run (test/edge/chaos/): CHAOS_SEED=<printed seed>, CHAOS_OPS=<ops> for longer runs.
// The quick tier shows the checker failing against the first deliberately wrong model of each
// app (test/edge/chaos/wrong-models.ts); the full tier against every one.
const chaos = (ops: string) => ({
  CHAOS_SEED: process.env.CHAOS_SEED ?? "",
  CHAOS_OPS: process.env.CHAOS_OPS || ops,
  CHAOS_WRONG_MODELS: FULL ? "all" : "first",
});

// The quick tier runs four files at a time even on 2 cores (vitest's
// default there is one): a file spends much of its time waiting (on its
// server, Chromium, a deadline it proves) while the others use the idle cores
// (four: 117 and 118 s of vitest in two runs, three: 122 and 131 s, 2026-12-07).
// Each project's files are queued together, longest first (ByProjectLongestFirst:
// a shared runtime goes on to a next file only of its own project). The full tier keeps vitest's
// default: its 2,000-op chaos runs take minutes on a 2-core machine and have
// one deadline for the run (180 s), set for a file that has the machine to
// itself. A test that takes 2 s alone may take 10 on a loaded 2-core machine.
// Deadlines inside the tests say what is slow; these only stop a run that hangs.
const MAX_WORKERS = FULL ? undefined : Math.max(4, availableParallelism() - 1);
const LOADED_MACHINE = { testTimeout: 30_000, hookTimeout: 60_000 };
// Runtimes shared by many files: each of the (up to MAX_WORKERS) runtimes of such a project runs
// file after file instead of starting a runtime, a new workerd process, and importing every
// module anew for each file (about 1.5 s of CPU a file):
// https://developers.cloudflare.com/workers/testing/vitest-integration/isolation-and-concurrency/
// So a file may find objects that earlier files of its runtime used: such a test never relies on
// storage starting empty (it asserts what it changed: counters as differences, seq and epochs
// from the object's storage), closes what it opened, and restores what it changed; shuffled
// orders in one runtime pass (--maxWorkers=1 --sequence.shuffle.files).
const SHARED_RUNTIME = { isolate: false };
/** Skips a round trip to the vitest process on every call into an object (see the file). */
const WORKERD_RESOLVE_CACHE = "./test/support/workerd-resolve-cache.ts";
/**
 * The seed's workerd files that keep a runtime each (project workers-own-runtime): they run the
 * audit's alarm (runDurableObjectAlarm), resets and the stored session events of users 13 and 6
 * (the seed's only users), which another file's leftovers (an alarm armed or already run, an
 * event in delivery) would change.
 */
const SEED_OWN_RUNTIME_FILES = [
  "test/edge/chaos/chaos.test.ts",
  "test/edge/events/delivery.test.ts",
  "test/edge/events/transitions.test.ts",
  "test/edge/host/dead-holder.test.ts",
  "test/edge/host/hibernation.test.ts",
  "test/edge/host/liveness.test.ts",
  "test/edge/relay/relay.test.ts",
];

// The webhook receiver of the workers project (test/edge/events/receiver-worker.js): the
// objects' outbound fetches go to it, and tests read what it got through RECEIVER.
/** Session events to the receiver's webhook (the secret is the tests' WEBHOOK_SECRET). */
const WEBHOOK = { SESSION_WEBHOOK_URL: "http://receiver.test/hook", SESSION_WEBHOOK_SECRET: "test-webhook-secret" };
const RECEIVER_WORKER = {
  name: "session-receiver",
  modules: true,
  scriptPath: "./test/edge/events/receiver-worker.js",
  compatibilityDate: "2026-04-01",
};
const SESSION_RECEIVER = {
  workers: [RECEIVER_WORKER],
  outboundService: "session-receiver",
  serviceBindings: { RECEIVER: "session-receiver" },
};

/** The seed application in workerd, with the webhook sink to the receiver (docs/events.md). */
const seedApp = () =>
  cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: {
        ADMIN_SECRET: "test-admin-secret",
        TICKET_SECRET: "test-ticket-secret",
        // Session events on (docs/events.md): every seed test runs with the webhook sink,
        // delivered to the receiver below (the probe project has no sink).
        ...WEBHOOK,
        ...chaos(CHAOS_OPS.seed),
        SOCKIZY_TEST_TIER: FULL ? "full" : "quick",
      },
      ...SESSION_RECEIVER,
    },
  });

export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    maxWorkers: MAX_WORKERS,
    sequence: { sequencer: ByProjectLongestFirst },
    projects: [
      {
        test: {
          name: "package",
          include: ["test/package/**/*.test.ts"],
          // Packs the package once for every file of the tier (test/package/pack.ts).
          globalSetup: ["test/package/pack.ts"],
          environment: "node",
          env: { SOCKIZY_TEST_TIER: FULL ? "full" : "quick" },
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
            // The admin dashboard in Chromium against the local server, beside the admin API's workerd tests.
            "test/edge/admin/dashboard/**/*.test.ts",
          ],
          // What the runtime itself does with a server close (test/tcp/runtime-close/: a minimal
          // Worker, no sockizy-edge; about 10 s of waiting by design) is evidence for
          // docs/limits.md#closes, not a behaviour of the product: the full tier runs it.
          exclude: FULL ? [] : ["test/tcp/runtime-close.test.ts"],
          environment: "node",
          // Each of the (up to MAX_WORKERS) Node processes runs many files rather than one process
          // per file: a third of this project's CPU was starting processes and importing modules
          // (Miniflare among them) anew. Files restore what they stub (timers, globals) and stop
          // what they start; shuffled orders in one process pass (--sequence.shuffle.files).
          isolate: false,
          env: { SOCKIZY_TEST_TIER: FULL ? "full" : "quick", FUZZ_FRAMES: process.env.FUZZ_FRAMES || FUZZ_FRAMES },
          ...LOADED_MACHINE,
        },
      },
      {
        plugins: [seedApp()],
        test: {
          name: "workers",
          setupFiles: [WORKERD_RESOLVE_CACHE],
          include: ["test/edge/**/*.test.ts", "test/seed/**/*.test.ts"],
          exclude: [
            "test/edge/probe/**",
            "test/edge/admin/dashboard/**",
            "test/edge/events/queue/**",
            ...SEED_OWN_RUNTIME_FILES,
          ],
          ...LOADED_MACHINE,
          ...SHARED_RUNTIME,
        },
      },
      {
        plugins: [seedApp()],
        test: {
          name: "workers-own-runtime",
          include: SEED_OWN_RUNTIME_FILES,
          setupFiles: [WORKERD_RESOLVE_CACHE],
          ...LOADED_MACHINE,
        },
      },
      {
        // The seed application with the Queue sink (docs/events.md#sinks): session events go to
        // the session-events Queue, consumed by the receiver worker.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: { ADMIN_SECRET: "test-admin-secret" },
              queueProducers: { SESSION_EVENTS: { queueName: "session-events" } },
              ...SESSION_RECEIVER,
              workers: [
                {
                  ...RECEIVER_WORKER,
                  queueConsumers: { "session-events": { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 10 } },
                },
              ],
            },
          }),
        ],
        test: {
          name: "workers-queue",
          include: ["test/edge/events/queue/*.test.ts"],
          setupFiles: [WORKERD_RESOLVE_CACHE],
          ...LOADED_MACHINE,
        },
      },
      {
        // The probe application: session events in text, cap 2, replace-oldest, no admin secret.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./test/edge/probe/wrangler.toml" },
            miniflare: { bindings: { ...chaos(CHAOS_OPS.probe), SOCKIZY_TEST_TIER: FULL ? "full" : "quick" } },
          }),
        ],
        test: {
          name: "workers-probe",
          include: ["test/edge/probe/*.test.ts"],
          setupFiles: [WORKERD_RESOLVE_CACHE],
          exclude: ["test/edge/probe/chaos.test.ts"],
          ...LOADED_MACHINE,
          ...SHARED_RUNTIME,
        },
      },
      {
        // The probe application's chaos suite with session events on, compared with the model's
        // transitions (replace-oldest and cap 2 among them); the probe's other files run with no sink.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./test/edge/probe/wrangler.toml" },
            miniflare: {
              bindings: { ...WEBHOOK, ...chaos(CHAOS_OPS.probe) },
              ...SESSION_RECEIVER,
            },
          }),
        ],
        test: {
          name: "workers-probe-events",
          include: ["test/edge/probe/chaos.test.ts"],
          setupFiles: [WORKERD_RESOLVE_CACHE],
          ...LOADED_MACHINE,
        },
      },
    ],
  },
});
