// Sign-in by relay (docs/sign-in.md#sign-in-by-relay): a client that offers no
// subprotocol (the original sockizy client) signs in with an ordinary frame
// from a lobby, or from another uid's object, and is bound to its uid's
// object through the object holding it: the cap counts it, session events
// and replies reach it, it gets each broadcast once, and it is unbound by a
// sign-out, a clear, a kick or a close, across evictions, with ghosts
// repaired by the audit on either side.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { shardOf } from "../../../src/edge/registry/shards.js";
import type { Env } from "../../../src/edge/rpc/env.js";
import {
  adminGet,
  adminPost,
  closeOpenClients,
  connect,
  runAudit,
  signInFrame,
  signOutFrame,
  type TestClient,
  userObject,
  waitSize,
} from "../helpers.js";

const bindings = env as unknown as Env;
const user = userObject;
const lobbies = () => [0, 1, 2, 3].map((n) => bindings.LOBBIES.get(bindings.LOBBIES.idFromName(`lobby-${n}`)));
const registry = (name: string) => bindings.REGISTRY.get(bindings.REGISTRY.idFromName(name));

afterEach(closeOpenClients);

/** An original sockizy client: no subprotocol offered, so it cannot follow the reconnect instruction. */
const plain = () => connect({ ctl: false });

/** `perLobby` client addresses for each of the 4 lobbies (an anonymous socket goes to its address's lobby). */
function spreadOverLobbies(perLobby: number): string[] {
  const ips: string[] = [];
  const taken = [0, 0, 0, 0];
  for (let i = 1; ips.length < 4 * perLobby; i++) {
    const ip = `198.18.9.${i}`;
    const lobby = shardOf(ip, 4);
    if ((taken[lobby] as number) < perLobby) {
      taken[lobby] = (taken[lobby] as number) + 1;
      ips.push(ip);
    }
  }
  return ips;
}

/** Evicts every object that may hold state, keeping sockets (hibernated). */
async function hibernateAll() {
  for (const stub of [user("13"), user("6"), registry("global"), ...lobbies()]) {
    await evictDurableObject(stub).catch(() => {}); // not running: nothing to evict
  }
}

const count = (uid: number) => adminGet(`/admin/count?uid=${uid}`);
const times = (c: TestClient, text: string) => c.texts.filter((t) => t === text).length;
/** Control frames (0xffff + JSON) a client got: none for a client that offered no subprotocol. */
const controls = (c: TestClient) =>
  c.received.filter((m): m is Uint8Array => typeof m !== "string" && m[0] === 0xff && m[1] === 0xff);

describe("an original sockizy client signing in from the lobby", () => {
  it("runs the seed scenario, with every object evicted between steps", async () => {
    const watcher = await plain();
    const a = await plain();
    a.send(signInFrame("D", "13"));
    await a.until((c) => times(c, "USER.OK | 13 | 1") === 2); // its reply and the broadcast
    await watcher.waitText("USER.OK | 13 | 1");
    expect(await count(13)).toEqual({ uid: "13", count: 1 });
    await hibernateAll();

    // The cap counts the relayed socket, for a relayed sign-in and a direct one alike.
    const b = await plain();
    b.send(signInFrame("D", "13"));
    await b.waitText("USER.MAX.CONN | 1 | 1");
    const direct = await connect({ signIn: ["D", "13"], ctl: false, viaQuery: true });
    await direct.waitText("USER.MAX.CONN | 1 | 1");
    await hibernateAll();

    const bad = await plain();
    bad.send(signInFrame("D", "12"));
    await bad.waitText("USER.BAD | D | 12");
    await hibernateAll();

    const c = await plain();
    c.send(signInFrame("D", "6"));
    await c.until((x) => times(x, "USER.OK | 6 | 2") === 2);
    for (const x of [watcher, a, b, direct, bad]) await x.waitText("USER.OK | 6 | 2");
    // Each broadcast reached each socket once: the relayed ones through their holder only.
    expect(a.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 13 | 1", "USER.OK | 6 | 2"]);
    expect(watcher.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 6 | 2"]);
    expect(b.texts).toEqual(["USER.MAX.CONN | 1 | 1", "USER.OK | 6 | 2"]);
    expect(await adminGet("/admin/size")).toEqual({ size: 2 });
    await hibernateAll();

    // The sign-out frame goes to user 13's handlers, which unbind the relayed socket.
    a.send(signOutFrame());
    await waitSize(1);
    expect(await count(13)).toEqual({ uid: "13", count: 0 });
    await hibernateAll();

    // The freed slot: the refused socket signs in in-band, by relay.
    b.send(signInFrame("D", "13"));
    await b.until((x) => times(x, "USER.OK | 13 | 2") === 2);
    await a.waitText("USER.OK | 13 | 2");
    await hibernateAll();

    // The signed-out socket is handled in its lobby again and meets the cap.
    a.send(signInFrame("D", "13"));
    await a.waitText("USER.MAX.CONN | 1 | 1");

    // A close frees the slot too.
    b.close();
    await b.closed;
    await waitSize(1);
    await hibernateAll();
    a.send(signInFrame("D", "13"));
    await a.until((x) => times(x, "USER.OK | 13 | 2") === 2);
    for (const x of [watcher, a, b, c, direct, bad]) expect(controls(x)).toEqual([]);
  });

  it("ignores a second sign-in on a relayed socket", async () => {
    const a = await plain();
    a.send(signInFrame("D", "13"));
    await a.waitText("USER.OK | 13 | 1");
    a.send(signInFrame("D", "13"));
    a.send(signInFrame("D", "6"));
    const barrier = await connect({ signIn: ["D", "6"] });
    await barrier.waitText("USER.OK | 6 | 2");
    await a.waitText("USER.OK | 6 | 2");
    expect(a.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 13 | 1", "USER.OK | 6 | 2"]);
    expect(await count(13)).toEqual({ uid: "13", count: 1 });
  });
  it("hands a frame sent the moment USER.OK arrives to the uid's handlers, not the lobby's", async () => {
    // USER.OK reaches the client through the lobby before the lobby's admission call has returned
    // (the uid's object still broadcasts the session event): the frame must wait for it, not be
    // handled here as an unbound socket's (the seed ignores a sign-out from an unbound socket).
    // The window, made wide: user 13's object finishes its session broadcast 300 ms after it went out.
    await runInDurableObject(user("13"), (instance: unknown) => {
      const io = (instance as { io: { text(t: string): Promise<void> } }).io;
      const text = io.text.bind(io);
      io.text = async (t) => {
        await text(t);
        await new Promise((r) => setTimeout(r, 300));
      };
    });
    const a = await plain();
    let sent = false;
    a.ws.addEventListener("message", (e) => {
      if (!sent && e.data === "USER.OK | 13 | 1") {
        sent = true;
        a.send(signOutFrame());
      }
    });
    a.send(signInFrame("D", "13"));
    await a.until(() => sent);
    const deadline = Date.now() + 5000;
    while (((await count(13)) as { count: number }).count !== 0) {
      if (Date.now() > deadline) throw new Error("the sign-out sent on USER.OK was lost: user 13 still holds a socket");
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitSize(0);
  });
});

/** An original sockizy client held by user 6's object (signed in there by `?signin=`, then out), relayed to user 13. */
async function relayedFrom6To13(): Promise<TestClient> {
  const a = await connect({ signIn: ["D", "6"], ctl: false, viaQuery: true });
  await a.waitText("USER.OK | 6 | 1");
  a.send(signOutFrame());
  await waitSize(0);
  a.send(signInFrame("D", "13"));
  await a.until((c) => times(c, "USER.OK | 13 | 1") === 2);
  return a;
}

describe("an original sockizy client signing in from another uid's object", () => {
  it("is relayed from user 6's object to user 13's, and comes back on sign-out", async () => {
    const a = await relayedFrom6To13();
    expect(await count(13)).toEqual({ uid: "13", count: 1 });
    expect(await count(6)).toEqual({ uid: "6", count: 0 });
    await hibernateAll();
    a.send(signOutFrame());
    await waitSize(0);
    // Back in user 6's object, unbound: it signs in there in place.
    a.send(signInFrame("D", "6"));
    await a.until((c) => times(c, "USER.OK | 6 | 1") === 3);
    expect(await count(6)).toEqual({ uid: "6", count: 1 });
  });
});

describe("a user object woken to end a relay it holds", () => {
  // Found by the chaos suite (test/edge/chaos/): a user object woken from
  // hibernation only by a call for a socket it holds for another uid
  // (here the kick's relayEnd) handled that socket's close before it had read
  // its own uid, and reported to the registry as user "null": size counted a
  // user that does not exist, for good.
  it("reports as its own uid: size counts no phantom user", async () => {
    const a = await relayedFrom6To13();
    // User 6's object holds a (relayed to 13) and b (bound to 6).
    const b = await connect({ signIn: ["D", "6"] });
    await b.waitText("USER.OK | 6 | 2");
    await hibernateAll();
    expect(await adminPost("/admin/clear", { uid: 13, kick: true })).toHaveProperty("status", 200);
    expect(await a.closed).toBe(4003);
    await waitSize(1);
    b.close();
    await b.closed;
    await waitSize(0);
  });
});

describe("broadcasts", () => {
  it("reach a relayed socket exactly once, whoever holds it", async () => {
    const fromLobby = await plain();
    fromLobby.send(signInFrame("D", "13"));
    await fromLobby.waitText("USER.OK | 13 | 1");
    const from6 = await connect({ signIn: ["D", "6"], ctl: false, viaQuery: true });
    await from6.waitText("USER.OK | 6 | 2");
    from6.send(signOutFrame());
    await waitSize(1);
    // user 13's object, user 6's object and a lobby all hold sockets now; cap 1 refuses this one.
    from6.send(signInFrame("D", "13"));
    await from6.waitText("USER.MAX.CONN | 1 | 1");
    const local = await connect({ signIn: ["D", "13"] });
    await local.waitText("USER.MAX.CONN | 1 | 1");
    expect(await adminPost("/admin/text", { text: "hello all" })).toHaveProperty("status", 200);
    for (const c of [fromLobby, from6, local]) await c.waitText("hello all");
    // A later broadcast is the barrier: a second copy would have arrived before it.
    expect(await adminPost("/admin/text", { text: "barrier" })).toHaveProperty("status", 200);
    for (const c of [fromLobby, from6, local]) await c.waitText("barrier");
    for (const c of [fromLobby, from6, local]) expect(times(c, "hello all")).toBe(1);
  });

  it("reach a socket the cap refused, sent right after its refusal, though its registry call is slow", async () => {
    const relayed = await plain();
    relayed.send(signInFrame("D", "13"));
    await relayed.waitText("USER.OK | 13 | 1");
    // User 13's object holds no local socket: the refused one below is its first, which makes it a
    // target of broadcasts. Its registry calls take 300 ms until the test ends.
    let slowed = () => {};
    await runInDurableObject(user("13"), (instance: unknown) => {
      const host = instance as { registry: { setUser: (...args: unknown[]) => Promise<number> } };
      const real = host.registry;
      host.registry = {
        ...real,
        setUser: async (...args: unknown[]) => {
          await new Promise((r) => setTimeout(r, 300));
          return real.setUser(...args);
        },
      } as typeof real;
      slowed = () => {
        host.registry = real;
      };
    });
    try {
      const refused = await connect({ signIn: ["D", "13"] });
      await refused.waitText("USER.MAX.CONN | 1 | 1");
      expect(await adminPost("/admin/text", { text: "after the refusal" })).toHaveProperty("status", 200);
      await refused.waitText("after the refusal", 2_000);
    } finally {
      slowed();
    }
  });

  it("reach a user whose only socket is relayed with a session event to every uid", async () => {
    // User 13's object holds no socket of its own: its shard has a session but no online object.
    const relayed = await plain();
    relayed.send(signInFrame("D", "13"));
    await relayed.waitText("USER.OK | 13 | 1");
    // The seed's session handler broadcasts the message as text: it must run for user 13.
    expect(await adminPost("/admin/emit", { message: "to every uid" })).toHaveProperty("status", 200);
    await relayed.waitText("to every uid");
  });
});

describe("unbinding a relayed socket", () => {
  it("clear: session.clear, unbound, still connected, can sign in again", async () => {
    const a = await plain();
    a.send(signInFrame("D", "13"));
    await a.waitText("USER.OK | 13 | 1");
    await hibernateAll();
    expect(await adminPost("/admin/clear", { uid: 13 })).toHaveProperty("status", 200);
    await waitSize(0);
    expect(await count(13)).toEqual({ uid: "13", count: 0 });
    await hibernateAll();
    a.send(signInFrame("D", "13"));
    await a.until((c) => times(c, "USER.OK | 13 | 1") === 4);
    expect(a.closeCode).toBeUndefined();
  });

  it("kick: closed with 4003 and unbound", async () => {
    const a = await plain();
    a.send(signInFrame("D", "13"));
    await a.waitText("USER.OK | 13 | 1");
    await hibernateAll();
    expect(await adminPost("/admin/clear", { uid: 13, kick: true })).toHaveProperty("status", 200);
    expect(await a.closed).toBe(4003);
    await waitSize(0);
    const b = await plain();
    b.send(signInFrame("D", "13"));
    await b.waitText("USER.OK | 13 | 1");
  });
});

describe("no ghost relays", () => {
  it("the user object lets go of a member whose holder was reset without close events", async () => {
    const a = await plain();
    a.send(signInFrame("D", "13"));
    await a.waitText("USER.OK | 13 | 1");
    expect(await adminGet("/admin/size")).toEqual({ size: 1 });
    for (const l of lobbies()) await evictDurableObject(l, { webSockets: "close" }).catch(() => {});
    // Only user 13's audit can notice: the lobby has no sockets left and no events ran.
    expect(await runAudit(user("13"))).toBe(true);
    await waitSize(0);
    expect(await count(13)).toEqual({ uid: "13", count: 0 });
    // Holding nothing, the user object stops its audit.
    expect(await runAudit(user("13"))).toBe(false);
    const b = await plain();
    b.send(signInFrame("D", "13"));
    await b.waitText("USER.OK | 13 | 1");
  });

  it("the holder lets go of a relay its user object no longer has", async () => {
    const a = await plain();
    a.send(signInFrame("D", "13"));
    await a.waitText("USER.OK | 13 | 1");
    // As if a clear's call to the holder had been lost: the member is gone from user 13's object only.
    await runInDurableObject(user("13"), (_instance: unknown, state: DurableObjectState) => {
      state.storage.sql.exec("DELETE FROM relayed");
    });
    // Until the holder's audit runs, the socket still counts as signed in there: a sign-in is ignored.
    for (const l of lobbies()) await runAudit(l);
    a.send(signInFrame("D", "13"));
    await a.until((c) => times(c, "USER.OK | 13 | 1") === 4);
  });
});

describe("a race of sign-ins for one uid", () => {
  it("admits exactly the cap among relayed sign-ins from every lobby", async () => {
    // An address's anonymous sockets share a lobby (docs/floods.md#anonymous-sockets-per-address): three addresses per lobby.
    const ips = spreadOverLobbies(3);
    const relayed = await Promise.all(ips.map((ip) => connect({ ctl: false, ip })));
    for (const c of relayed) c.send(signInFrame("D", "13"));
    const bound = (c: TestClient) => times(c, "USER.OK | 13 | 1") === 2;
    for (const c of relayed) await c.until((x) => bound(x) || x.texts.includes("USER.MAX.CONN | 1 | 1"));
    expect(relayed.filter(bound).length).toBe(1);
    expect(relayed.filter((c) => c.texts.includes("USER.MAX.CONN | 1 | 1")).length).toBe(11);
    expect(await count(13)).toEqual({ uid: "13", count: 1 });
  });

  it("admits exactly the cap among relayed and direct sign-ins", async () => {
    const relayed = await Promise.all(Array.from({ length: 6 }, () => plain()));
    for (const c of relayed) c.send(signInFrame("D", "13"));
    const direct = await Promise.all(Array.from({ length: 6 }, () => connect({ signIn: ["D", "13"] })));
    const all = [...relayed, ...direct];
    // The bound socket gets "USER.OK | 13 | 1" twice (its reply and the broadcast); every other socket the broadcast once.
    const bound = (c: TestClient) => times(c, "USER.OK | 13 | 1") === 2;
    for (const c of all) await c.until((x) => bound(x) || x.texts.includes("USER.MAX.CONN | 1 | 1"));
    const ok = all.filter(bound);
    const refused = all.filter((c) => c.texts.includes("USER.MAX.CONN | 1 | 1"));
    expect(ok.length).toBe(1);
    expect(refused.length).toBe(all.length - 1);
    expect(await count(13)).toEqual({ uid: "13", count: 1 });
    expect(await adminGet("/admin/size")).toEqual({ size: 1 });
  });
});
