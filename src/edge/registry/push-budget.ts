// When a registry shard may push its counts to the global object
// (docs/scale.md#size-from-the-shards): a token bucket. After a quiet spell a shard has `burst` pushes
// to spend at once, so a system changing slowly (every test, every seed
// reply) sees exact figures; one token comes back every `everyMs`, so
// under sustained load a shard pushes at most once per `everyMs` and the
// global object's load stays below shards x 1000 / everyMs per second.

/** Pushes a shard may make at once after a quiet spell. */
export const PUSH_BURST = 64;

export class PushBudget {
  private tokens: number;
  private at = 0;

  constructor(
    private readonly everyMs: number,
    private readonly burst = PUSH_BURST,
  ) {
    this.tokens = burst;
  }

  /** Spends a token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** When the next token is there. */
  nextAt(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? now : now + Math.ceil((1 - this.tokens) * this.everyMs);
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + Math.max(0, now - this.at) / this.everyMs);
    this.at = now;
  }
}
