// Calls many objects with bounded concurrency and a timeout per call, so one
// slow or failing object neither stops nor delays the others beyond the
// timeout (README "Broadcasts"). A call that times out keeps running; it is
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
  { timeoutMs, concurrency = FAN_OUT_CONCURRENCY }: { timeoutMs: number; concurrency?: number },
): Promise<FanOutResult> {
  const result: FanOutResult = { ok: 0, failed: 0 };
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await withTimeout(call(item), timeoutMs);
        result.ok++;
      } catch (e) {
        result.failed++;
        console.error("sockizy-edge: fan-out call failed:", e instanceof Error ? e.message : e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return result;
}

/** Adds the results of a level below to this level's. */
export function addResults(into: FanOutResult, from: FanOutResult): void {
  into.ok += from.ok;
  into.failed += from.failed;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
