// Reconnection backoff: exponential, full jitter, capped, and reset after a
// stable connection. The pure functions with injected randomness, then the
// delays the client really waits (fake timers, fake sockets).
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { backoffCeiling, backoffDelay, floodDelay } from "../../src/client/backoff.js";
import { io } from "../../src/client/index.js";
import { fakeSockets, Recorder } from "./helpers.js";

const opts = { base: 1000, cap: 30_000 };

describe("backoffDelay", () => {
  it("doubles its ceiling from base up to the cap, and stays there", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(n, opts))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    expect(backoffCeiling(5000, opts)).toBe(30_000); // 2 ** 5000 is Infinity: still the cap
  });

  it("stays within [0, ceiling) for any attempt and any random value", () => {
    fc.assert(
      fc.property(
        fc.nat(2000),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        (n, r, base, cap) => {
          const d = backoffDelay(n, { base, cap }, () => r);
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThan(Math.max(1, backoffCeiling(n, { base, cap })));
          expect(d).toBeLessThanOrEqual(cap);
        },
      ),
    );
  });

  it("is the random fraction of the ceiling (full jitter, not a fixed delay)", () => {
    expect(backoffDelay(0, opts, () => 0)).toBe(0);
    expect(backoffDelay(0, opts, () => 0.5)).toBe(500);
    expect(backoffDelay(3, opts, () => 0.25)).toBe(2000);
    expect(backoffDelay(9, opts, () => 0.999_999)).toBe(29_999);
  });

  it("spreads a thousand clients dropped at once over the whole first window", () => {
    // A seeded generator: the spread is checked, not luck.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const delays = Array.from({ length: 1000 }, () => backoffDelay(0, opts, random));
    const buckets = new Array(10).fill(0);
    for (const d of delays) buckets[Math.floor(d / 100)]++;
    // Every tenth of the second gets some of them, none gets a third.
    for (const b of buckets) {
      expect(b).toBeGreaterThan(50);
      expect(b).toBeLessThan(333);
    }
  });
});

describe("the client's reconnection schedule", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("waits random * min(cap, base * 2^n) before attempt n, resets after a stable period, and gives up after reconnectionAttempts", () => {
    const fake = fakeSockets();
    const client = io("ws://edge.test", {
      WebSocket: fake.WebSocket,
      random: () => 0.5,
      reconnectionDelay: 1,
      reconnectionDelayMax: 4,
      stableAfter: 10,
      reconnectionAttempts: 6,
      pingInterval: 0,
    });
    const rec = new Recorder(client);
    fake.last().accept();
    fake.last().drop(1006);

    // Attempts fail at once (refused): delays 500, 1000, 2000, then the cap's 2000.
    const waits: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const before = fake.sockets.length;
      let waited = 0;
      while (fake.sockets.length === before) {
        vi.advanceTimersByTime(50);
        waited += 50;
      }
      waits.push(waited);
      if (attempt < 3) fake.last().drop(1006);
    }
    expect(waits).toEqual([500, 1000, 2000, 2000]);
    expect(client.reconnecting).toBe(true);

    // The fourth attempt connects: restored after 4 attempts.
    fake.last().accept();
    expect(rec.log.filter((e) => e[0] === "restoring" || e[0] === "restored")).toEqual([
      ["restoring", 0],
      ["restoring", 1],
      ["restoring", 2],
      ["restoring", 3],
      ["restored", 4],
    ]);
    expect(client.reconnecting).toBe(false);

    // A drop before stableAfter continues the schedule (a flapping server is not hammered)...
    vi.advanceTimersByTime(9000);
    fake.last().drop(1006);
    vi.advanceTimersByTime(1999);
    const count = fake.sockets.length;
    vi.advanceTimersByTime(1);
    expect(fake.sockets.length).toBe(count + 1);

    // ...and one after it starts over at the base.
    fake.last().accept();
    vi.advanceTimersByTime(10_000);
    fake.last().drop(1006);
    vi.advanceTimersByTime(499);
    expect(fake.sockets.length).toBe(count + 1);
    vi.advanceTimersByTime(1);
    expect(fake.sockets.length).toBe(count + 2);

    // Six failures in a row: unrestored, and no more attempts.
    for (let i = 0; i < 6; i++) {
      fake.last().drop(1006);
      vi.advanceTimersByTime(4000);
    }
    expect(rec.log.at(-1)).toEqual(["unrestored", 6, "attempts"]);
    const final = fake.sockets.length;
    vi.advanceTimersByTime(60_000);
    expect(fake.sockets.length).toBe(final);
    expect(client.reconnecting).toBe(false);
  });

  it("after a flood close (1008) waits between half the cap and the cap, however stable the connection was", () => {
    const cap = 30;
    for (const r of [0, 0.5, 0.999_999]) {
      const fake = fakeSockets();
      const client = io("ws://edge.test", {
        WebSocket: fake.WebSocket,
        random: () => r,
        reconnectionDelay: 1,
        reconnectionDelayMax: cap,
        stableAfter: 10,
        pingInterval: 0,
      });
      fake.last().accept();
      // Open long enough to count as stable: an ordinary drop would come back within reconnectionDelay.
      vi.advanceTimersByTime(60_000);
      fake.last().drop(1008, "flood: over the frame limit of this socket", true);
      const wait = floodDelay(cap * 1000, () => r);
      expect(wait).toBeGreaterThanOrEqual((cap * 1000) / 2);
      expect(wait).toBeLessThan(cap * 1000);
      vi.advanceTimersByTime(wait - 1);
      expect(fake.sockets).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(fake.sockets).toHaveLength(2);
      client.disconnect();
    }
  });
});
