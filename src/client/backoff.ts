// Reconnection delays: exponential backoff with full jitter and a cap
// (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
// A deploy closes every socket at once; without jitter every client would
// come back in the same instant, and again at every retry.

export interface BackoffOptions {
  /** The first attempt's ceiling, in ms. */
  readonly base: number;
  /** The largest ceiling, in ms. */
  readonly cap: number;
}

/** Ceiling of attempt `n` (0 for the first): base * 2^n, at most cap. */
export function backoffCeiling(n: number, { base, cap }: BackoffOptions): number {
  // 2 ** n overflows to Infinity for huge n, and min() still gives cap.
  return Math.min(cap, base * 2 ** Math.max(0, n));
}

/** Delay before attempt `n`: uniformly random in [0, ceiling). `random` is Math.random or a test's. */
export function backoffDelay(n: number, options: BackoffOptions, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(n, options));
}

/**
 * Delay after a flood close (1008, docs/floods.md#what-a-client-sees):
 * uniformly random in [cap / 2, cap), whatever the attempt, so a page stuck
 * sending in a loop comes back at most about twice per cap, not at once.
 */
export function floodDelay(cap: number, random: () => number = Math.random): number {
  return Math.floor(cap / 2 + (random() * cap) / 2);
}
