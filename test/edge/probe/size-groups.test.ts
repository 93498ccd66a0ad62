// Size groups (docs/scale.md#the-size-tree): past SIZE_FAN_IN (64) registry shards, the shards push
// to size groups and the groups to the global object, which then hears from a handful of objects
// at any number of shards. Driven as a deploy with a new `registryShards` would be (the probe
// app's setting changed in place), with sockets of the probe application.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { shardOf } from "../../../src/edge/registry/shards.js";
import { SIZE_FAN_IN } from "../../../src/edge/registry/size-tree.js";
import type { GlobalRpc } from "../../../src/edge/rpc/contracts.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import { GLOBAL_NAME } from "../../../src/edge/rpc/names.js";
import type { TestClient } from "../helpers.js";
import { probeApp } from "./app.js";
import { ask, closeProbeClients, frame, signedIn } from "./helpers.js";

const bindings = env as unknown as Env;
const globalObject = () => bindings.REGISTRY.get(bindings.REGISTRY.idFromName(GLOBAL_NAME));
const global = () => globalObject() as unknown as GlobalRpc;
const userObject = (uid: string) => bindings.USERS.get(bindings.USERS.idFromName(uid));
const app = probeApp as { registryShards: number };
const FLAT = probeApp.registryShards;
/** Two full groups of 64 shards and one of 2: the global object hears from 3 groups. */
const TIERED = 2 * SIZE_FAN_IN + 2;

/** The objects the global object hears from (its rows), as "level:index": 0 a shard, 1 a size group. */
function globalChildren(): Promise<string[]> {
  return runInDurableObject(globalObject(), (_instance: unknown, state: DurableObjectState) =>
    state.storage.sql
      .exec<{ level: number; child: number }>("SELECT level, child FROM children")
      .toArray()
      .map((r) => `${r.level}:${r.child}`)
      .sort(),
  );
}

/** A user name whose shard, with `shards` shards, is in size group `group` (shards group * 64 ..). */
function userInGroup(group: number, prefix: string, shards = TIERED): string {
  for (let i = 0; ; i++)
    if (Math.floor(shardOf(`${prefix}${i}`, shards) / SIZE_FAN_IN) === group) return `${prefix}${i}`;
}

async function sizeReaches(size: number, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let got = await global().size(); got !== size; got = await global().size()) {
    if (Date.now() > deadline) throw new Error(`global size stayed ${got}, expected ${size}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Sets registryShards as a deploy would: each user's audit re-homes it, and the global object
 * wakes anew, which tells the children it should no longer hear from to push where they now
 * belong; resolves once it hears only from the level below it.
 */
async function deploy(shards: number, users: string[]): Promise<void> {
  app.registryShards = shards;
  for (const u of users) await runDurableObjectAlarm(userObject(u));
  await global().size(); // running, so that it can be evicted
  await evictDurableObject(globalObject());
  await global().size(); // its wake
  const level = shards > SIZE_FAN_IN ? "1:" : "0:";
  const deadline = Date.now() + 5_000;
  while (!(await globalChildren()).every((c) => c.startsWith(level))) {
    if (Date.now() > deadline) throw new Error(`the global object still hears from ${await globalChildren()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(async () => {
  if (app.registryShards !== FLAT) await deploy(FLAT, []);
  await closeProbeClients();
}, 30_000);

describe("size groups", () => {
  it("answer sign-ins across groups with the exact size, and the global object hears only from groups", async () => {
    // As a deploy: shards that earlier files of the run used stop pushing to the global object.
    await deploy(TIERED, []);
    const [a, b, c] = [0, 1, 2].map((g) => userInGroup(g, "tier"));
    const replies = [];
    for (const u of [a, b, c]) replies.push((await signedIn(u as string)).texts[0]);
    expect(replies).toEqual([1, 2, 3].map((n, i) => `reply {"kind":"ok","uid":"${[a, b, c][i]}","size":${n}}`));
    expect(await global().size()).toBe(3);
    expect(await globalChildren()).toEqual(["1:0", "1:1", "1:2"]);
    // A scrape reaches the groups and, through them, the shards.
    const { groups, shards } = await global().metrics();
    expect(groups.map((g) => [g.group, g.users])).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    // (Shards that earlier files of the run used answer too, with no users.)
    const holding = shards.filter((s) => s.users > 0).map((s) => s.shard);
    expect(holding.sort()).toEqual([a, b, c].map((u) => shardOf(u as string, TIERED)).sort());
  });

  it("carry a broadcast and a session emit to every socket below them, once", async () => {
    app.registryShards = TIERED;
    const users = [0, 0, 1, 2].map((g, i) => userInGroup(g, `cast${i}-`));
    const clients = await Promise.all(users.map((u) => signedIn(u)));
    const sender = clients[0] as TestClient;
    sender.send(frame("probe.broadcast", { text: "hello" }));
    const hello = (c: TestClient) => c.texts.filter((t) => t === '{"broadcast":"hello"}').length;
    for (const c of clients) await c.until((x) => hello(x) === 1);
    expect(await ask(sender, "probe.emitAll", { msg: "all" }, "emitted all")).toBe("emitted all");
    for (const c of clients) await c.waitText("session all");
    await new Promise((r) => setTimeout(r, 100));
    for (const c of clients) {
      expect(hello(c)).toBe(1);
      expect(c.texts.filter((t) => t === "session all")).toHaveLength(1);
    }
  });

  it("come and go with registryShards, every user counted once throughout", async () => {
    const users = Array.from({ length: 8 }, (_, i) => `moving${i}`);
    for (const u of users) await signedIn(u);
    await sizeReaches(users.length);
    expect((await globalChildren()).every((c) => c.startsWith("0:"))).toBe(true);

    // The global object forgets every shard (they push to their groups now), and counts each user once.
    await deploy(TIERED, users);
    await sizeReaches(users.length);
    expect((await global().metrics()).groups.reduce((n, g) => n + g.users, 0)).toBe(users.length);
    const late = await signedIn("latecomer");
    expect(late.texts[0]).toBe(`reply {"kind":"ok","uid":"latecomer","size":${users.length + 1}}`);

    // Back: the groups are gone, the shards push to the global object again.
    await deploy(FLAT, [...users, "latecomer"]);
    await sizeReaches(users.length + 1);
    expect((await global().metrics()).groups).toEqual([]);
  });
});
