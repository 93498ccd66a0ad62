// `npm run soak -- [--seconds 60] [--sockets 1000]` (not in CI): 1,000
// sockets churning against a local server it starts on a free loopback
// port: each connects (anonymous, or signed in as D/13 or D/6), holds a
// while, sends a frame or a sign-out, and leaves by a close or a cut TCP
// connection, until the time is up. Then every socket is gone, and the
// counts must be exact: size 0, count 0 for both users; then one socket per
// user signs in and size must be 2. Prints the server's and the client's memory.
import { readdirSync, readFileSync } from "node:fs";
import WebSocket from "ws";
import { startWranglerDev } from "../test/support/local-server.js";
import { adminGet, b64url, signInFrame, signOutFrame, sleep } from "../test/tcp/helpers.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const seconds = Math.min(arg("seconds", 60), 3600);
const sockets = Math.min(arg("sockets", 1000), 5000);
const SECRET = "soak-secret";

/** Resident memory (MiB) of the processes serving `port` (wrangler dev and its workerd), from /proc. */
function serverMemory(port: number): string {
  let pgid: number | undefined;
  const procs: { pid: number; pgid: number; name: string; rss: number }[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d}/status`, "utf8"))?.[1] ?? 0);
      const p = { pid: Number(d), pgid: Number(fields[2]), name: (cmd[0] ?? "").split("/").at(-1) ?? "", rss };
      procs.push(p);
      if (cmd.includes(String(port)) && cmd.includes("dev")) pgid = p.pgid;
    } catch {
      // gone meanwhile
    }
  }
  const mine = procs.filter((p) => p.pgid === pgid);
  return mine.map((p) => `${p.name} ${(p.rss / 1024).toFixed(0)} MiB`).join(", ") || "(not found)";
}

const server = await startWranglerDev({ ADMIN_SECRET: SECRET });
const base = server.url.replace(/^http:/, "ws:");
const deadline = Date.now() + seconds * 1000;
const tally = { opened: 0, signedIn: 0, capRefused: 0, closed: 0, cut: 0, refused: 0 };
let live = 0;
let peak = 0;
let failed = false;

function open(k: number, signIn?: [string, string]): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const q = signIn ? `?signin=${b64url(signInFrame(...signIn))}` : "";
    const ws = new WebSocket(`${base}/${q}`, { headers: { "CF-Connecting-IP": `10.0.${k >> 8}.${k & 255}` } });
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(undefined);
    }, 10_000);
    ws.on("error", () => {});
    ws.once("open", () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once("unexpected-response", (_req, res) => {
      clearTimeout(timer);
      if (tally.refused === 0) console.log(`first refusal: HTTP ${res.statusCode}`);
      ws.terminate();
      resolve(undefined);
    });
  });
}

async function slot(k: number): Promise<void> {
  // Sockets come up over the first seconds, as a real crowd does, not in one instant.
  await sleep((k / sockets) * Math.min(10_000, (seconds * 1000) / 3));
  while (Date.now() < deadline) {
    const roll = Math.random();
    // Few sign-ins: each one's reply is broadcast to every socket by the seed (O(sockets) frames apiece).
    const user: [string, string] | undefined = roll < 0.005 ? ["D", "13"] : roll < 0.01 ? ["D", "6"] : undefined;
    const ws = await open(k, user);
    if (ws === undefined) {
      tally.refused++; // refused, or no open within 10 s
      await sleep(100);
      continue;
    }
    tally.opened++;
    peak = Math.max(peak, ++live);
    ws.once("close", () => live--);
    ws.on("message", (d, isBinary) => {
      const t = isBinary ? "" : d.toString();
      if (t.startsWith("USER.OK | ")) tally.signedIn++;
      if (t.startsWith("USER.MAX.CONN")) tally.capRefused++;
    });
    await sleep(50 + Math.random() * 450);
    if (ws.readyState === WebSocket.OPEN) ws.send(Math.random() < 0.5 ? signOutFrame() : "#ping");
    await sleep(Math.random() * 200);
    if (Math.random() < 0.1) {
      ws.terminate(); // the TCP connection cut, no close frame
      tally.cut++;
    } else {
      const closed = new Promise((r) => ws.once("close", r));
      ws.close(1000);
      await Promise.race([closed, sleep(3000)]);
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
      tally.closed++;
    }
  }
}

async function admin(path: string): Promise<unknown> {
  return (await adminGet(server.url, path, SECRET)).body;
}

async function settle(what: string, check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return true;
    await sleep(250);
  }
  console.log(`NOT EXACT: ${what}`);
  return false;
}

try {
  console.log(`soak: ${sockets} sockets churning for ${seconds} s against ${server.url}`);
  console.log(`server memory at start: ${serverMemory(server.port)}`);
  const progress = setInterval(
    () => console.log(`  ${JSON.stringify(tally)}; server ${serverMemory(server.port)}`),
    10_000,
  );
  await Promise.all(Array.from({ length: sockets }, (_, k) => slot(k)));
  clearInterval(progress);
  console.log(`churn done: ${JSON.stringify(tally)}; at most ${peak} sockets open at once`);
  // A cut connection is noticed by the runtime when its TCP ends; the audit (60 s) catches any rest.
  const zero = await settle(
    "size and counts 0 after every socket left",
    async () =>
      JSON.stringify([
        await admin("/admin/size"),
        await admin("/admin/count?uid=13"),
        await admin("/admin/count?uid=6"),
      ]) === JSON.stringify([{ size: 0 }, { uid: "13", count: 0 }, { uid: "6", count: 0 }]),
    90_000,
  );
  const a = await open(1, ["D", "13"]);
  const b = await open(2, ["D", "6"]);
  const two = await settle(
    "size 2 with one socket per user",
    async () => JSON.stringify(await admin("/admin/size")) === JSON.stringify({ size: 2 }),
    10_000,
  );
  a?.close(1000);
  b?.close(1000);
  console.log(
    zero && two ? "counts exact at the end: size 0 after the churn, 2 with one socket per user" : "COUNTS NOT EXACT",
  );
  console.log(`server memory at the end: ${serverMemory(server.port)}`);
  const heap = process.memoryUsage();
  console.log(`client: heap ${(heap.heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(heap.rss / 2 ** 20).toFixed(0)} MiB`);
  failed = !(zero && two);
} finally {
  await server.stop();
}
process.exit(failed ? 1 : 0);
