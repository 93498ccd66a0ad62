// How a fan-out with more targets than `fanOutBatch` is cut
// (docs/scale.md#fan-out-bounded-per-invocation): into at most `batch` slices of even size, each
// handed to a slice object, which cuts it again if it is still larger than `batch`. So every
// invocation makes at most `batch` calls, and n targets need ceil(log_batch(n)) tiers.

/** `items` (more than `batch` of them, batch >= 2) in at most `batch` contiguous slices of even size. */
export function slicesOf<T>(items: readonly T[], batch: number): T[][] {
  // At least two slices (items > batch >= 2), so each is smaller than what it came from.
  const count = Math.min(batch, Math.ceil(items.length / batch));
  const size = Math.ceil(items.length / count);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
