// npm run model:scale [-- <bench json>] [--batch 1000 --latency 10 --shards N --flush MS --broadcasts PER_S]
//
// The load model of docs/scale.md#the-model, recomputed from a `npm run bench:scale` run (default:
// docs/scale-run.json, the run the docs quote; a fresh run writes dist/bench-scale.json). For 1M,
// 10M and 100M online users it prints, per object class, what the platform limits: requests per
// second, CPU seconds per second (one thread), CPU and subrequests per invocation, the time for a
// broadcast to reach everyone, the highest broadcast rate each scale holds, and what `size`
// promises there (docs/scale.md#the-promise). It counts the size tree's groups where there are
// more shards than one object hears from. It exits 1 when a row passes a limit, so defaults cannot
// drift past them unnoticed.
import { readFileSync } from "node:fs";
import { DEFAULTS } from "../src/edge/app/define-app.js";
import { FAN_OUT_CONCURRENCY } from "../src/edge/registry/fan-out.js";
import { shardOf } from "../src/edge/registry/shards.js";
import { SIZE_FAN_IN, topLevel } from "../src/edge/registry/size-tree.js";
import type { Requests, Run } from "./scale-run.js";

/** The platform's limits (https://developers.cloudflare.com/durable-objects/platform/limits/, workers/platform/limits/). */
const LIMIT = {
  /** Half of a Durable Object's soft limit of about 1,000 requests per second. */
  rps: 500,
  /** One thread: at most half of it busy. */
  cpuPerSecond: 0.5,
  /** The default CPU time of one invocation, ms. */
  cpuMsPerInvocation: 30_000,
  /** The default subrequests of one invocation. */
  subrequests: 10_000,
};

/** The scales of issue 18: online users and sign-ins per second (as many sign-outs). */
const SCALES = [
  { users: 1e6, signins: 1e4 },
  { users: 1e7, signins: 1e4 },
  { users: 1e8, signins: 1e5 },
];

/** Broadcast intervals the model states, in seconds: the shortest one a scale holds is printed. */
const INTERVALS = [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600];

/** Lobbies with sockets: every broadcast calls each (the default lobbyShards). */
const LOBBIES = DEFAULTS.lobbyShards;

function args() {
  const a = {
    file: "docs/scale-run.json",
    batch: DEFAULTS.fanOutBatch,
    latency: 10,
    shards: 0,
    flush: 0,
    broadcasts: 0,
  };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) a.file = arg;
    else (a as unknown as Record<string, number>)[arg.slice(2)] = Number(argv[++i]);
  }
  return a;
}

/** Max over mean of users per shard, for uids "u0".."u999999" placed by the product's own hash. */
function hashSkew(shards: number): number {
  const counts = new Array<number>(shards).fill(0);
  const n = 1_000_000;
  for (let i = 0; i < n; i++) counts[shardOf(`u${i}`, shards)] = (counts[shardOf(`u${i}`, shards)] ?? 0) + 1;
  return Math.max(...counts) / (n / shards);
}

/** What the bench measured, per operation and per call (ms of CPU). */
function measured(file: string) {
  const bench = JSON.parse(readFileSync(file, "utf8")) as { date: string; runs: Run[] };
  const ours = bench.runs.filter((r) => r.design === "ours");
  if (ours.length === 0 || !ours[0]?.signInRequests) throw new Error(`${file}: no run of ours with metrics`);
  const mean = (f: (r: Run) => number) => ours.reduce((n, r) => n + f(r), 0) / ours.length;
  const per = (q: keyof Requests, phase: "signInRequests" | "closeRequests") =>
    mean((r) => (r[phase] as Requests)[q] / r.users);
  const reqPerSignIn =
    1 + per("user", "signInRequests") + per("shard", "signInRequests") + per("global", "signInRequests");
  const cpuPerRequest = mean((r) => r.cpuMsPerSignIn) / reqPerSignIn;
  const cpuCall = mean((r) => r.cpuMsPerShardRequest ?? cpuPerRequest);
  return {
    date: bench.date.slice(0, 10),
    users: ours[0].users,
    shardPerOp: (per("shard", "signInRequests") + per("shard", "closeRequests")) / 2,
    cpuPerRequest,
    /** One registry request made alone, caller and callee together: an upper bound on one call of a fan-out. */
    cpuCall,
    cpuGlobal: mean((r) => r.cpuMsPerGlobalRequest ?? cpuPerRequest),
    /** A shard's read of one row of its users' table (an older run without it: a whole call, an upper bound). */
    cpuRow: mean((r) => r.cpuMsPerScannedRow ?? cpuCall),
  };
}
type Measured = ReturnType<typeof measured>;

/**
 * The tree a fan-out over n targets makes (fan-out-tree.ts): the calls of its root invocation, of
 * an invocation at the bottom, the slice objects below the root and their tiers.
 */
function tree(n: number, batch: number): { rootCalls: number; leafCalls: number; slices: number; tiers: number } {
  if (n <= batch) return { rootCalls: n, leafCalls: n, slices: 0, tiers: 0 };
  const count = Math.min(batch, Math.ceil(n / batch));
  const below = tree(Math.ceil(n / count), batch);
  return { rootCalls: count, leafCalls: below.leafCalls, slices: count * (1 + below.slices), tiers: 1 + below.tiers };
}

interface Row {
  object: string;
  rps: number;
  cpuPerSecond: number;
  cpuMsPerInvocation: number;
  subrequests: number;
}

/** One scale at `perSecond` broadcasts: each object class's load, and the broadcast's time to everyone. */
function scale(
  m: Measured,
  s: { users: number; signins: number; shards: number; flush: number },
  batch: number,
  latency: number,
) {
  const skew = hashSkew(s.shards);
  const online = (s.users / s.shards) * skew; // the busiest shard's online users
  const shardTree = tree(online, batch);
  // The size tree (docs/scale.md#the-size-tree): groups between the shards and the global object
  // when there are more shards than SIZE_FAN_IN; the global object hears from its level below.
  const levels = topLevel(s.shards);
  const groupLevels = Array.from({ length: levels - 1 }, (_, k) => Math.ceil(s.shards / SIZE_FAN_IN ** (k + 1)));
  const globalChildren = levels === 1 ? s.shards : (groupLevels[levels - 2] as number);
  const rootTree = tree(globalChildren + LOBBIES, batch);
  const groupTree = tree(Math.min(SIZE_FAN_IN, s.shards), batch);
  // Per broadcast, CPU ms of one invocation of each object that takes part in it.
  const shardCast = online * m.cpuRow + shardTree.rootCalls * m.cpuCall;
  const sliceCast = shardTree.leafCalls * m.cpuCall;
  const globalCast = rootTree.rootCalls * m.cpuCall;
  const groupCast = groupTree.rootCalls * m.cpuCall;
  const userCast = m.cpuPerRequest;
  // Sustained load without broadcasts: sign-ins and as many closes. Each asks its shard, whose
  // push a parent grants at most SIZE_FAN_IN x 1000 / sizeFlushMs times a second (its budget).
  const shardBase = ((2 * s.signins * m.shardPerOp) / s.shards) * skew;
  const budget = (SIZE_FAN_IN * 1000) / s.flush;
  const pushesIn = (children: number) => Math.min(budget, (2 * s.signins * m.shardPerOp * children) / s.shards);
  const globalBase = pushesIn(s.shards);
  // The busiest group: one of the top level of groups, whose subtree is largest.
  const groupBase = pushesIn(Math.min(s.shards, SIZE_FAN_IN ** (levels - 1)));
  const userBase = 2 / 60; // a sign-in and a close a minute at most, for an active user
  const classes = [
    {
      object: "registry shard",
      base: shardBase,
      baseCpu: shardBase * m.cpuCall,
      cast: shardCast,
      calls: shardTree.rootCalls,
    },
    ...(levels > 1
      ? [
          {
            // A push answered, and its own push up as the caller (an upper bound: held ones make none).
            object: `size group (${groupLevels.join(" + ")})`,
            base: groupBase,
            baseCpu: groupBase * (m.cpuGlobal + m.cpuCall),
            cast: groupCast,
            calls: groupTree.rootCalls,
          },
        ]
      : []),
    {
      object: "global object",
      base: globalBase,
      baseCpu: globalBase * m.cpuGlobal,
      cast: globalCast,
      calls: rootTree.rootCalls,
    },
    ...(shardTree.slices > 0
      ? [{ object: "slice object", base: 0, baseCpu: 0, cast: sliceCast, calls: shardTree.leafCalls }]
      : []),
    { object: "user object", base: userBase, baseCpu: userBase * m.cpuPerRequest, cast: userCast, calls: 1 },
  ];
  // The highest rate every object holds: within half the soft limit and half its thread.
  const most = Math.min(
    ...classes.map((c) => Math.min(LIMIT.rps - c.base, ((LIMIT.cpuPerSecond - c.baseCpu / 1000) * 1000) / c.cast)),
  );
  const interval = INTERVALS.find((i) => 1 / i <= most) ?? Number.POSITIVE_INFINITY;
  // Time to everyone: each tier issues its calls and waits for the slowest; leaf calls go 64 at a time.
  const leaf = (calls: number) => Math.max(calls * m.cpuCall, Math.ceil(calls / FAN_OUT_CONCURRENCY) * latency);
  const shardTime =
    online * m.cpuRow +
    (shardTree.slices > 0
      ? shardTree.rootCalls * m.cpuCall + shardTree.tiers * latency + leaf(shardTree.leafCalls)
      : leaf(online));
  // Each level calls the one below 64 at a time, each call lasting that child's whole part (a
  // group's: its shards', the same way; a shard's: its users', by itself or its slice objects).
  const waves = (children: number) => Math.ceil(children / FAN_OUT_CONCURRENCY);
  let childTime = shardTime;
  for (let level = 1; level < levels; level++) {
    childTime = groupCast + groupTree.tiers * latency + waves(Math.min(SIZE_FAN_IN, s.shards)) * (latency + childTime);
  }
  const broadcastMs = globalCast + rootTree.tiers * latency + waves(rootTree.leafCalls) * (latency + childTime);
  // What `size` promises (docs/scale.md#the-promise): exact below the budget of pushes at the
  // global object; above it, a reply misses only changes younger than twice the longest wait for
  // a slot at each level: a parent's children x sizeFlushMs / SIZE_FAN_IN, at most sizeFlushMs.
  const children = (level: number) => Math.min(SIZE_FAN_IN, Math.ceil(s.shards / SIZE_FAN_IN ** (level - 1)));
  let staleMs = 0;
  for (let level = 1; level <= levels; level++) staleMs += (2 * children(level) * s.flush) / SIZE_FAN_IN;
  const size = { exactBelow: budget, staleMs, levels };
  return { skew, online, shardTree, interval, most, broadcastMs, classes, size };
}

function main(): void {
  const a = args();
  const m = measured(a.file);
  const f = (x: number, d = 1) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(`Model from ${a.file} (bench run of ${m.date}, ${m.users} users):`);
  console.log(
    `measured: ${f(m.shardPerOp, 2)} shard requests per sign-in or close; CPU ${f(m.cpuCall, 3)} ms per registry request ` +
      `(one call of a fan-out, caller and callee: an upper bound), ${f(m.cpuGlobal, 3)} ms per global request, ` +
      `${f(m.cpuRow * 1000, 2)} µs per row a shard reads, ${f(m.cpuPerRequest, 2)} ms per request of a sign-in (user objects, the local upgrade included)`,
  );
  console.log(
    `assumed: ${a.latency} ms per call between objects; fanOutBatch ${a.batch}; limits per object: ${LIMIT.rps} requests/s, ` +
      `${LIMIT.cpuPerSecond} CPU s/s, ${f(LIMIT.cpuMsPerInvocation / 1000, 0)} s CPU and ${f(LIMIT.subrequests, 0)} subrequests per invocation`,
  );
  let passed = 0;
  for (const sc of SCALES) {
    // The settings each scale needs (or those given): shards under 40% of the soft limit from sign-ins
    // alone. sizeFlushMs stays the default: the size tree keeps every parent's pushes within its
    // budget (SIZE_FAN_IN x 1000 / sizeFlushMs) at any number of shards.
    const shards = a.shards || 64 * Math.ceil((2 * sc.signins * m.shardPerOp * 1.05) / (0.4 * 1000) / 64);
    const flush = a.flush || DEFAULTS.sizeFlushMs;
    const r = scale(m, { ...sc, shards, flush }, a.batch, a.latency);
    const perSecond = a.broadcasts || 1 / r.interval;
    console.log();
    console.log(
      `${f(sc.users / 1e6, 0)}M online users, ${f(sc.signins, 0)} sign-ins/s and as many sign-outs; registryShards ${shards}, sizeFlushMs ${flush}: ` +
        `${f(r.online, 0)} online users in the busiest shard (hash spread ${f(r.skew, 3)}x), ` +
        `${r.shardTree.slices > 0 ? `handed to ${f(r.shardTree.slices, 0)} slice objects in ${r.shardTree.tiers} tier(s)` : "called by the shard itself"}. ` +
        `Holds one broadcast every ${r.interval} s (at most ${f(r.most, 2)}/s); the table is at ${f(perSecond, 2)}/s. ` +
        `A broadcast reaches everyone in ${f(r.broadcastMs / 1000, 2)} s. ` +
        `Size tree: ${r.size.levels === 1 ? "the global object hears from every shard" : `${r.size.levels - 1} tier(s) of size groups`}; ` +
        `size exact below ${f(r.size.exactBelow, 0)} pushes/s at the global object, else missing at most the changes of the last ${f(r.size.staleMs, 0)} ms.`,
    );
    console.log();
    console.log("| object | requests/s | CPU s/s | CPU ms per invocation | subrequests per invocation | limits |");
    console.log("|---|---|---|---|---|---|");
    for (const c of r.classes) {
      const row: Row = {
        object: c.object,
        rps: c.base + perSecond,
        cpuPerSecond: (c.baseCpu + perSecond * c.cast) / 1000,
        cpuMsPerInvocation: c.cast,
        subrequests: c.calls,
      };
      const over = overLimits(row);
      if (over.length > 0) passed++;
      console.log(
        `| ${row.object} | ${f(row.rps, 1)} | ${f(row.cpuPerSecond, 3)} | ${f(row.cpuMsPerInvocation, 1)} | ${f(row.subrequests, 0)} | ${over.length > 0 ? `PASSED: ${over.join(", ")}` : "within"} |`,
      );
    }
  }
  if (passed > 0) {
    console.log(`\n${passed} row(s) pass a limit`);
    process.exitCode = 1;
  }
}

/** The limits a row passes. */
function overLimits(r: Row): string[] {
  const over: string[] = [];
  if (r.rps > LIMIT.rps) over.push("requests/s");
  if (r.cpuPerSecond > LIMIT.cpuPerSecond) over.push("CPU s/s");
  if (r.cpuMsPerInvocation > LIMIT.cpuMsPerInvocation) over.push("CPU per invocation");
  if (r.subrequests > LIMIT.subrequests) over.push("subrequests");
  return over;
}

main();
