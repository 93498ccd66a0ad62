// The seed scenario (shared/seed/session-seed.md, spec section 5) as the
// original sockizy client runs it: connect with no subprotocol, then sign
// in with an ordinary frame. Every socket lands in a lobby and is bound by
// relay (docs/sign-in.md#sign-in-by-relay). Over real TCP against the local server,
// frames made by 2pack 1.0.0; test/tcp/seed-scenario.test.ts runs the same
// scenario with sign-ins in the upgrade.
import { describe, expect, it } from "vitest";
import type { Client } from "./helpers.js";
import { signInFrame, signOutFrame } from "./helpers.js";
import { useSeedServer } from "./seed-server.js";

const server = useSeedServer("tcp-relay-secret");
const { size, count, waitSize } = server;

/** An original sockizy client: it offers no subprotocol. */
async function client(name: string): Promise<Client> {
  const c = await server.client(name);
  expect(c.protocol).toBe("");
  return c;
}

describe("the seed scenario with the original client's in-band sign-in, over TCP", () => {
  it("signs in, caps, refuses, broadcasts, signs out, frees slots on close", async () => {
    const watcher = await client("watcher");

    const u13 = await client("u13");
    u13.send(signInFrame("D", "13"));
    await u13.waitText("USER.OK | 13 | 1", 2); // its reply and the broadcast
    await watcher.waitText("USER.OK | 13 | 1");
    expect(await size()).toBe(1);

    // A second D/13: the cap of 1 counts the relayed socket; it stays connected.
    const dup = await client("dup13");
    dup.send(signInFrame("D", "13"));
    await dup.waitText("USER.MAX.CONN | 1 | 1");
    expect(await count(13)).toEqual({ uid: "13", count: 1 });

    const bad = await client("bad");
    bad.send(signInFrame("D", "12"));
    await bad.waitText("USER.BAD | D | 12");
    expect(await size()).toBe(1);

    const u6 = await client("u6");
    u6.send(signInFrame("D", "6"));
    await u6.waitText("USER.OK | 6 | 2", 2);
    // That broadcast is a barrier: each socket has everything sent to it before.
    for (const c of [watcher, u13, dup, bad]) await c.waitText("USER.OK | 6 | 2");
    expect(watcher.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 6 | 2"]);
    expect(u13.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 13 | 1", "USER.OK | 6 | 2"]);
    expect(dup.texts).toEqual(["USER.MAX.CONN | 1 | 1", "USER.OK | 6 | 2"]);
    expect(bad.texts).toEqual(["USER.BAD | D | 12", "USER.OK | 6 | 2"]);
    expect(u6.texts).toEqual(["USER.OK | 6 | 2", "USER.OK | 6 | 2"]);
    expect(await size()).toBe(2);
    expect(await count(6)).toEqual({ uid: "6", count: 1 });

    // User 13 signs out (2pack's frame 0100), handled by user 13's object: the slot is free.
    u13.send(signOutFrame());
    await waitSize(1);
    expect(await count(13)).toEqual({ uid: "13", count: 0 });

    // The refused socket signs in in-band now.
    dup.send(signInFrame("D", "13"));
    await dup.waitText("USER.OK | 13 | 2", 2);
    for (const c of [watcher, u13, bad, u6]) await c.waitText("USER.OK | 13 | 2");
    expect(dup.texts).toEqual(["USER.MAX.CONN | 1 | 1", "USER.OK | 6 | 2", "USER.OK | 13 | 2", "USER.OK | 13 | 2"]);
    expect(await count(13)).toEqual({ uid: "13", count: 1 });

    // The signed-out socket is still connected, and now meets the cap itself.
    u13.send(signInFrame("D", "13"));
    await u13.waitText("USER.MAX.CONN | 1 | 1");
    expect(await count(13)).toEqual({ uid: "13", count: 1 });

    // Closing user 6's socket frees its slot.
    await u6.close();
    expect(u6.closeCode).toBe(1000);
    await waitSize(1);
    expect(await count(6)).toEqual({ uid: "6", count: 0 });
    const u6again = await client("u6again");
    u6again.send(signInFrame("D", "6"));
    await u6again.waitText("USER.OK | 6 | 2", 2);
    await watcher.waitText("USER.OK | 6 | 2", 2);
    expect(await size()).toBe(2);

    expect(watcher.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 6 | 2", "USER.OK | 13 | 2", "USER.OK | 6 | 2"]);
    expect(u13.texts).toEqual([
      "USER.OK | 13 | 1",
      "USER.OK | 13 | 1",
      "USER.OK | 6 | 2",
      "USER.OK | 13 | 2",
      "USER.MAX.CONN | 1 | 1",
      "USER.OK | 6 | 2",
    ]);
    // A client that offered no subprotocol never gets a control frame.
    for (const c of [watcher, u13, dup, bad, u6, u6again]) expect(c.binaries, c.name).toEqual([]);
    for (const c of [watcher, u13, dup, bad, u6again]) expect(c.closeCode, c.name).toBeUndefined();
  }, 30_000);
});
