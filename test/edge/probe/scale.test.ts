// Registry shards under the global object (docs/scale.md#registry-shards), watched through
// the probe application (any user name is its own uid).
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PUSH_BURST } from "../../../src/edge/registry/push-budget.js";
import { shardOf } from "../../../src/edge/registry/shards.js";
import type { GlobalRpc, ShardRpc } from "../../../src/edge/rpc/contracts.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import { GLOBAL_NAME, shardName } from "../../../src/edge/rpc/names.js";
import type { TestClient } from "../helpers.js";
import { probeApp } from "./app.js";
import { ask, closeProbeClients, connect, frame, signedIn } from "./helpers.js";

const bindings = env as unknown as Env;
const globalObject = () => bindings.REGISTRY.get(bindings.REGISTRY.idFromName(GLOBAL_NAME));
const global = () => globalObject() as unknown as GlobalRpc;
const shardObject = (n: number) => bindings.REGISTRY.get(bindings.REGISTRY.idFromName(shardName(n)));
const shard = (n: number) => shardObject(n) as unknown as ShardRpc;
const userObject = (uid: string) => bindings.USERS.get(bindings.USERS.idFromName(uid));
const R = probeApp.registryShards;

/** `count` user names whose shard is `n` (and that no other test uses). */
function usersOfShard(n: number, count: number, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) if (shardOf(`${prefix}${i}`, R) === n) out.push(`${prefix}${i}`);
  return out;
}

/** Waits until the global object counts `size`; resolves to how long that took. */
async function globalSizeReaches(size: number, ms = 5_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    const got = await global().size();
    if (got === size) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`global size stayed ${got}, expected ${size}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const pushes = async () => (await global().metrics()).counters.size_pushes ?? 0;

// Every close in the probe app broadcasts "ended <uid>": closing many sockets takes a while.
afterEach(() => {
  vi.restoreAllMocks();
  return closeProbeClients();
}, 30_000);

describe("registry shards", () => {
  it("counts two uids of different shards in one size", async () => {
    expect(shardOf("alice", R)).not.toBe(shardOf("bob", R));
    const a = await signedIn("alice");
    const b = await signedIn("bob");
    expect(a.texts[0]).toBe('reply {"kind":"ok","uid":"alice","size":1}');
    expect(b.texts[0]).toBe('reply {"kind":"ok","uid":"bob","size":2}');
    expect(await ask(a, "probe.size", null, "size")).toBe("size 2");
    expect(await global().size()).toBe(2);
    expect((await shard(shardOf("alice", R)).shardStats(shardOf("alice", R))).users).toBe(1);
    expect((await shard(shardOf("bob", R)).shardStats(shardOf("bob", R))).users).toBe(1);
  });

  it("has size exact once quiet, across many shards, after concurrent sign-ins", async () => {
    const users = Array.from({ length: 24 }, (_, i) => `many${i}`);
    expect(new Set(users.map((u) => shardOf(u, R))).size).toBeGreaterThan(10);
    await Promise.all(users.map((u) => signedIn(u)));
    await globalSizeReaches(24);
    const late = await signedIn("latecomer");
    expect(late.texts[0]).toBe('reply {"kind":"ok","uid":"latecomer","size":25}');
    expect(await ask(late, "probe.size", null, "size")).toBe("size 25");
  });

  it("holds back pushes under a burst: at most the burst plus one per sizeFlushMs, and size catches up within sizeFlushMs", async () => {
    // The calls user objects make, made directly: K first sockets of K uids of one shard, at once.
    const n = 7;
    const users = usersOfShard(n, 3 * PUSH_BURST, "burst");
    const on = { session: true, online: true, bound: 1, sockets: 1 };
    const off = { session: false, online: false, bound: 0, sockets: 0 };
    const before = await pushes();
    const start = Date.now();
    const sizes = await Promise.all(users.map((u) => shard(n).setUser(n, u, on)));
    const elapsed = Date.now() - start;
    // Every answer is a real count at some moment: never above the truth.
    for (const size of sizes) expect(size).toBeGreaterThanOrEqual(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(users.length);
    const caughtUp = await globalSizeReaches(users.length);
    // Held back at most sizeFlushMs after the last change, plus one call (generous for a loaded CI machine).
    expect(caughtUp).toBeLessThan(probeApp.sizeFlushMs + 1_000);
    const made = (await pushes()) - before;
    expect(made).toBeLessThanOrEqual(PUSH_BURST + Math.ceil((elapsed + caughtUp) / probeApp.sizeFlushMs) + 1);
    expect(made).toBeLessThan(users.length);
    await Promise.all(users.map((u) => shard(n).setUser(n, u, off)));
    await globalSizeReaches(0);
  });

  it("repairs a failed push to the global object through the shard's alarm", async () => {
    const n = shardOf("carol", R);
    // The shard's next push fails once, as a call lost in a restart would; the shard says so.
    // It fails on the shard's side of the call: a call that rejects inside an object also
    // reports an unhandled rejection in the test runtime (@cloudflare/vitest-plugin's wrapper
    // of object methods), though the caller handles it.
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    await runInDurableObject(shardObject(n), (instance: unknown) => {
      const role = (instance as { asShard(n: number): { global: GlobalRpc } }).asShard(n);
      const real = role.global;
      role.global = {
        push: async () => {
          role.global = real;
          throw new Error("network connection lost");
        },
      } as Partial<GlobalRpc> as GlobalRpc;
    });
    const c = await signedIn("carol");
    expect(c.texts[0]).toBe('reply {"kind":"ok","uid":"carol","size":1}'); // the shard's own count
    expect(await global().size()).toBe(0); // the global object did not hear
    expect(logged).toHaveBeenCalledWith(
      "sockizy-edge: size push failed:",
      expect.objectContaining({ message: "network connection lost" }),
    );
    expect(await runDurableObjectAlarm(shardObject(n))).toBe(true);
    expect(await global().size()).toBe(1);
  });

  it("keeps its counts through an eviction of shards and the global object", async () => {
    await signedIn("alice");
    await signedIn("bob");
    for (const stub of [globalObject(), shardObject(shardOf("alice", R)), shardObject(shardOf("bob", R))]) {
      await evictDurableObject(stub);
    }
    expect(await global().size()).toBe(2);
    const carol = await signedIn("carol");
    expect(carol.texts[0]).toBe('reply {"kind":"ok","uid":"carol","size":3}');
  });

  it("re-homes every user within one audit when registryShards changes", async () => {
    const users = ["alice", "bob", "carol", "dave", "erin", "frank"];
    for (const u of users) await signedIn(u);
    const app = probeApp as { registryShards: number };
    const old = app.registryShards;
    app.registryShards = 5; // as a deploy with a new setting would
    try {
      for (const u of users) expect(await runDurableObjectAlarm(userObject(u))).toBe(true);
      for (let n = 0; n < 5; n++) {
        const mine = users.filter((u) => shardOf(u, 5) === n).length;
        expect((await shard(n).shardStats(n)).users).toBe(mine);
      }
      for (const u of users) {
        if (shardOf(u, old) >= 5) expect((await shard(shardOf(u, old)).shardStats(shardOf(u, old))).users).toBe(0);
      }
      await globalSizeReaches(users.length);
    } finally {
      app.registryShards = old;
      for (const u of users) await runDurableObjectAlarm(userObject(u));
    }
  });
});

describe("broadcasts as a tree", () => {
  const newsOf = (c: TestClient) => c.received.filter((m) => typeof m !== "string").length;
  const jsonOf = (c: TestClient) => c.texts.filter((t) => t === '{"broadcast":"hello"}').length;

  it("reach every socket once, across shards and lobbies", async () => {
    const signed = await Promise.all(["alice", "bob", "carol", "dave", "erin"].map((u) => signedIn(u)));
    const second = await signedIn("alice");
    const anonymous = await Promise.all(Array.from({ length: 6 }, () => connect()));
    const everyone = [...signed, second, ...anonymous];
    signed[0]?.send(frame("probe.broadcast", { text: "hello" }));
    for (const c of everyone) await c.until((x) => jsonOf(x) === 1 && newsOf(x) === 1);
    await new Promise((r) => setTimeout(r, 100));
    for (const c of everyone) {
      expect(jsonOf(c)).toBe(1);
      expect(newsOf(c)).toBe(1);
    }
  });

  it("are not held up by a slow object beyond the timeout, which is counted failed", async () => {
    const before = (await global().metrics()).counters.broadcast_failures ?? 0;
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const slow = await signedIn("slowpoke");
    const others = await Promise.all(["alice", "bob", "carol"].map((u) => signedIn(u)));
    const start = Date.now();
    expect(await ask(others[0] as TestClient, "probe.emitAll", { msg: "all" }, "emitted all")).toBe("emitted all");
    // slowpoke's object takes 3 s; the broadcast waits broadcastTimeoutMs (500 ms) for it.
    expect(Date.now() - start).toBeLessThan(2_500);
    for (const c of others) expect(c.texts).toContain("session all");
    expect(slow.texts).not.toContain("session all");
    expect(((await global().metrics()).counters.broadcast_failures ?? 0) - before).toBe(1);
    // The fan-out says which call it gave up on.
    expect(logged).toHaveBeenCalledWith("sockizy-edge: fan-out call failed:", "no answer within 500 ms");
    await slow.waitText("session all", 5_000); // it still gets there, late
  });
});
