// One call of a fan-out: what each kind of target is asked, and where its
// answer goes (docs/scale.md#broadcasts-as-a-tree). A shard's part of a
// broadcast is a fan-out of its own, whose result joins its caller's; so is
// a size group's part of a broadcast or a scrape (docs/scale.md#the-size-tree).

import type { Ask, Target, TreeResult } from "../rpc/contracts.js";
import type { Env } from "../rpc/env.js";
import { groupStub, lobbyStub, shardStub, userStub } from "../rpc/names.js";

/** Whether calling `target` starts a fan-out below it (a shard's part of a broadcast, a group's), so it gets a subtree's timeout. */
export function opensSubtree(target: Target, ask: Ask): boolean {
  return ("shard" in target && !("stats" in ask)) || "group" in target;
}

/** Calls one target with what the fan-out asks; a shard's tree result or a scrape's figures go into `into`. */
export async function callTarget(env: Env, target: Target, ask: Ask, into: TreeResult): Promise<void> {
  if ("user" in target) {
    const user = userStub(env, target.user);
    if ("frame" in ask) return user.sendAll(ask.frame);
    if ("session" in ask) return user.sessionEmit(ask.session, target.user);
  } else if ("lobby" in target) {
    const lobby = lobbyStub(env, target.lobby);
    if ("frame" in ask) return lobby.sendAll(ask.frame);
    if ("stats" in ask) return void into.lobbies.push(await lobby.stats());
  } else if ("group" in target) {
    const ref = { level: target.level, index: target.group };
    const group = groupStub(env, ref);
    if ("frame" in ask) return addTree(into, await group.groupBroadcast(ref, ask.frame));
    if ("session" in ask) return addTree(into, await group.groupSessionEmit(ref, ask.session));
    return addTree(into, await group.groupStats(ref));
  } else {
    const shard = shardStub(env, target.shard);
    if ("frame" in ask) return addTree(into, await shard.shardBroadcast(target.shard, ask.frame));
    if ("session" in ask) return addTree(into, await shard.shardSessionEmit(target.shard, ask.session));
    return void into.shards.push(await shard.shardStats(target.shard));
  }
  // Lobbies hold no sessions and user objects answer no scrape: the callers never ask it.
  throw new Error(`a fan-out cannot ask ${Object.keys(ask)[0]} of ${JSON.stringify(target)}`);
}

/** The result of one invocation that is about to make `calls` calls. */
export function nodeResult(calls: number): TreeResult {
  return {
    ok: 0,
    failed: 0,
    invocations: 1,
    slices: 0,
    batchMax: calls,
    tiers: 1,
    shards: [],
    groups: [],
    lobbies: [],
  };
}

/** Joins the result of a tree one tier below into this invocation's. */
export function addTree(into: TreeResult, from: TreeResult): void {
  into.ok += from.ok;
  into.failed += from.failed;
  into.invocations += from.invocations;
  into.slices += from.slices;
  into.batchMax = Math.max(into.batchMax, from.batchMax);
  into.tiers = Math.max(into.tiers, from.tiers + 1);
  into.shards.push(...from.shards);
  into.groups.push(...from.groups);
  into.lobbies.push(...from.lobbies);
}
