// The shape of the size tree (src/edge/registry/size-tree.ts, docs/scale.md#the-size-tree): the
// global object hears from every shard up to SIZE_FAN_IN of them, and from no more than that many
// objects at any number of shards.
import { describe, expect, it } from "vitest";
import { parentKey, SIZE_FAN_IN, topLevel } from "../../../src/edge/registry/size-tree.js";

/** How many objects push to each parent, for `shards` shards: parent name -> children. */
function fanIn(shards: number): Map<string, number> {
  const top = topLevel(shards);
  const out = new Map<string, number>();
  let level = 0;
  let nodes = shards;
  while (level < top) {
    for (let index = 0; index < nodes; index++) {
      const key = parentKey({ level, index }, shards);
      const name = key === 0 ? "global" : `group-${level + 1}-${key - 1}`;
      out.set(name, (out.get(name) ?? 0) + 1);
    }
    level++;
    nodes = Math.ceil(nodes / SIZE_FAN_IN);
  }
  return out;
}

describe("the size tree", () => {
  it("has no groups up to SIZE_FAN_IN shards: every shard pushes to the global object", () => {
    for (const shards of [1, 8, 64]) {
      expect(topLevel(shards)).toBe(1);
      expect(fanIn(shards)).toEqual(new Map([["global", shards]]));
    }
  });

  it("adds a tier of groups past SIZE_FAN_IN shards, and another past SIZE_FAN_IN squared", () => {
    expect(topLevel(65)).toBe(2);
    expect(fanIn(65)).toEqual(
      new Map([
        ["group-1-0", 64],
        ["group-1-1", 1],
        ["global", 2],
      ]),
    );
    expect(topLevel(576)).toBe(2);
    expect(fanIn(576).get("global")).toBe(9);
    expect(topLevel(64 * 64)).toBe(2);
    expect(topLevel(64 * 64 + 1)).toBe(3);
  });

  it("keeps every parent at SIZE_FAN_IN children or fewer at any number of shards", () => {
    for (const shards of [1, 63, 64, 65, 200, 576, 4096, 4097, 100_000, 300_000]) {
      for (const [parent, children] of fanIn(shards)) {
        expect(children, `${parent} of ${shards} shards`).toBeLessThanOrEqual(SIZE_FAN_IN);
      }
    }
  });

  it("sends a node left above the top (a group of a larger tree) to the global object", () => {
    expect(parentKey({ level: 1, index: 3 }, 64)).toBe(0);
    expect(parentKey({ level: 0, index: 200 }, 65)).toBe(1 + 3); // a shard past registryShards: by the same rule
  });
});
