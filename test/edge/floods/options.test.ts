// `defineApp({ floods })` (docs/floods.md#options): the defaults, overrides field by
// field, `false` at each level, and a clear error at defineApp for a bad
// value; and the buckets themselves on a clock the test moves.
import { describe, expect, it } from "vitest";
import { type App, defineApp, FLOOD_DEFAULTS } from "../../../src/edge/app/define-app.js";
import { lobbiesFor } from "../../../src/edge/floods/anonymous.js";
import { TokenBucket } from "../../../src/edge/floods/bucket.js";
import { FLOOD_REASON, FrameFloods } from "../../../src/edge/floods/frames.js";
import { type Floods, resolveFloods } from "../../../src/edge/floods/options.js";

const base = {
  packets: { unpack: { "common.signIn": ["login:str24"] } },
  signIn: { packet: "common.signIn", authenticate: () => null, reply() {} },
} as const;

/** The app with options a type would refuse (bad values are the point), as the library sees it. */
const app = (extra: Record<string, unknown>): App => defineApp({ ...base, ...extra } as typeof base) as unknown as App;

describe("the floods option", () => {
  it("fills in the defaults, takes fields one by one, and turns each part or all of it off", () => {
    expect(defineApp(base).floods).toEqual(FLOOD_DEFAULTS);
    const some = app({ floods: { perSocket: { framesPerSecond: 30 }, perUser: false, anonymousPerIp: 500 } }).floods;
    expect(some).toEqual({
      perSocket: { ...FLOOD_DEFAULTS.perSocket, framesPerSecond: 30 },
      perUser: null,
      anonymousPerIp: 500,
    });
    expect(app({ floods: false }).floods).toEqual({ perSocket: null, perUser: null, anonymousPerIp: null });
    expect(app({ floods: { anonymousPerIp: false } }).floods.anonymousPerIp).toBeNull();
  });

  it("raises the default byte burst to maxPayload when that is larger", () => {
    const big = app({ maxPayload: 4 * 1024 * 1024 }).floods;
    expect(big.perSocket?.byteBurst).toBe(4 * 1024 * 1024);
    expect(big.perUser?.byteBurst).toBe(4 * 1024 * 1024);
  });

  it("refuses bad values at defineApp, naming the option", () => {
    const bad: [unknown, RegExp][] = [
      [{ perSocket: { framesPerSecond: 0 } }, /floods\.perSocket\.framesPerSecond must be a number above 0/],
      [{ perUser: { bytesPerSecond: Number.NaN } }, /floods\.perUser\.bytesPerSecond must be a number above 0/],
      [{ perSocket: { frameBurst: 2.5 } }, /floods\.perSocket\.frameBurst must be a whole number of at least 1/],
      [
        { perSocket: { byteBurst: 1000 } },
        /floods\.perSocket\.byteBurst must be a whole number of at least maxPayload \(32768\)/,
      ],
      [{ anonymousPerIp: 0 }, /floods\.anonymousPerIp must be a whole number of at least 1, or false/],
      [{ anonymousPerIp: "100" }, /floods\.anonymousPerIp must be a whole number/],
      [{ perSokcet: {} }, /floods: unknown option "perSokcet"/],
      [{ perSocket: { frames: 10 } }, /floods\.perSocket: unknown option "frames"/],
      [{ perSocket: 100 }, /floods\.perSocket: an object/],
      ["on", /floods: an object/],
    ];
    for (const [floods, message] of bad) expect(() => app({ floods })).toThrow(message);
  });
});

describe("the buckets", () => {
  const limit = { framesPerSecond: 10, frameBurst: 5, bytesPerSecond: 1000, byteBurst: 2000 };
  const floods: Floods = resolveFloods(
    { perSocket: limit, perUser: { ...limit, frameBurst: 8 }, anonymousPerIp: false },
    1000,
  );

  it("let the burst through at once, then the rate, in frames and in bytes", () => {
    const b = new TokenBucket(limit, 0);
    for (let i = 0; i < 5; i++) expect(b.take(1, 0)).toBe(true);
    expect(b.take(1, 0)).toBe(false);
    expect(b.take(1, 99)).toBe(false);
    expect(b.take(1, 100)).toBe(true); // 10 frames a second: one more after 100 ms
    const bytes = new TokenBucket(limit, 0);
    expect(bytes.take(1500, 0)).toBe(true);
    expect(bytes.take(600, 0)).toBe(false); // 500 bytes left
    expect(bytes.take(600, 100)).toBe(true); // 100 more after 100 ms
  });

  /** A host that records closes and counted metrics. */
  function host() {
    const closes: [WebSocket, number, string][] = [];
    const counted: string[] = [];
    return {
      closes,
      counted,
      close: (ws: WebSocket, code: number, reason: string) => void closes.push([ws, code, reason]),
      count: (name: string) => void counted.push(name),
    };
  }
  const socket = () => ({}) as WebSocket;

  it("close a socket over its own bucket once with 1008, and drop its later frames", () => {
    const h = host();
    const f = new FrameFloods(floods, h);
    const ws = socket();
    for (let i = 0; i < 5; i++) expect(f.pass(ws, 1, false, 0)).toBe(true);
    expect(f.pass(ws, 1, false, 0)).toBe(false);
    expect(f.pass(ws, 1, false, 10_000)).toBe(false); // refilled, but closed: still dropped
    expect(h.closes).toEqual([[ws, 1008, FLOOD_REASON.socket]]);
    expect(h.counted).toEqual(["flood_closes:socket"]);
  });

  it("share one bucket among a user's bound sockets: two each under their own limit go over the user's", () => {
    const h = host();
    const f = new FrameFloods(floods, h);
    const [a, b] = [socket(), socket()];
    for (let i = 0; i < 4; i++) expect(f.pass(a, 1, true, 0)).toBe(true);
    for (let i = 0; i < 4; i++) expect(f.pass(b, 1, true, 0)).toBe(true);
    // Each socket has 1 frame left of its 5; the user none of its 8.
    expect(f.pass(b, 1, true, 0)).toBe(false);
    expect(h.closes).toEqual([[b, 1008, FLOOD_REASON.user]]);
    // An unbound socket in the same object is not the user's.
    expect(f.pass(socket(), 1, false, 0)).toBe(true);
  });

  it("count a relayed frame in the user's bucket, and close a socket its user object found over", () => {
    const h = host();
    const f = new FrameFloods(floods, h);
    for (let i = 0; i < 8; i++) expect(f.passUser(1, 0)).toBe(true);
    expect(f.passUser(1, 0)).toBe(false);
    const ws = socket();
    f.flooded(ws, "user");
    f.flooded(ws, "user");
    expect(h.closes).toEqual([[ws, 1008, FLOOD_REASON.user]]);
    expect(f.pass(ws, 1, false, 0)).toBe(false);
  });

  it("are not there with floods: false", () => {
    const h = host();
    const f = new FrameFloods(resolveFloods(false, 1000), h);
    const ws = socket();
    for (let i = 0; i < 10_000; i++) expect(f.pass(ws, 1000, true, 0)).toBe(true);
    expect(h.closes).toEqual([]);
  });
});

describe("the lobby of an anonymous socket", () => {
  it("is its address's with the cap on (always the same one), and one of several at random without it", () => {
    const capped = app({});
    const picks = new Set(Array.from({ length: 50 }, () => JSON.stringify(lobbiesFor(capped, "192.0.2.1", 3))));
    expect(picks.size).toBe(1);
    expect(JSON.parse([...picks][0] as string)).toHaveLength(1);
    const open = app({ floods: { anonymousPerIp: false } });
    const tries = Array.from({ length: 50 }, () => lobbiesFor(open, "192.0.2.1", 3));
    for (const t of tries) expect(t).toHaveLength(3);
    expect(new Set(tries.map((t) => t[0])).size).toBeGreaterThan(1);
  });
});
