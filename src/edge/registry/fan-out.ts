// Calls many objects with bounded concurrency and a timeout per call, so one
// slow or failing object neither stops nor delays the others beyond the
// timeout (docs/scale.md#broadcasts-as-a-tree). A call that times out keeps running; it is
// counted as failed and no longer waited for.

export interface FanOutResult {
  /** Calls that resolved in time. */
  ok: number;
  /** Calls that threw or did not resolve within the timeout. */
  failed: number;
}

/** At most this many calls in flight per fan-out, at each level of the tree. */
export const FAN_OUT_CONCURRENCY = 64;

export async function fanOut<T>(
  items: readonly T[],
  call: (item: T) => Promise<unknown>,
  {
    timeoutMs,
    concurrency = FAN_OUT_CONCURRENCY,
    onFailed,
  }: {
    timeoutMs: number;
    concurrency?: number;
    /** Told of each item whose call failed or timed out (a slice counts its targets). */
    onFailed?: (item: T) => void;
  },
): Promise<FanOutResult> {
  const result: FanOutResult = { ok: 0, failed: 0 };
  const deadlines = new Deadlines(timeoutMs);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await deadlines.watch(call(item));
        result.ok++;
      } catch (e) {
        result.failed++;
        onFailed?.(item);
        console.error("sockizy-edge: fan-out call failed:", e instanceof Error ? e.message : e);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  } finally {
    deadlines.stop();
  }
  return result;
}

/**
 * The timeouts of one fan-out's calls on one timer, armed for the oldest
 * call still running, instead of a timer per call: in workerd a
 * setTimeout/clearTimeout pair per call was a fifth of a broadcast's CPU
 * time (CPU profile of `npm run bench:scale`'s broadcast, docs/scale.md).
 * Calls start in order, so the set (insertion-ordered) is oldest first.
 */
class Deadlines {
  private readonly running = new Set<{ at: number; fail: (e: Error) => void }>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ms: number) {}

  watch<R>(call: Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const entry = { at: Date.now() + this.ms, fail: reject };
      this.running.add(entry);
      this.timer ??= setTimeout(() => this.expire(), this.ms);
      call.then(resolve, reject).finally(() => this.running.delete(entry));
    });
  }

  /** Fails the calls past their deadline; re-arms for the oldest one left. */
  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    for (const entry of this.running) {
      if (entry.at > now) {
        this.timer = setTimeout(() => this.expire(), entry.at - now);
        return;
      }
      this.running.delete(entry);
      entry.fail(new Error(`no answer within ${this.ms} ms`));
    }
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
