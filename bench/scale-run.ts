// What one `npm run bench:scale` run records (dist/bench-scale.json,
// docs/scale-run.json), written by bench/scale.ts and read by
// bench/scale-model.ts.

/** Requests per object class between two /admin/metrics scrapes. */
export interface Requests {
  user: number;
  lobby: number;
  shard: number;
  global: number;
  busiestShard: number;
  pushes: number;
}

/** "split" is ours with a small fanOutBatch (bench/scale.ts SPLIT), so its broadcasts go through slice objects. */
export type Design = "ours" | "baseline" | "split";

export interface Run {
  design: Design;
  users: number;
  signInsPerSecond: number;
  firstP50: number;
  firstP99: number;
  lastP50: number;
  lastP99: number;
  broadcastMs: number;
  cpuMsPerSignIn: number;
  cpuMsPerBroadcast: number;
  cpuMsPerClose: number;
  /** ours only: CPU time of one registry shard request and one global push, made one after another. */
  cpuMsPerShardRequest?: number;
  cpuMsPerGlobalRequest?: number;
  /** ours only: CPU time per row of a shard reading its users' table (bench/scale/app.ts /bench/scan). */
  cpuMsPerScannedRow?: number;
  /** ours only: requests per phase, from /admin/metrics. */
  signInRequests?: Requests;
  broadcastRequests?: Requests;
  closeRequests?: Requests;
  /** Sockets that did not get each broadcast exactly once (0 is the promise). */
  notExactlyOnce?: number;
  /** ours and split: the fan-out as /admin/metrics saw it after the broadcasts. */
  fanOut?: { batchMax: number; tiersMax: number; sliceInvocationsPerBroadcast: number };
}
