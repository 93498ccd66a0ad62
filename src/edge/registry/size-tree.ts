// The shape of the size tree (docs/scale.md#the-size-tree): registry shards at level 0, the
// global object at the top, and, where there are more shards than one object hears from, size
// groups between them. Every object of the tree hears from at most SIZE_FAN_IN children, so the
// global object's load is bounded at any `registryShards`. Pure arithmetic: the tree follows from
// `registryShards` alone, so every object computes the same tree without asking anyone.

import type { NodeRef } from "../rpc/contracts.js";

/** The most children one object of the size tree hears from. */
export const SIZE_FAN_IN = 64;

/** The global object's level: 1 when it hears from every shard, one more per tier of size groups. */
export function topLevel(shards: number, fanIn = SIZE_FAN_IN): number {
  let level = 1;
  for (let n = shards; n > fanIn; n = Math.ceil(n / fanIn)) level++;
  return level;
}

/**
 * Where a node pushes its counts: 0 for the global object, else 1 + the index of its size group
 * one level up (the form a node stores, so what an older node stored, nothing, reads as the
 * global object). A node at or above the top (a group left over from a larger tree) pushes to
 * the global object.
 */
export function parentKey(node: NodeRef, shards: number, fanIn = SIZE_FAN_IN): number {
  return node.level + 1 >= topLevel(shards, fanIn) ? 0 : 1 + Math.floor(node.index / fanIn);
}

/** The children of a parent are one level below it; the global object's are at this level. */
export function childLevelOfTop(shards: number, fanIn = SIZE_FAN_IN): number {
  return topLevel(shards, fanIn) - 1;
}

/**
 * The parent's share of its push budget per child (docs/scale.md#the-promise): a parent grants
 * one push every `sizeFlushMs / SIZE_FAN_IN` ms once its burst is spent, so with at most
 * SIZE_FAN_IN children each waits at most `sizeFlushMs` for its turn.
 */
export function pushEveryMs(sizeFlushMs: number): number {
  return sizeFlushMs / SIZE_FAN_IN;
}
