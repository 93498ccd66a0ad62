// npm run bench:scale [-- --users 2000 --concurrency 50 --rounds 3 --broadcasts 5 --split 1 --only ours|baseline|split]
//
// Signs in N distinct users (each its own user object) on the local server
// at concurrency C, holds them, broadcasts to all of them, then closes them;
// once with sockizy-edge (the open-sign-in app of bench/scale/) and once
// with the minimal hand-written design of bench/baseline/, in turns, each on
// a fresh `wrangler dev` on 127.0.0.1; with `--split 1` (the default) each
// round also runs ours with fanOutBatch 50 (SPLIT), whose broadcasts go
// through slice objects, and checks every socket got each broadcast once. Prints rates, latencies, broadcast
// times, requests per object class (from /admin/metrics) and the server's
// CPU time, and writes them to dist/bench-scale.json for
// `npm run model:scale`. Loopback only; every wait has a deadline.
import { writeFileSync } from "node:fs";
import WebSocket from "ws";
import { toBase64Url } from "../src/protocol/control.js";
import { clientPackets } from "../src/protocol/index.js";
import { type LocalServer, startWranglerDev } from "../test/support/local-server.js";
import { groupCpuMs, median, percentile, requests, type Scrape, scrape } from "./measure.js";
import type { Design, Run } from "./scale-run.js";

const ADMIN_SECRET = "bench-admin-secret";
const tables = clientPackets({ "bench.signIn": ["login:str32"] } as const);

interface Options {
  users: number;
  concurrency: number;
  rounds: number;
  broadcasts: number;
  out: string;
  /** 1: each round also runs the split design (SPLIT); 0: not. */
  split: number;
  /** "both" (default), or one design alone (for looking at it, not for the ratio). */
  only: string;
}

/**
 * The split run's options: fanOutBatch 50 and 8 shards, so each shard holds ~250 online users and
 * hands them to 5 slice objects of 50: every delivery goes through a tier of slice objects
 * (with 64 shards, ~31 users a shard would never pass 50).
 */
const SPLIT = { FAN_OUT_BATCH: "50", REGISTRY_SHARDS: "8" };

function options(): Options {
  // 2,000 users by default (issue 7). On a loaded machine (2026-11-25, three runs) the minimal design's
  // broadcast to 2,000 made the local runtime restart the Worker mid-request; on a quiet one it
  // completes. If it happens to you, --users 1000 compares the same way.
  const o: Options = {
    users: 2000,
    concurrency: 50,
    rounds: 3, // odd, so each design's median is one of its runs
    broadcasts: 5,
    split: 1,
    out: "dist/bench-scale.json",
    only: "both",
  };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, "") as keyof Options;
    const value = argv[i + 1];
    if (!(key in o) || value === undefined) throw new Error(`unknown option ${argv[i]}`);
    (o as unknown as Record<string, unknown>)[key] = key === "out" || key === "only" ? value : Number(value);
  }
  return o;
}

// ---------------------------------------------------------------- the workload

interface Held {
  ws: WebSocket;
  texts: number;
}

async function signIn(server: LocalServer, login: string): Promise<{ held: Held; ms: number }> {
  const start = performance.now();
  const frame = toBase64Url(tables.send.encode("bench.signIn", { login }));
  const ws = new WebSocket(server.url.replace("http", "ws"), ["sockizy", `sockizy.${frame}`]);
  const held: Held = { ws, texts: 0 };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sign-in of ${login}: no reply within 30 s`)), 30_000);
    ws.once("message", (data) => {
      clearTimeout(timer);
      const text = String(data);
      if (text.startsWith("ok ")) resolve();
      else reject(new Error(`sign-in of ${login}: ${text}`));
    });
    ws.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  ws.on("message", () => held.texts++);
  return { held, ms: performance.now() - start };
}

async function signInAll(server: LocalServer, prefix: string, n: number, concurrency: number) {
  const held: Held[] = new Array(n);
  const latency: number[] = new Array(n);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const r = await signIn(server, `${prefix}${i}`);
        held[i] = r.held;
        latency[i] = r.ms;
      }
    }),
  );
  return { held, latency, seconds: (performance.now() - start) / 1000 };
}

async function closeAll(held: Held[]): Promise<void> {
  await Promise.all(
    held.map(
      (h) =>
        new Promise<void>((resolve) => {
          if (h.ws.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(resolve, 10_000);
          h.ws.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
          h.ws.close(1000);
        }),
    ),
  );
}

/** One broadcast; resolves to the ms until every held socket had it. */
async function broadcast(server: LocalServer, held: Held[], design: Design, k: number): Promise<number> {
  const before = held.map((h) => h.texts);
  const start = performance.now();
  const text = `broadcast ${k}`;
  const res =
    design !== "baseline"
      ? await fetch(`${server.url}/admin/text`, {
          method: "POST",
          headers: { Authorization: `Bearer ${ADMIN_SECRET}`, "Content-Type": "application/json" },
          body: JSON.stringify({ text }),
        })
      : await fetch(`${server.url}/broadcast`, { method: "POST", body: text });
  if (!res.ok) throw new Error(`broadcast: ${res.status} ${await res.text()}`);
  const deadline = Date.now() + 20_000;
  while (held.some((h, i) => h.texts === before[i])) {
    if (Date.now() > deadline) {
      const missing = held.filter((h, i) => h.texts === before[i]).length;
      throw new Error(`broadcast: ${missing} of ${held.length} sockets did not get it within 20 s`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now() - start;
}

/** Sockets whose count of broadcasts is not `broadcasts` once late deliveries had time to land (0: each got each once). */
async function deliveredOtherThanOnce(held: Held[], broadcasts: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 500));
  return held.filter((h) => h.texts !== broadcasts).length;
}

/** The fan-out between two scrapes around the broadcasts (docs/operations.md#metrics). */
function fanOutSeen(after: Scrape, before: Scrape, broadcasts: number): Run["fanOut"] {
  const slices = 'sockizy_fanout_invocations_total{object="slice"}';
  return {
    batchMax: after.get("sockizy_fanout_batch_max") ?? 0,
    tiersMax: after.get("sockizy_fanout_tiers_max") ?? 0,
    sliceInvocationsPerBroadcast: ((after.get(slices) ?? 0) - (before.get(slices) ?? 0)) / broadcasts,
  };
}

const SCAN_ROWS = 5000;
const SCANS = 200;

/** CPU ms of one registry request, from the bench app's /bench/shard and /bench/global routes. */
async function registryRequestCpu(server: LocalServer) {
  const n = 2000;
  const time = async (path: string) => {
    const c0 = groupCpuMs(server.pid);
    const res = await fetch(`${server.url}${path}?n=${n}`);
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    await res.text();
    return (groupCpuMs(server.pid) - c0) / n;
  };
  const shard = await time("/bench/shard");
  const global = await time("/bench/global");
  // The read of a shard's part of a broadcast, per row: SCAN_ROWS rows read SCANS times.
  await fetch(`${server.url}/bench/scan/fill?n=${SCAN_ROWS}`).then((r) => r.text());
  const c0 = groupCpuMs(server.pid);
  await fetch(`${server.url}/bench/scan?n=${SCANS}`).then((r) => r.text());
  const cpuMsPerScannedRow = (groupCpuMs(server.pid) - c0) / (SCANS * SCAN_ROWS);
  await fetch(`${server.url}/bench/scan/empty?n=${SCAN_ROWS}`).then((r) => r.text());
  return { cpuMsPerShardRequest: shard, cpuMsPerGlobalRequest: global, cpuMsPerScannedRow };
}

async function run(design: Design, o: Options): Promise<Run> {
  const product = design !== "baseline";
  const config = product ? "bench/scale/wrangler.toml" : "bench/baseline/wrangler.toml";
  const server = await startWranglerDev(design === "split" ? SPLIT : {}, 90_000, config);
  try {
    // Warm-up (not measured): code paths compiled, objects' classes loaded; its closes settled first.
    const warm = await signInAll(server, "warm", 50, 10);
    await closeAll(warm.held);
    await new Promise((r) => setTimeout(r, 2_000));

    const m0 = product ? await scrape(server, ADMIN_SECRET) : undefined;
    const c0 = groupCpuMs(server.pid);
    const s = await signInAll(server, "user", o.users, o.concurrency);
    const c1 = groupCpuMs(server.pid);
    const m1 = product ? await scrape(server, ADMIN_SECRET) : undefined;

    const times: number[] = [];
    for (let k = 0; k < o.broadcasts; k++) times.push(await broadcast(server, s.held, design, k));
    const c2 = groupCpuMs(server.pid);
    const notExactlyOnce = await deliveredOtherThanOnce(s.held, o.broadcasts);
    const m2 = product ? await scrape(server, ADMIN_SECRET) : undefined;

    await closeAll(s.held);
    await new Promise((r) => setTimeout(r, 1_500)); // closes handled, pushes flushed
    const c3 = groupCpuMs(server.pid);
    const m3 = product ? await scrape(server, ADMIN_SECRET) : undefined;
    const perRequest = design === "ours" ? await registryRequestCpu(server) : {};
    const fanOut = m1 && m2 ? fanOutSeen(m2, m1, o.broadcasts) : undefined;

    const tenth = Math.max(1, Math.floor(o.users / 10));
    const first = s.latency.slice(0, tenth);
    const last = s.latency.slice(-tenth);
    return {
      design,
      users: o.users,
      signInsPerSecond: o.users / s.seconds,
      firstP50: median(first),
      firstP99: percentile(first, 99),
      lastP50: median(last),
      lastP99: percentile(last, 99),
      broadcastMs: median(times),
      cpuMsPerSignIn: (c1 - c0) / o.users,
      cpuMsPerBroadcast: (c2 - c1) / o.broadcasts,
      cpuMsPerClose: (c3 - c2) / o.users,
      notExactlyOnce,
      ...(fanOut ? { fanOut } : {}),
      ...perRequest,
      ...(m0 && m1 && m2 && m3
        ? {
            signInRequests: requests(m1, m0),
            broadcastRequests: requests(m2, m1),
            closeRequests: requests(m3, m2),
          }
        : {}),
    };
  } catch (e) {
    console.error(
      `${design}: ${e instanceof Error ? e.message : e}; the server's last lines:\n${server
        .log()
        .split("\n")
        .filter((l) => !l.includes(" 101 Switching Protocols"))
        .slice(-60)
        .join("\n")}`,
    );
    throw e;
  } finally {
    await server.stop();
  }
}

function print(r: Run, o: Options): void {
  const f = (x: number) => x.toFixed(1);
  console.log(
    `${r.design.padEnd(8)} ${f(r.signInsPerSecond)} sign-ins/s; sign-in p50/p99 first 10% ${f(r.firstP50)}/${f(r.firstP99)} ms, ` +
      `last 10% ${f(r.lastP50)}/${f(r.lastP99)} ms; broadcast to ${r.users}: ${f(r.broadcastMs)} ms (median of ${o.broadcasts}); ` +
      `server CPU ${r.cpuMsPerSignIn.toFixed(2)} ms/sign-in` +
      (r.cpuMsPerShardRequest === undefined
        ? ""
        : `, ${r.cpuMsPerShardRequest.toFixed(3)} ms/shard request, ${(r.cpuMsPerGlobalRequest ?? 0).toFixed(3)} ms/global request, ` +
          `${((r.cpuMsPerScannedRow ?? 0) * 1000).toFixed(2)} µs/row read`),
  );
  if (r.fanOut) {
    const f = r.fanOut;
    console.log(
      `         fan-out: at most ${f.batchMax} calls per invocation, ${f.tiersMax} tiers, ${f.sliceInvocationsPerBroadcast} slice invocations per broadcast; ` +
        `server CPU ${r.cpuMsPerBroadcast.toFixed(0)} ms/broadcast; sockets that did not get each broadcast exactly once: ${r.notExactlyOnce}`,
    );
  }
  if (r.signInRequests) {
    const q = r.signInRequests;
    const per1000 = (x: number) => ((x / r.users) * 1000).toFixed(0);
    console.log(
      `         per 1,000 sign-ins: busiest registry shard ${per1000(q.busiestShard)} requests, global object ${per1000(q.global)} ` +
        `(${per1000(q.pushes)} size pushes); all shards ${per1000(q.shard)}, user objects ${per1000(q.user)}`,
    );
  }
}

async function main(): Promise<void> {
  const o = options();
  console.log(
    `bench:scale: ${o.users} users at concurrency ${o.concurrency}, ${o.rounds} round(s) in turns, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  );
  const runs: Run[] = [];
  const rounds: { rate: number; broadcast: number }[] = [];
  const splitRounds: { broadcast: number; cpu: number }[] = [];
  for (let round = 0; round < o.rounds; round++) {
    // ABBA...: each design goes first in every other round, so a drift of the machine's speed cancels out.
    const order: Design[] = round % 2 === 0 ? ["ours", "baseline"] : ["baseline", "ours"];
    if (o.split) order.push("split");
    const pair: Partial<Record<Design, Run>> = {};
    for (const design of order.filter((d) => o.only === "both" || o.only === d)) {
      const r = await run(design, o);
      print(r, o);
      runs.push(r);
      pair[design] = r;
    }
    if (pair.ours && pair.baseline) {
      rounds.push({
        rate: pair.ours.signInsPerSecond / pair.baseline.signInsPerSecond,
        broadcast: pair.ours.broadcastMs / pair.baseline.broadcastMs,
      });
    }
    if (pair.ours && pair.split) {
      splitRounds.push({
        broadcast: pair.split.broadcastMs / pair.ours.broadcastMs,
        cpu: pair.split.cpuMsPerBroadcast / pair.ours.cpuMsPerBroadcast,
      });
    }
  }
  if (o.only !== "both") return;
  const file = { date: new Date().toISOString(), options: o, runs, rounds, splitRounds };
  writeFileSync(o.out, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`(written to ${o.out}; npm run model:scale -- ${o.out} recomputes docs/scale.md's table)`);
  // Each round's two runs ran back to back, so their ratio is the least touched by the machine's
  // load, which moves from minute to minute; the line gives the median of the rounds' ratios.
  const f = (x: number) => `${x.toFixed(2)}x`;
  console.log(
    `per round: sign-in rate ${rounds.map((r) => f(r.rate)).join(" ")}; broadcast ${rounds.map((r) => f(r.broadcast)).join(" ")}`,
  );
  if (splitRounds.length > 0) {
    const missed = runs.filter((r) => r.design === "split").reduce((n, r) => n + (r.notExactlyOnce ?? 0), 0);
    console.log(
      `split (fanOutBatch ${SPLIT.FAN_OUT_BATCH}, registryShards ${SPLIT.REGISTRY_SHARDS}) vs ours: broadcast ` +
        `${f(median(splitRounds.map((r) => r.broadcast)))}, server CPU per broadcast ${f(median(splitRounds.map((r) => r.cpu)))} ` +
        `(medians of rounds); sockets that did not get each broadcast exactly once: ${missed}`,
    );
  }
  const rate = median(rounds.map((r) => r.rate));
  const bcast = median(rounds.map((r) => r.broadcast));
  console.log(`scale vs minimal DO: sign-in rate ${rate.toFixed(2)}x, broadcast ${bcast.toFixed(2)}x`);
}

await main();
