// The TCP frame fuzzer (docs/testing.md): seeded mutations of the seed's
// frames sent over real sockets to the local server, each with a verdict
// predicted here, independently of the server's codec, from spec section 2:
//   handled - the socket stays open (a packet, an ignored text, #ping);
//   1003    - not a packet of the seed's table (the reason is the decode error);
//   1009    - above maxPayload (32 KiB; text in UTF-8 bytes).
// A socket carries a body of frames predicted "handled" and ends with one
// predicted 1003 or 1009: its close code and reason must be exactly that
// one's, so a body frame the server wrongly refused shows up as a close
// with another code or reason. A monitor socket pings throughout.
// Used by test/tcp/fuzz.test.ts and `npm run fuzz`.
import WebSocket from "ws";
import { b64url, frame, SIGN_IN_SCHEMA, signInFrame, signOutFrame, sleep } from "./helpers.js";

export const MAX_PAYLOAD = 32 * 1024;
const STR24 = 24;

export type Verdict = "handled" | 1003 | 1009;
export interface Prediction {
  verdict: Verdict;
  /** For 1003: the decode error code the server gives as close reason. */
  reason?: string;
  /** A sign-in packet that decodes: it reaches the sign-in flow (and its limits). */
  signIn?: boolean;
}

/** What the seed's table makes of a frame (spec section 2): ids 0 (signIn: two str24, last field first) and 1 (signOut). */
export function predict(data: Buffer | string): Prediction {
  if (typeof data === "string") {
    return Buffer.byteLength(data, "utf8") > MAX_PAYLOAD ? { verdict: 1009 } : { verdict: "handled" };
  }
  if (data.length > MAX_PAYLOAD) return { verdict: 1009 };
  if (data.length < 2) return { verdict: 1003, reason: "short-frame" };
  const id = data.readUInt16LE(0);
  if (id === 1) return data.length === 2 ? { verdict: "handled" } : { verdict: 1003, reason: "trailing-bytes" };
  if (id !== 0) return { verdict: 1003, reason: "unknown-id" };
  let pos = 2;
  for (let field = 0; field < 2; field++) {
    if (pos + 2 > data.length) return { verdict: 1003, reason: "truncated" };
    const len = data.readUInt16LE(pos);
    if (len > STR24) return { verdict: 1003, reason: "too-long" };
    if (pos + 2 + len > data.length) return { verdict: 1003, reason: "truncated" };
    pos += 2 + len;
  }
  if (pos !== data.length) return { verdict: 1003, reason: "trailing-bytes" };
  return { verdict: "handled", signIn: true };
}

/** mulberry32: a small seeded generator, so a failing run can be replayed with its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ["a", "Z", "0", " ", "|", "é", "ж", "字", "😀", "\u0000", "D", "13"];

/** Mutated frames, each with its prediction. */
export class FrameSource {
  private readonly r: () => number;
  /** Sign-in packets that decode, sent so far (see `maxSignIns`). */
  signIns = 0;

  /**
   * `maxSignIns` bounds the decoding sign-in packets of a run: each is a
   * real failed sign-in, counted by the rate limits like any other.
   */
  constructor(
    seed: number,
    private readonly maxSignIns: number,
  ) {
    this.r = rng(seed);
  }

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }

  private text(maxChars: number): string {
    let s = "";
    const n = this.int(maxChars + 1);
    for (let i = 0; i < n; i++) s += ALPHABET[this.int(ALPHABET.length)];
    return s;
  }

  private bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /** A well-formed frame of the seed's table, made by 2pack. */
  private valid(): Buffer {
    if (this.int(4) === 0) return signOutFrame();
    // Never the login "D": the fuzzer's failures must not lock the seed scenario's user.
    return frame(0, SIGN_IN_SCHEMA, { login: `fz${this.text(8)}`, password: this.text(12) });
  }

  private mutate(f: Buffer): Buffer {
    const b = Buffer.from(f);
    switch (this.int(8)) {
      case 0: // flip a bit
        if (b.length > 0) {
          const i = this.int(b.length);
          b[i] = (b[i] as number) ^ (1 << this.int(8));
        }
        return b;
      case 1: // cut
        return b.subarray(0, this.int(b.length + 1));
      case 2: // append
        return Buffer.concat([b, this.bytes(1 + this.int(8))]);
      case 3: // another id
        if (b.length >= 2) b.writeUInt16LE([0, 1, 2, 0xffff, this.int(65536)][this.int(5)] as number, 0);
        return b;
      case 4: // a length prefix rewritten
        if (b.length >= 4) b.writeUInt16LE([0, 24, 25, 255, 65535, this.int(40)][this.int(6)] as number, 2);
        return b;
      case 5: // raw bytes
        return this.bytes(this.int(40));
      case 6: // a byte set to an edge value
        if (b.length > 0) b[this.int(b.length)] = [0, 0x7f, 0x80, 0xff][this.int(4)] as number;
        return b;
      default: // unchanged
        return b;
    }
  }

  /** One frame and its prediction; `want` "handled" or "end" (a 1003 or 1009). */
  next(want: "handled" | "end"): { data: Buffer | string; p: Prediction } {
    for (;;) {
      let data: Buffer | string;
      const kind = this.int(20);
      if (kind === 0) data = this.int(3) === 0 ? "#ping" : this.text(30);
      else if (kind === 1 && want === "end") {
        data = this.int(2) === 0 ? this.bytes(MAX_PAYLOAD + 1 + this.int(2000)) : "é".repeat(MAX_PAYLOAD / 2 + 1);
      } else data = this.mutate(this.valid());
      const p = predict(data);
      if ((want === "handled") !== (p.verdict === "handled")) continue;
      if (p.signIn) {
        if (this.signIns >= this.maxSignIns) continue;
        this.signIns++;
      }
      return { data, p };
    }
  }
}

export interface FuzzOptions {
  /** ws://127.0.0.1:<port> */
  base: string;
  frames: number;
  seed: number;
  /** Sockets in flight at once. */
  parallel?: number;
  /** CF-Connecting-IP the fuzz sockets present (honoured by the local server, set by Cloudflare in production). */
  ip?: string;
  maxSignIns?: number;
}

export interface FuzzReport {
  frames: number;
  sockets: number;
  verdicts: Record<"handled" | "1003" | "1009", number>;
  signIns: number;
  /** Monitor pings answered, and the slowest answer in ms. */
  pings: number;
  slowestPingMs: number;
  mismatches: string[];
  ms: number;
}

interface Outcome {
  code: number;
  reason: string;
}

function openSocket(base: string, ip: string | undefined): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/`, { headers: ip ? { "CF-Connecting-IP": ip } : {} });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("no open within 10 s"));
    }, 10_000);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Sends the frames, then waits (bounded) for the server's close. */
async function runSocket(base: string, ip: string | undefined, frames: (Buffer | string)[]): Promise<Outcome> {
  const ws = await openSocket(base, ip);
  const closed = new Promise<Outcome>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on("error", () => {});
  for (const f of frames) ws.send(f, { binary: typeof f !== "string" });
  const timeout = sleep(15_000).then(() => ({ code: -1, reason: "no close within 15 s" }));
  const out = await Promise.race([closed, timeout]);
  if (out.code === -1) ws.terminate();
  return out;
}

/** A socket that pings every 200 ms while the fuzzer runs: the server must keep answering. */
function monitor(base: string): { stop(): Promise<{ pings: number; slowest: number; problems: string[] }> } {
  let running = true;
  const problems: string[] = [];
  let pings = 0;
  let slowest = 0;
  const done = (async () => {
    const ws = await openSocket(base, "198.18.0.1");
    let waiting: (() => void) | undefined;
    ws.on("message", (d, isBinary) => {
      if (!isBinary && d.toString() === "#pong") waiting?.();
    });
    while (running) {
      const t0 = performance.now();
      const answered = new Promise<boolean>((r) => {
        waiting = () => r(true);
        setTimeout(() => r(false), 10_000);
      });
      ws.send("#ping");
      if (!(await answered)) problems.push(`monitor: no #pong within 10 s after ${pings} pings`);
      else {
        pings++;
        slowest = Math.max(slowest, performance.now() - t0);
      }
      await sleep(200);
    }
    ws.close(1000);
  })();
  return {
    async stop() {
      running = false;
      await done.catch((e) => problems.push(`monitor: ${e}`));
      return { pings, slowest: Math.round(slowest), problems };
    },
  };
}

export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const source = new FrameSource(o.seed, o.maxSignIns ?? 80);
  const r = rng(o.seed ^ 0x5eed);
  const report: FuzzReport = {
    frames: 0,
    sockets: 0,
    verdicts: { handled: 0, "1003": 0, "1009": 0 },
    signIns: 0,
    pings: 0,
    slowestPingMs: 0,
    mismatches: [],
    ms: 0,
  };
  // The plan is made up front, so a run depends only on its seed.
  const plans: { frames: (Buffer | string)[]; end: Prediction }[] = [];
  let planned = 0;
  while (planned < o.frames) {
    const body = Math.min(Math.floor(r() * 80), o.frames - planned - 1);
    const frames: (Buffer | string)[] = [];
    for (let i = 0; i < body; i++) frames.push(source.next("handled").data);
    const end = source.next("end");
    frames.push(end.data);
    plans.push({ frames, end: end.p });
    planned += frames.length;
    report.verdicts.handled += body;
    report.verdicts[String(end.p.verdict) as "1003" | "1009"]++;
  }
  const watch = monitor(o.base);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const plan = plans[i];
      if (plan === undefined) return;
      let out: Outcome;
      try {
        out = await runSocket(o.base, o.ip, plan.frames);
      } catch (e) {
        report.mismatches.push(`socket ${i}: ${(e as Error).message}`);
        continue;
      }
      report.sockets++;
      report.frames += plan.frames.length;
      const { verdict, reason } = plan.end;
      const reasonOk = verdict === 1009 ? out.reason.startsWith("message above") : out.reason === reason;
      if (out.code !== verdict || !reasonOk) {
        report.mismatches.push(
          `socket ${i} (${plan.frames.length} frames): predicted ${verdict} ${reason ?? ""}, got ${out.code} ${out.reason}; last frame ${describe(plan.frames.at(-1))}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: o.parallel ?? 16 }, worker));
  const m = await watch.stop();
  report.pings = m.pings;
  report.slowestPingMs = m.slowest;
  report.mismatches.push(...m.problems);
  report.signIns = source.signIns;
  report.ms = Math.round(performance.now() - t0);
  return report;
}

function describe(f: Buffer | string | undefined): string {
  if (f === undefined) return "-";
  if (typeof f === "string") return `text(${f.length} chars)`;
  return f.length > 64 ? `binary(${f.length} bytes)` : `0x${f.toString("hex")}`;
}

// ---------------------------------------------------------------- the seed scenario

/** One client of the scenario: every text it receives, in order. */
class ScenarioClient {
  readonly texts: string[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on("message", (d, isBinary) => {
      if (!isBinary) this.texts.push(d.toString());
    });
    ws.on("error", () => {});
  }
  async waitCount(n: number, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (this.texts.length < n) {
      if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(this.texts)}`);
      await sleep(10);
    }
  }
}

/**
 * The seed's scenario (README.md#a-session-with-the-seed-application),
 * from `ip`; resolves to what went differently (nothing when exact).
 */
export async function seedScenario(base: string, ip: string): Promise<string[]> {
  const open = async (signIn?: [string, string]) => {
    const ws = await new Promise<WebSocket>((resolve, reject) => {
      const q = signIn ? `?signin=${b64url(signInFrame(...signIn))}` : "";
      const w = new WebSocket(`${base}/${q}`, { headers: { "CF-Connecting-IP": ip } });
      w.once("open", () => resolve(w));
      w.once("error", reject);
      w.once("unexpected-response", (_q, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    });
    return new ScenarioClient(ws);
  };
  const watcher = await open();
  const tab1 = await open(["D", "13"]);
  await tab1.waitCount(2, "tab 1 signs in");
  const tab2 = await open(["D", "13"]);
  await tab2.waitCount(1, "tab 2 is refused by the cap");
  const d12 = await open(["D", "12"]);
  await d12.waitCount(1, "D/12 is refused");
  const d6 = await open(["D", "6"]);
  await d6.waitCount(2, "D/6 signs in");
  tab1.ws.send(signOutFrame());
  await sleep(200);
  tab2.ws.send(signInFrame("D", "13"));
  const expected: [string, ScenarioClient, string[]][] = [
    ["watcher", watcher, ["USER.OK | 13 | 1", "USER.OK | 6 | 2", "USER.OK | 13 | 2"]],
    ["tab 1", tab1, ["USER.OK | 13 | 1", "USER.OK | 13 | 1", "USER.OK | 6 | 2", "USER.OK | 13 | 2"]],
    ["tab 2", tab2, ["USER.MAX.CONN | 1 | 1", "USER.OK | 6 | 2", "USER.OK | 13 | 2", "USER.OK | 13 | 2"]],
    ["D/12", d12, ["USER.BAD | D | 12", "USER.OK | 6 | 2", "USER.OK | 13 | 2"]],
    ["D/6", d6, ["USER.OK | 6 | 2", "USER.OK | 6 | 2", "USER.OK | 13 | 2"]],
  ];
  await Promise.all(expected.map(([name, c, want]) => c.waitCount(want.length, `${name} hears user 13`)));
  await sleep(200); // nothing more may arrive
  const diffs = expected
    .filter(([, c, want]) => JSON.stringify(c.texts) !== JSON.stringify(want))
    .map(([name, c, want]) => `${name}: got ${JSON.stringify(c.texts)}, expected ${JSON.stringify(want)}`);
  for (const [, c] of expected) c.ws.close(1000);
  await sleep(300);
  return diffs;
}
