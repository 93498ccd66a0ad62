// A small seeded PRNG (mulberry32) and the choice of a run's seed, so a
// chaos run that failed can be replayed op for op.

/** Set to a printed seed to replay that run (or pass CHAOS_SEED, see `chaosSeed`). */
export const REPLAY_SEED: number | undefined = undefined;

export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(items.length)] as T;
  }

  /** A key of `weights` drawn with probability proportional to its weight (weights <= 0 never). */
  weighted<K extends string>(weights: Partial<Record<K, number>>): K {
    const entries = Object.entries(weights).filter(([, w]) => (w as number) > 0) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = this.next() * total;
    for (const [k, w] of entries) {
      r -= w;
      if (r < 0) return k;
    }
    return (entries.at(-1) as [K, number])[0];
  }
}

/**
 * The seed of this run: `CHAOS_SEED` (a binding or an environment variable,
 * when the runner passes one), else `REPLAY_SEED`, else a fresh one.
 */
export function chaosSeed(bindings: Record<string, unknown> = {}): number {
  const fromEnv =
    bindings.CHAOS_SEED ?? (globalThis as { process?: { env?: Record<string, string> } }).process?.env?.CHAOS_SEED;
  if (typeof fromEnv === "string" && fromEnv.trim() !== "" && Number.isFinite(Number(fromEnv))) {
    return Number(fromEnv) >>> 0;
  }
  if (REPLAY_SEED !== undefined) return REPLAY_SEED >>> 0;
  return (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) >>> 0;
}
