// Model-based chaos against the seed application (cap 1, policy reject):
// random ops from a seeded PRNG, each compared with the reference model of
// spec section 5 (test/edge/chaos/), with sockizy clients and clients that
// offer no subprotocol (bound by relay when they sign in in-band elsewhere). The seed is printed; replay a run with
// CHAOS_SEED=<seed> or REPLAY_SEED in test/edge/chaos/prng.ts.
import { env } from "cloudflare:workers";
import { afterEach, expect, it } from "vitest";
import { closeOpenClients } from "../helpers.js";
import { ChaosMismatch } from "./check.js";
import { chaosSeed } from "./prng.js";
import { runChaos } from "./run.js";
import { seedWire } from "./seed-wire.js";
import { OffByOneCapModel, RelayUncountedModel, SlotKeptOnCloseModel, wrongModels } from "./wrong-models.js";

afterEach(closeOpenClients);

const bindings = env as unknown as Record<string, unknown>;
// 2,000 in the full tier (npm run test:full), fewer in the quick one (vitest.config.ts).
const OPS = Number(bindings.CHAOS_OPS || 2000);
/** One seed for the file: the wrong models below replay the same ops up to where they differ. */
const seed = chaosSeed(bindings);

it(`matches the spec model over ${OPS.toLocaleString("en-US")} random ops: sign-ins in the upgrade, in-band and by relay, sign-outs, closes, clears, kicks, broadcasts, hibernation, evictions and resets; and its session events`, {
  timeout: 180_000,
}, async () => {
  console.log(`chaos seed (seed app): ${seed}  (replay: CHAOS_SEED=${seed})`);
  // Session events on (vitest.config.ts): what the webhook got is compared with the model's transitions.
  const stats = await runChaos({ wire: seedWire, seed, ops: OPS, ipPrefix: "10.61", events: true });
  console.log(
    `chaos seed app: ${stats.ops} ops in ${stats.ms} ms, ${stats.checkpoints} checkpoints, at most ${stats.mostOpen} open sockets, relayed sign-ins ${JSON.stringify(stats.relays)}; ops ${JSON.stringify(stats.byOp)}; ms ${JSON.stringify(stats.msByOp)}`,
  );
  expect(stats.ops).toBe(OPS);
  // The run bound sockets by relay among direct ones (about 1 in 42 ops; 1 in 20 with the probe app; vitest.config.ts says how often a run falls short).
  expect(stats.relays.binds).toBeGreaterThan(OPS / 250);
});

// The checker can fail: the same machinery against a model that is wrong in
// one small way stops at the first difference (the run ends there).
it.each(
  wrongModels([
    ["an off-by-one cap", OffByOneCapModel, "10.62"],
    ["a close that keeps its slot", SlotKeptOnCloseModel, "10.63"],
    ["relayed sockets left out of the cap", RelayUncountedModel, "10.64"],
  ] as const),
)("reports a mismatch when checked against a model with %s", { timeout: 120_000 }, async (_name, Wrong, ipPrefix) => {
  const run = runChaos({ wire: seedWire, seed, ops: 1000, model: new Wrong(seedWire.rules), ipPrefix });
  await expect(run).rejects.toThrow(ChaosMismatch);
  await run.catch((e: ChaosMismatch) => console.log(`${e.message.split("\n").slice(0, 4).join("\n")}`));
});
