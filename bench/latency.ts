// npm run bench:latency [-- --signins 100 --reps 2 --warm 10 --gap 20]
//
// The sign-in round trip a user waits for, one sign-in at a time: open a
// WebSocket carrying the seed's `common.signIn` in the upgrade (subprotocols
// `sockizy` and `sockizy.<base64url frame>`, docs/sign-in.md#sign-in-paths) until
// `USER.OK | uid | size` arrives, then close it and wait for the close.
// Two designs, each on its own `wrangler dev` on 127.0.0.1, both started
// once and probed in turns (ABBA...): the seed application (the project's
// wrangler.toml, with ADMIN_SECRET and TICKET_SECRET set as
// .dev.vars.example sets them) and the raw Durable Object design of the same
// flow (bench/baseline/worker.ts at /seed). The seed has two users, D/13 and
// D/6 (src/app/seed.ts); sign-ins alternate between them and each waits for
// the previous close, so the cap of 1 never refuses. Prints p50/p90/p99 per
// run and per design, the server's CPU per sign-in (its close included),
// the product's object requests per sign-in (/admin/metrics), the load,
// and last `latency vs raw DO: sign-in p50 <x>x, p90 <y>x`.
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import WebSocket from "ws";
import { toBase64Url } from "../src/protocol/control.js";
import { clientPackets } from "../src/protocol/index.js";
import { type LocalServer, startWranglerDev } from "../test/support/local-server.js";
import { groupCpuMs, percentile, requests, scrape } from "./measure.js";

const ADMIN_SECRET = "bench-admin-secret";
// The seed's packets (src/app/seed.ts), declared here: the bench imports nothing from src/edge.
const tables = clientPackets({ "common.signIn": ["login:str24", "password:str24"], "common.signOut": null } as const);
const PASSWORDS = ["13", "6"]; // D/13 is uid 13, D/6 uid 6: the seed's only users

type Design = "ours" | "raw";

/**
 * Sequential Durable Object calls (Worker -> object, object -> object) before
 * the reply of a sign-in in the upgrade, as counted in docs/sign-in.md#sign-in-hops.
 * Counted by reading the code, not measured: keep in step with that file.
 */
const HOPS: Record<Design, string> = {
  ours: "4 (limiter, user, shard, global push when the shard's budget allows; the seed's session broadcast goes after the reply)",
  raw: "2 (user, registry; its broadcast goes after the reply)",
};

interface Options {
  signins: number;
  reps: number;
  warm: number;
  /** ms between a close and the next sign-in, so one sign-in's trailing work does not land in the next's. */
  gap: number;
}

function options(): Options {
  const o: Options = { signins: 100, reps: 2, warm: 10, gap: 20 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, "") as keyof Options;
    const value = Number(argv[i + 1]);
    if (!(key in o) || !Number.isFinite(value)) throw new Error(`unknown option ${argv[i]} ${argv[i + 1]}`);
    o[key] = value;
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

/** One sign-in round trip in ms; the socket is closed (and its close seen) before it resolves. */
async function signIn(url: string, password: string): Promise<number> {
  const frame = toBase64Url(tables.send.encode("common.signIn", { login: "D", password }));
  const start = performance.now();
  const ws = new WebSocket(url, ["sockizy", `sockizy.${frame}`]);
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sign-in of D/${password}: no reply within 10 s`)), 10_000);
      const done = (e?: Error) => {
        clearTimeout(timer);
        if (e) reject(e);
        else resolve();
      };
      ws.on("message", (data, binary) => {
        const text = String(data);
        // Binary frames are control frames (a resume ticket); another uid's USER.OK is a broadcast.
        if (binary || (text.startsWith("USER.OK | ") && !text.startsWith(`USER.OK | ${password} | `))) return;
        done(text.startsWith("USER.OK | ") ? undefined : new Error(`sign-in of D/${password}: ${text}`));
      });
      ws.once("error", done);
    });
    return performance.now() - start;
  } finally {
    ws.close(1000);
    await Promise.race([closed, sleep(5_000)]);
  }
}

interface RunResult {
  ms: number[];
  cpuMs: number;
  perSignIn?: string;
}

async function run(server: LocalServer, design: Design, o: Options, k: number): Promise<RunResult> {
  const url = `${server.url.replace("http", "ws")}/${design === "raw" ? "seed" : ""}`;
  const go = async (i: number) => {
    const ms = await signIn(url, PASSWORDS[i % 2] as string);
    await sleep(o.gap);
    return ms;
  };
  for (let i = 0; i < o.warm; i++) await go(i); // not measured: the objects and the code paths warm again after the other design's turn
  const m0 = design === "ours" ? await scrape(server, ADMIN_SECRET) : undefined;
  const c0 = groupCpuMs(server.pid);
  const ms: number[] = [];
  for (let i = 0; i < o.signins; i++) ms.push(await go(i));
  await sleep(300); // the last close's registry calls
  const cpuMs = (groupCpuMs(server.pid) - c0) / o.signins;
  const r: RunResult = { ms, cpuMs };
  if (m0) {
    const q = requests(await scrape(server, ADMIN_SECRET), m0);
    const per = (x: number) => (x / o.signins).toFixed(1);
    r.perSignIn = `user ${per(q.user)}, lobby ${per(q.lobby)}, shard ${per(q.shard)}, global ${per(q.global)} (${per(q.pushes)} size pushes)`;
  }
  const f = (p: number) => percentile(ms, p).toFixed(1);
  console.log(
    `${label(design)} run ${k}: sign-in p50/p90/p99 ${f(50)}/${f(90)}/${f(99)} ms; server CPU ${cpuMs.toFixed(2)} ms/sign-in (its close included)` +
      (r.perSignIn ? `; requests per sign-in and close: ${r.perSignIn}` : "") +
      `; load ${load()}`,
  );
  return r;
}

const label = (d: Design) => (d === "ours" ? "seed app" : "raw DO  ");

async function main(): Promise<void> {
  const o = options();
  const entry = /^main\s*=\s*"([^"]+)"/m.exec(readFileSync("wrangler.toml", "utf8"))?.[1];
  console.log(
    `bench:latency: ${o.signins} sequential sign-ins per run, ${o.reps} runs per design in turns, ${o.warm} warm-up sign-ins per run not counted, ${o.gap} ms between; ` +
      `seed app = wrangler.toml (main ${entry}), raw DO = bench/baseline at /seed; node ${process.version}, ${new Date().toISOString()}; load ${load()}`,
  );
  const servers: Partial<Record<Design, LocalServer>> = {};
  try {
    servers.ours = await startWranglerDev({ ADMIN_SECRET, TICKET_SECRET: "bench-ticket-secret" }, 90_000);
    servers.raw = await startWranglerDev({}, 90_000, "bench/baseline/wrangler.toml");
    const all: Record<Design, RunResult[]> = { ours: [], raw: [] };
    for (let k = 0; k < o.reps * 2; k++) {
      // ABBA: each design goes first in every other pair, so a drift of the machine's speed cancels out.
      const design: Design = [0, 3].includes(k % 4) ? "ours" : "raw";
      all[design].push(await run(servers[design] as LocalServer, design, o, Math.floor(k / 2) + 1));
    }
    const pooled = (d: Design) => all[d].flatMap((r) => r.ms);
    for (const d of ["ours", "raw"] as const) {
      const f = (p: number) => percentile(pooled(d), p).toFixed(1);
      const cpu = all[d].reduce((s, r) => s + r.cpuMs, 0) / all[d].length;
      console.log(
        `${label(d)} all runs: sign-in p50/p90/p99 ${f(50)}/${f(90)}/${f(99)} ms; server CPU ${cpu.toFixed(2)} ms/sign-in; ` +
          `sequential object hops before the reply: ${HOPS[d]}`,
      );
    }
    const ratio = (p: number) => (percentile(pooled("ours"), p) / percentile(pooled("raw"), p)).toFixed(2);
    console.log(`load ${load()}`);
    console.log(`latency vs raw DO: sign-in p50 ${ratio(50)}x, p90 ${ratio(90)}x`);
  } catch (e) {
    for (const [d, s] of Object.entries(servers))
      console.error(`${d}: the server's last lines:\n${s.log().slice(-3000)}`);
    throw e;
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
}

await main();
