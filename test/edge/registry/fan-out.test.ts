// fanOut: the bounded, timed calls of every level of the broadcast tree
// (src/edge/registry/fan-out.ts), run inside workerd, whose timers it relies on.
import { describe, expect, it, vi } from "vitest";
import { fanOut } from "../../../src/edge/registry/fan-out.js";

const never = () => new Promise<void>(() => {});
const answerAfter = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("fanOut", () => {
  it("calls every item once and counts each answer", async () => {
    const seen: number[] = [];
    const r = await fanOut([1, 2, 3, 4, 5], async (n) => void seen.push(n), { timeoutMs: 1000 });
    expect(r).toEqual({ ok: 5, failed: 0 });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it("keeps at most `concurrency` calls in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const r = await fanOut(
      Array.from({ length: 20 }, (_, i) => i),
      async () => {
        most = Math.max(most, ++inFlight);
        await answerAfter(5);
        inFlight--;
      },
      { timeoutMs: 1000, concurrency: 3 },
    );
    expect(r).toEqual({ ok: 20, failed: 0 });
    expect(most).toBe(3);
  });

  it("counts a call that throws as failed and goes on", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const r = await fanOut(
      [1, 2, 3],
      async (n) => {
        if (n === 2) throw new Error("object gone");
      },
      { timeoutMs: 1000 },
    );
    expect(r).toEqual({ ok: 2, failed: 1 });
  });

  it("times out each silent call on its own, so the others are not held up", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    // Two lanes; items 0 and 3 never answer. Lane timing: each silent call costs one timeout,
    // never more, and answering calls keep flowing in the other lane meanwhile.
    const answered: number[] = [];
    const start = Date.now();
    const r = await fanOut(
      [0, 1, 2, 3, 4, 5],
      async (n) => {
        if (n === 0 || n === 3) return never();
        await answerAfter(1);
        answered.push(n);
      },
      { timeoutMs: 500, concurrency: 2 },
    );
    const took = Date.now() - start;
    expect(r).toEqual({ ok: 4, failed: 2 });
    expect(answered.sort()).toEqual([1, 2, 4, 5]);
    // Lane A: 0 times out at ~500 ms; lane B answers 1, 2, then 3 hangs from ~2 ms until ~502 ms.
    // Two timeouts one after the other would take 1,000 ms; the margin is for a loaded machine.
    expect(took).toBeGreaterThanOrEqual(490);
    expect(took).toBeLessThan(900);
  });

  it("times out calls that start late by their own start, not the first call's", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    // One lane: 0 answers after 100 ms, then 1 hangs. 1's deadline is 100 + 150 ms, so it must
    // not be cut at 150 ms (the first call's deadline), and must be cut by ~250 ms.
    const start = Date.now();
    let failedAt = 0;
    const r = await fanOut(
      [0, 1],
      async (n) => {
        if (n === 0) return answerAfter(100);
        await never();
      },
      { timeoutMs: 150, concurrency: 1 },
    ).finally(() => (failedAt = Date.now() - start));
    expect(r).toEqual({ ok: 1, failed: 1 });
    expect(failedAt).toBeGreaterThanOrEqual(240);
    expect(failedAt).toBeLessThan(400);
  });

  it("counts a call that answers before its deadline as ok", async () => {
    const r = await fanOut([1, 2], () => answerAfter(60), { timeoutMs: 150, concurrency: 1 });
    expect(r).toEqual({ ok: 2, failed: 0 });
  });

  it("does nothing for no items", async () => {
    expect(await fanOut([], never, { timeoutMs: 10 })).toEqual({ ok: 0, failed: 0 });
  });
});
