// Model-based chaos against the seed application (cap 1, policy reject):
// random ops from a seeded PRNG, each compared with the reference model of
// spec section 5 (test/edge/chaos/). The seed is printed; replay a run with
// CHAOS_SEED=<seed> or REPLAY_SEED in test/edge/chaos/prng.ts.
import { env } from "cloudflare:workers";
import { afterEach, expect, it } from "vitest";
import { chaosSeed } from "./chaos/prng.js";
import { runChaos } from "./chaos/run.js";
import { seedWire } from "./chaos/seed-wire.js";
import { closeOpenClients } from "./helpers.js";

afterEach(closeOpenClients);

const OPS = Number((env as unknown as Record<string, unknown>).CHAOS_OPS ?? 2000);

it("matches the spec model over 2,000 random ops: sign-ins in the upgrade and in-band, sign-outs, closes, clears, kicks, broadcasts, hibernation and resets", {
  timeout: 180_000,
}, async () => {
  const seed = chaosSeed(env as unknown as Record<string, unknown>);
  console.log(`chaos seed (seed app): ${seed}  (replay: CHAOS_SEED=${seed})`);
  const stats = await runChaos({ wire: seedWire, seed, ops: OPS, ipPrefix: "10.61" });
  console.log(
    `chaos seed app: ${stats.ops} ops in ${stats.ms} ms, ${stats.checkpoints} checkpoints, at most ${stats.mostOpen} open sockets; ops ${JSON.stringify(stats.byOp)}; ms ${JSON.stringify(stats.msByOp)}`,
  );
  expect(stats.ops).toBe(OPS);
});
