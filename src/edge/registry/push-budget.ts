// When a child of the size tree may push its counts next (docs/scale.md#the-promise): the parent
// decides, from its own load, and says so in its answer to each push. While the parent is below
// its budget every answer says "at once", so every change is pushed when it happens and every
// reply is exact; past it, the parent hands out the slots of its budget in turn, one every
// `everyMs`, so its pushes stay under 1000 / everyMs per second (plus the burst) however many
// children push and however busy they are. A generic cell rate algorithm: `tat` is when the
// next free slot begins.

/** Pushes a parent answers "at once" in a burst, after a quiet spell. */
export const PUSH_BURST = 64;

export class PushGrants {
  private tat = 0;

  constructor(private readonly burst = PUSH_BURST) {}

  /**
   * Reserves the next push of a child that just pushed, one slot every `everyMs`: resolves to how
   * long it waits before that push, in ms (0: at once). Each child holds at most one reservation
   * (it pushes again only after its slot), so with n children none waits more than n x everyMs.
   */
  grant(now: number, everyMs: number): number {
    const slot = Math.max(this.tat, now - (this.burst - 1) * everyMs);
    this.tat = slot + everyMs;
    return Math.max(0, Math.ceil(slot - now));
  }
}
