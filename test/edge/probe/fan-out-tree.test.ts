// A fan-out bounded per invocation (docs/scale.md#fan-out-bounded-per-invocation), watched
// through the probe application, whose fanOutBatch is 4: more online shards than that at the
// global object, and more online users than that in one shard, go through slice objects.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { defineApp } from "../../../src/edge/index.js";
import { shardOf } from "../../../src/edge/registry/shards.js";
import { slicesOf } from "../../../src/edge/registry/slices.js";
import type { GlobalRpc } from "../../../src/edge/rpc/contracts.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import { GLOBAL_NAME } from "../../../src/edge/rpc/names.js";
import type { TestClient } from "../helpers.js";
import { probeApp } from "./app.js";
import { closeProbeClients, connect, signedIn } from "./helpers.js";

const bindings = env as unknown as Env;
const global = () => bindings.REGISTRY.get(bindings.REGISTRY.idFromName(GLOBAL_NAME)) as unknown as GlobalRpc;
const B = probeApp.fanOutBatch;
const R = probeApp.registryShards;

/** `count` user names of shard `n`, and `spread` more, each of another shard. */
function crowd(n: number, count: number, spread: number, prefix: string): string[] {
  const mine: string[] = [];
  const others = new Map<number, string>();
  for (let i = 0; mine.length < count || others.size < spread; i++) {
    const u = `${prefix}${i}`;
    const s = shardOf(u, R);
    if (s === n && mine.length < count) mine.push(u);
    else if (s !== n && others.size < spread && !others.has(s)) others.set(s, u);
  }
  return [...mine, ...others.values()];
}

const times = (c: TestClient, text: string) => c.texts.filter((t) => t === text).length;

afterEach(closeProbeClients, 30_000);

describe("slicesOf", () => {
  it("cuts more than `batch` items into at most `batch` smaller slices, each item in exactly one", () => {
    for (const batch of [2, 3, 4, 50, 1000]) {
      const sizes = [batch + 1, 2 * batch, batch * batch, batch * batch + 1, 7 * batch * batch + 3];
      for (const n of sizes.filter((x) => x <= 100_000)) {
        const items = Array.from({ length: n }, (_, i) => i);
        const slices = slicesOf(items, batch);
        expect(slices.length).toBeLessThanOrEqual(batch);
        for (const s of slices) expect(s.length).toBeLessThan(n);
        expect(slices.flat()).toEqual(items);
        // Up to batch² items, one tier of slice objects calls them all.
        if (n <= batch * batch) for (const s of slices) expect(s.length).toBeLessThanOrEqual(batch);
      }
    }
  });

  it("fanOutBatch is a whole number of at least 2", () => {
    const app = (fanOutBatch: number) =>
      defineApp({
        packets: { unpack: { "common.signIn": ["login:str"] } },
        signIn: { authenticate: () => null, reply() {} },
        fanOutBatch,
      });
    expect(app(2).fanOutBatch).toBe(2);
    for (const bad of [1, 0, 2.5, Number.NaN])
      expect(() => app(bad)).toThrow(/fanOutBatch must be a whole number of at least 2/);
  });
});

describe("a fan-out over more objects than fanOutBatch", () => {
  it("reaches every socket exactly once, and no invocation makes more than fanOutBatch calls", async () => {
    // 3 x B users in one shard (its part goes through slices), and 3 x B other shards (so does the root's).
    const users = crowd(shardOf("crowd-anchor", R), 3 * B, 3 * B, "crowd");
    const signed = await Promise.all(users.map((u) => signedIn(u)));
    const anonymous = await Promise.all(Array.from({ length: 3 }, () => connect()));
    const everyone = [...signed, ...anonymous];
    const r = await global().broadcast("tree hello");
    // Every user object and every lobby with a socket answered; nothing failed.
    expect(r.failed).toBe(0);
    // Every user object, and each lobby holding an anonymous socket (they pick lobbies at random).
    expect(r.ok).toBeGreaterThanOrEqual(users.length + 1);
    expect(r.ok).toBeLessThanOrEqual(users.length + probeApp.lobbyShards);
    expect(r.batchMax).toBeLessThanOrEqual(B);
    expect(r.slices).toBeGreaterThan(0);
    // global -> slice -> shard -> slice -> user objects, at least.
    expect(r.tiers).toBeGreaterThanOrEqual(4);
    for (const c of everyone) await c.until((x) => times(x, "tree hello") >= 1);
    await new Promise((res) => setTimeout(res, 200));
    for (const c of everyone) expect(times(c, "tree hello")).toBe(1);
    // The same, as /admin/metrics reads it (the scrape is a fan-out too, bounded the same way).
    const counters = (await global().metrics()).counters;
    expect(counters["max:fanout_batch"]).toBeLessThanOrEqual(B);
    expect(counters["max:fanout_tiers"]).toBeGreaterThanOrEqual(4);
    expect(counters.fanout_slice_invocations).toBeGreaterThan(0);
  });

  it("keeps the order of two broadcasts, the first awaited, at every socket", async () => {
    const users = crowd(shardOf("order-anchor", R), 2 * B + 1, 2 * B, "order");
    const signed = await Promise.all(users.map((u) => signedIn(u)));
    const everyone = [...signed, await connect()];
    for (let k = 0; k < 5; k++) {
      await global().broadcast(`first ${k}`);
      await global().broadcast(`second ${k}`);
    }
    for (const c of everyone) await c.until((x) => times(x, "second 4") === 1);
    for (const c of everyone) {
      const seen = c.texts.filter((t) => t.startsWith("first ") || t.startsWith("second "));
      expect(seen).toEqual([0, 1, 2, 3, 4].flatMap((k) => [`first ${k}`, `second ${k}`]));
    }
    // A gauge of the most, not a sum: still at most B after ten more broadcasts and the pushes
    // (writes, which store the counters) of this test's sign-ins and the last test's closes.
    expect((await global().metrics()).counters["max:fanout_batch"]).toBeLessThanOrEqual(B);
  });
});
