// The push budget a parent of the size tree hands out (src/edge/registry/push-budget.ts,
// docs/scale.md#the-promise): at once while it is below its budget, the slots of its budget in
// turn past it.
import { describe, expect, it } from "vitest";
import { PUSH_BURST, PushGrants } from "../../../src/edge/registry/push-budget.js";
import { pushEveryMs, SIZE_FAN_IN } from "../../../src/edge/registry/size-tree.js";

const EVERY = pushEveryMs(250); // the default sizeFlushMs: 256 pushes a second

describe("PushGrants", () => {
  it("answers every push 'at once' while pushes stay below its rate, however long that lasts", () => {
    const grants = new PushGrants();
    // 200 pushes a second (below 256) for a minute, from any number of children.
    for (let t = 0; t < 60_000; t += 5) expect(grants.grant(t, EVERY)).toBe(0);
  });

  it("answers a burst of PUSH_BURST at once after a quiet spell, then one slot per everyMs", () => {
    const grants = new PushGrants();
    const waits = Array.from({ length: PUSH_BURST + 3 }, () => grants.grant(10_000, EVERY));
    expect(waits.slice(0, PUSH_BURST).every((w) => w === 0)).toBe(true);
    expect(waits.slice(PUSH_BURST)).toEqual([1, 2, 3].map((k) => Math.ceil(k * EVERY)));
  });

  it("keeps SIZE_FAN_IN children that push as soon as they may under sizeFlushMs each, at its rate", () => {
    const grants = new PushGrants();
    // Every child pushes at its slot, for 10 s: the parent hears at most its burst plus its rate.
    const next = new Array<number>(SIZE_FAN_IN).fill(0);
    let pushes = 0;
    let longest = 0;
    for (let t = 0; t <= 10_000; t++) {
      for (let c = 0; c < SIZE_FAN_IN; c++) {
        if ((next[c] as number) > t) continue;
        pushes++;
        const wait = grants.grant(t, EVERY);
        longest = Math.max(longest, wait);
        next[c] = t + Math.max(1, wait);
      }
    }
    expect(longest).toBeLessThanOrEqual(250);
    expect(pushes).toBeLessThanOrEqual(PUSH_BURST + (10_000 / EVERY + 1) + SIZE_FAN_IN);
    expect(pushes).toBeGreaterThan(10_000 / EVERY - SIZE_FAN_IN);
  });
});
