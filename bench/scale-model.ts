// npm run model:scale [-- <bench json>] [--users 10000000 --signins 10000 --broadcasts 1 --shards 64 --flush 250]
//
// The load model of docs/scale.md, recomputed from a `npm run bench:scale`
// run (default: docs/scale-run.json, the run the docs quote; a fresh run
// writes dist/bench-scale.json). Inputs measured by the bench: requests per
// object class per sign-in, per close and per broadcast (from
// /admin/metrics), the server's CPU time per sign-in and per broadcast
// delivery. Everything else is arithmetic, printed as a Markdown table.
import { readFileSync } from "node:fs";
import { FAN_OUT_CONCURRENCY } from "../src/edge/registry/fan-out.js";
import { shardOf } from "../src/edge/registry/shards.js";
import type { Requests, Run } from "./scale-run.js";

/** The platform's soft limit of one Durable Object (https://developers.cloudflare.com/durable-objects/platform/limits/). */
const SOFT_LIMIT = 1000;

function args() {
  const a = { file: "docs/scale-run.json", users: 10_000_000, signins: 10_000, broadcasts: 1, shards: 64, flush: 250 };
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

function main(): void {
  const a = args();
  const bench = JSON.parse(readFileSync(a.file, "utf8")) as { date: string; runs: Run[] };
  const ours = bench.runs.filter((r) => r.design === "ours");
  if (ours.length === 0 || !ours[0]?.signInRequests) throw new Error(`${a.file}: no run of ours with metrics`);
  const mean = (f: (r: Run) => number) => ours.reduce((n, r) => n + f(r), 0) / ours.length;
  const per = (q: keyof Requests, phase: "signInRequests" | "closeRequests") =>
    mean((r) => (r[phase] as Requests)[q] / r.users);

  // Measured per operation (each user object's own requests are its own; shards and the global object are shared).
  const shardPerSignIn = per("shard", "signInRequests");
  const shardPerClose = per("shard", "closeRequests");
  const userPerSignIn = per("user", "signInRequests");
  // How much busier the busiest shard is than the mean: the hash's spread of 1M uids over the shards
  // (at bench size, ~30 users a shard, the busiest one's excess is chance, not the hash).
  const skew = hashSkew(a.shards);
  const cpuPerSignIn = mean((r) => r.cpuMsPerSignIn);
  const cpuPerDelivery = mean((r) => r.cpuMsPerBroadcast / r.users);
  // CPU per request: a sign-in's server CPU over the requests it made (Worker fetch + user object + shard + global).
  const reqPerSignIn = 1 + userPerSignIn + shardPerSignIn + per("global", "signInRequests");
  const cpuPerRequest = cpuPerSignIn / reqPerSignIn;
  // One registry request made alone (caller and callee together: an upper bound on the callee's CPU).
  const cpuShard = mean((r) => r.cpuMsPerShardRequest ?? cpuPerRequest);
  const cpuGlobal = mean((r) => r.cpuMsPerGlobalRequest ?? cpuPerRequest);

  // The model: S sign-ins/s and as many sign-outs or closes (steady state), B broadcasts/s.
  const S = a.signins;
  const shardLoad = ((S * shardPerSignIn + S * shardPerClose) / a.shards) * skew + a.broadcasts;
  // Under sustained load every shard spends its push budget: at most one push per flush interval.
  const globalLoad = a.shards * (1000 / a.flush) + a.broadcasts;
  const usersPerShard = a.users / a.shards;
  const million = 1_000_000 / a.shards;
  // A shard calls its users FAN_OUT_CONCURRENCY at a time; its time is bounded below by its own CPU per call.
  // A shard's own cost per outgoing call is at most one registry request's (caller and callee together).
  const broadcastMillion = (latencyMs: number) =>
    Math.max(million * cpuShard, (million / FAN_OUT_CONCURRENCY) * latencyMs) / 1000;

  const pct = (x: number) => `${((x / SOFT_LIMIT) * 100).toFixed(0)}%`;
  const f = (x: number, d = 1) => x.toFixed(d);
  console.log(`Model from ${a.file} (bench run of ${bench.date.slice(0, 10)}, ${ours[0].users} users):`);
  console.log(
    `measured: per sign-in ${f(shardPerSignIn, 2)} shard requests, per close ${f(shardPerClose, 2)}; ` +
      `busiest shard ${f(skew, 3)}x the mean (hash spread of 1M uids); server CPU ${f(cpuPerSignIn, 2)} ms per sign-in ` +
      `(${f(cpuPerRequest, 2)} ms per request, the local WebSocket upgrade included), ${f(cpuShard, 3)} ms per shard request, ` +
      `${f(cpuGlobal, 3)} ms per global request, ${f(cpuPerDelivery, 3)} ms per broadcast delivery end to end`,
  );
  console.log();
  console.log(
    `At ${(a.users / 1e6).toFixed(0)}M users, ${S} sign-ins/s (and ${S} sign-outs/s), ${a.broadcasts} broadcast/s, registryShards ${a.shards}, sizeFlushMs ${a.flush}:`,
  );
  console.log();
  console.log(
    "| object | requests/s (busiest) | of the 1,000/s soft limit | CPU ms per second (measured ms/request) |",
  );
  console.log("|---|---|---|---|");
  console.log(`| registry shard | ${f(shardLoad, 0)} | ${pct(shardLoad)} | ${f(shardLoad * cpuShard, 0)} |`);
  console.log(`| global object | ${f(globalLoad, 0)} | ${pct(globalLoad)} | ${f(globalLoad * cpuGlobal, 0)} |`);
  const userLoad = a.broadcasts + 2 / 60; // its broadcasts, and a sign-in and a close a minute at most for an active user
  console.log(
    `| user object | ${f(userLoad, 2)} | ${pct(userLoad)} | ${f(userLoad * cpuPerRequest, 2)} (upper bound) |`,
  );
  console.log();
  console.log(
    `Users per shard: ${f(usersPerShard, 0)}. A broadcast to 1M users: ${f(million, 0)} deliveries per shard, in parallel across shards: ` +
      `${f(broadcastMillion(1), 1)} s at 1 ms per call, ${f(broadcastMillion(10), 1)} s at 10 ms, ${f(broadcastMillion(50), 1)} s at 50 ms ` +
      `(the shard's CPU floor alone: ${f((million * cpuShard) / 1000, 1)} s; 1M x ${f(cpuPerDelivery, 3)} ms end to end ` +
      `spread over ${a.shards} shards running in parallel: ${f((million * cpuPerDelivery) / 1000, 1)} s).`,
  );
}

main();
