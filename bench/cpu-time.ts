// What the codec benchmarks time with. CPU time of this process (user +
// system), not wall time: on a shared machine a batch that waits for a core
// would count the wait, and the longer batches (2pack's) wait more often,
// which flatters the faster side.

/** CPU nanoseconds per call of `fn`, which makes `calls` calls. */
export function cpuNsPerCall(fn: () => void, calls: number): number {
  const t0 = process.cpuUsage();
  fn();
  const t = process.cpuUsage(t0);
  return ((t.user + t.system) * 1000) / calls;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
