// Children a parent of the size tree heard from that now belong elsewhere
// (docs/scale.md#the-size-tree): `registryShards` crossed a multiple of SIZE_FAN_IN, so a tier
// of size groups came or went. A child moves when it next pushes (uplink.ts `move`); one that
// has nothing to push is told to here, so its users are counted again without waiting for a change.
import type { Env } from "../rpc/env.js";
import { groupStub, shardStub } from "../rpc/names.js";
import type { SizeSum } from "./size-sum.js";

/**
 * Tells each child of `sum` not at `level` to push to its parent in the new tree, which makes it
 * forget this one first. Run at a parent's wake, off every request's path; a child that cannot be
 * reached is tried again at the next wake.
 */
export async function resyncStrays(env: Env, sum: SizeSum, level: number): Promise<void> {
  for (const child of sum.strays(level)) {
    try {
      if (child.level === 0) await shardStub(env, child.index).shardResync(child.index);
      else await groupStub(env, child).groupResync(child);
    } catch (e) {
      console.error("sockizy-edge: size tree resync failed:", e);
    }
  }
}
