// A fan-out bounded per invocation (docs/scale.md#fan-out-bounded-per-invocation). Whoever calls
// many objects (the global object, a shard, a slice object) makes at most `fanOutBatch` calls in
// one invocation: up to that many targets it calls itself; more, it hands them in slices to slice
// objects, distinct objects that run in parallel, each doing the same with its slice. So one
// invocation's CPU time and subrequests are bounded at any number of users, and so is each slice
// object's CPU per broadcast. The root's promise resolves only once every slice has answered or
// timed out, so a broadcast awaited before the next reaches every socket before the next does.

import type { App } from "../app/define-app.js";
import type { Ask, Target, TreeResult } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { sliceStub } from "../rpc/names.js";
import { fanOut } from "./fan-out.js";
import { slicesOf } from "./slices.js";
import { addTree, callTarget, nodeResult, opensSubtree } from "./targets.js";

/**
 * How long a call that opens a subtree (a shard's part of a broadcast, a slice) is waited for, as a
 * multiple of broadcastTimeoutMs (each object at the bottom is waited for that long).
 */
export const SUBTREE_TIMEOUT_FACTOR = 4;

/** Calls every target with `ask`, through slice objects named under `path` when they are more than `fanOutBatch`. */
export function fanOutTree(
  env: Env,
  app: App,
  path: string,
  targets: readonly Target[],
  ask: Ask,
): Promise<TreeResult> {
  return targets.length <= app.fanOutBatch ? callEach(env, app, targets, ask) : handOut(env, app, path, targets, ask);
}

/** At most `fanOutBatch` targets: called from this invocation, 64 at a time (fan-out.ts). */
async function callEach(env: Env, app: App, targets: readonly Target[], ask: Ask): Promise<TreeResult> {
  const result = nodeResult(targets.length);
  const timeoutMs = app.broadcastTimeoutMs;
  const call = (t: Target) => callTarget(env, t, ask, result);
  const [leaves, subtrees] = await Promise.all([
    fanOut(
      targets.filter((t) => !opensSubtree(t, ask)),
      call,
      { timeoutMs },
    ),
    fanOut(
      targets.filter((t) => opensSubtree(t, ask)),
      call,
      { timeoutMs: timeoutMs * SUBTREE_TIMEOUT_FACTOR },
    ),
  ]);
  // A subtree's deliveries came in its result; one that failed as a whole counts once (its users are not known here).
  result.ok += leaves.ok;
  result.failed += leaves.failed + subtrees.failed;
  return result;
}

/** More than `fanOutBatch` targets: slices to slice objects, all at once (they are at most `fanOutBatch`). */
async function handOut(env: Env, app: App, path: string, targets: readonly Target[], ask: Ask): Promise<TreeResult> {
  const slices = slicesOf(targets, app.fanOutBatch).map((slice, i) => ({ slice, path: `${path}/${i}` }));
  const result = nodeResult(slices.length);
  await fanOut(slices, async (s) => addTree(result, await sliceStub(env, s.path).fanOutSlice(s.path, s.slice, ask)), {
    timeoutMs: app.broadcastTimeoutMs * SUBTREE_TIMEOUT_FACTOR,
    concurrency: slices.length,
    // What reached a slice that did not answer in time is not known here: its targets count failed.
    onFailed: (s) => (result.failed += s.slice.length),
  });
  return result;
}
