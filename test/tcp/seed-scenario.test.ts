// The seed scenario (shared/seed/session-seed.md, spec section 5) over real
// TCP: the seed's Worker in workerd (test/support/local-server.ts), plain `ws` clients on
// 127.0.0.1, binary frames made by 2pack 1.0.0 (the original sockizy
// serializer), and the admin API over HTTP. test/seed/seed.test.ts runs the
// same scenario inside workerd with our codec.
import { describe, expect, it } from "vitest";
import {
  adminGet,
  b64url,
  type ConnectOptions,
  connect,
  frame,
  SIGN_IN_SCHEMA,
  signInFrame,
  signOutFrame,
  UpgradeRefused,
} from "./helpers.js";
import { useSeedServer } from "./seed-server.js";

const server = useSeedServer("tcp-secret");
const { client, size, count, waitSize } = server;

/** Sign-in path (b): the `sockizy` subprotocol plus `sockizy.<base64url of the 2pack frame>`. */
const inUpgrade = (login: string, password: string): ConnectOptions => ({
  protocols: ["sockizy", `sockizy.${b64url(signInFrame(login, password))}`],
});
/** Sign-in path (c): `?signin=<base64url>`, no subprotocol. */
const inQuery = (login: string, password: string): ConnectOptions => ({
  query: `?signin=${b64url(signInFrame(login, password))}`,
});

describe("the seed scenario over TCP", () => {
  it("signs in, caps, refuses, broadcasts, signs out, frees slots on close", async () => {
    // An anonymous watcher first: it lives in a lobby and gets every broadcast.
    const watcher = await client("watcher");
    expect(watcher.protocol).toBe("");

    // User 13, sign-in in the upgrade: the server selects "sockizy".
    const u13 = await client("u13", inUpgrade("D", "13"));
    expect(u13.protocol).toBe("sockizy");
    await u13.waitText("USER.OK | 13 | 1", 2); // its reply and the broadcast
    await watcher.waitText("USER.OK | 13 | 1");
    expect(await size()).toBe(1);

    // A second D/13: the cap of 1; it stays connected.
    const dup = await client("dup13", inUpgrade("D", "13"));
    expect(dup.protocol).toBe("sockizy");
    await dup.waitText("USER.MAX.CONN | 1 | 1");
    expect(await count(13)).toEqual({ uid: "13", count: 1 });

    // A bad password (sign-in in the query): refused, kept as an anonymous socket.
    const bad = await client("bad", inQuery("D", "12"));
    expect(bad.protocol).toBe("");
    await bad.waitText("USER.BAD | D | 12");
    expect(await size()).toBe(1);

    // User 6 (in the query): the second user.
    const u6 = await client("u6", inQuery("D", "6"));
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

    // User 13 signs out (2pack's frame 0100): no reply, the slot is free.
    u13.send(signOutFrame());
    await waitSize(1);
    expect(await count(13)).toEqual({ uid: "13", count: 0 });

    // The capped D/13 socket is held by user 13's object, unbound: it signs in in place.
    dup.send(signInFrame("D", "13"));
    await dup.waitText("USER.OK | 13 | 2", 2); // size 2: user 6 still holds a session
    for (const c of [watcher, u13, bad, u6]) await c.waitText("USER.OK | 13 | 2");
    expect(dup.texts).toEqual(["USER.MAX.CONN | 1 | 1", "USER.OK | 6 | 2", "USER.OK | 13 | 2", "USER.OK | 13 | 2"]);
    expect(await size()).toBe(2);
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
    const u6again = await client("u6again", inUpgrade("D", "6"));
    await u6again.waitText("USER.OK | 6 | 2", 2);
    await watcher.waitText("USER.OK | 6 | 2", 2);
    expect(await size()).toBe(2);

    // Only the sign-ins that bound were broadcast.
    expect(watcher.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 6 | 2", "USER.OK | 13 | 2", "USER.OK | 6 | 2"]);
    expect(u13.texts).toEqual([
      "USER.OK | 13 | 1",
      "USER.OK | 13 | 1",
      "USER.OK | 6 | 2",
      "USER.OK | 13 | 2",
      "USER.MAX.CONN | 1 | 1",
      "USER.OK | 6 | 2",
    ]);
    for (const c of [watcher, u13, dup, bad, u6again]) expect(c.closeCode, c.name).toBeUndefined();
  }, 30_000);
});

describe("sign-in paths", () => {
  it("(a) no subprotocol, sign-in as an ordinary message from the lobby: bound by relay, or USER.BAD", async () => {
    // The whole scenario this way: test/tcp/relay-seed-scenario.test.ts.
    const watcher = await client("watcher");
    const anon = await client("anon");
    expect(anon.protocol).toBe("");
    anon.send(signInFrame("D", "13"));
    await anon.waitText("USER.OK | 13 | 1", 2);
    const anonBad = await client("anonBad");
    anonBad.send(signInFrame("D", "12"));
    await anonBad.waitText("USER.BAD | D | 12");
    expect(await size()).toBe(1);

    // Neither was closed; a later broadcast proves it.
    const u6 = await client("u6", inQuery("D", "6"));
    await u6.waitText("USER.OK | 6 | 2", 2);
    for (const c of [watcher, anon, anonBad]) await c.waitText("USER.OK | 6 | 2");
    expect(watcher.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 6 | 2"]);
    expect(anon.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 13 | 1", "USER.OK | 6 | 2"]);
    expect(anonBad.texts).toEqual(["USER.BAD | D | 12", "USER.OK | 6 | 2"]);
    // A client that did not offer "sockizy" gets no control frame.
    expect(anon.binaries).toEqual([]);
    for (const c of [watcher, anon, anonBad]) expect(c.closeCode, c.name).toBeUndefined();
  });

  it("(b) sign-in in the upgrade: the server selects the sockizy subprotocol", async () => {
    const c = await client("b", inUpgrade("D", "13"));
    expect(c.protocol).toBe("sockizy");
    await c.waitText("USER.OK | 13 | 1", 2);
    expect(await size()).toBe(1);
  });

  it("(c) sign-in in the ?signin= query with no subprotocol", async () => {
    const c = await client("c", inQuery("D", "6"));
    expect(c.protocol).toBe("");
    await c.waitText("USER.OK | 6 | 1", 2);
    expect(await size()).toBe(1);
  });

  it("tells a sockizy client that signs in from the lobby to reconnect, and the reconnect signs in", async () => {
    const lobby = await client("lobby", { protocols: ["sockizy"] });
    expect(lobby.protocol).toBe("sockizy");
    const signIn = signInFrame("D", "13");
    lobby.send(signIn);
    await lobby.until((c) => c.binaries.length > 0);
    const [control] = lobby.binaries;
    expect(control?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xff]));
    const body = JSON.parse(control?.subarray(2).toString("utf8") ?? "");
    expect(body).toEqual({ t: "reconnect", signin: b64url(signIn) });
    expect(Buffer.from(body.signin, "base64url")).toEqual(signIn);
    expect(lobby.texts).toEqual([]); // no USER.ERROR for a client that can follow
    expect(await size()).toBe(0);

    const again = await client("again", { protocols: ["sockizy", `sockizy.${body.signin}`] });
    expect(again.protocol).toBe("sockizy");
    await again.waitText("USER.OK | 13 | 1", 2);
    await lobby.waitText("USER.OK | 13 | 1"); // the lobby socket is still open
    expect(await size()).toBe(1);
  });

  it("refuses a malformed sign-in in the upgrade with 400, before any socket exists", async () => {
    const refused = async (opts: ConnectOptions) => {
      const e = await connect(server.ws, "refused", opts).then(
        (c) => {
          server.track(c);
          return undefined;
        },
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(UpgradeRefused);
      return (e as UpgradeRefused).status;
    };
    expect(await refused({ query: "?signin=not*base64" })).toBe(400);
    expect(await refused({ protocols: ["sockizy", `sockizy.${b64url(signOutFrame())}`] })).toBe(400);
    expect(await refused({ query: `?signin=${b64url(signInFrame("D", "13").subarray(0, 5))}` })).toBe(400);
    expect(await size()).toBe(0);
  });
});

describe("invalid frames", () => {
  it("closes a socket that sends an invalid packet with 1003; the others carry on", async () => {
    const watcher = await client("watcher");
    const u6 = await client("u6", inUpgrade("D", "6"));
    await u6.waitText("USER.OK | 6 | 1", 2);

    const oneByte = await client("oneByte");
    oneByte.send(Buffer.from([0x00]));
    const unknownId = await client("unknownId");
    unknownId.send(frame(0x0505, null, null)); // 2pack: 0505
    const truncated = await client("truncated");
    truncated.send(signInFrame("D", "13").subarray(0, 7));
    for (const c of [oneByte, unknownId, truncated]) expect(await c.waitClose(), c.name).toBe(1003);

    // A signed-in socket closed for an invalid packet is unbound.
    u6.send(Buffer.from([0x05, 0x05]));
    expect(await u6.waitClose()).toBe(1003);
    await waitSize(0);

    const u6again = await client("u6again", inQuery("D", "6"));
    await u6again.waitText("USER.OK | 6 | 1", 2);
    await watcher.waitText("USER.OK | 6 | 1", 2);
    expect(watcher.texts).toEqual(["USER.OK | 6 | 1", "USER.OK | 6 | 1"]);
    expect(watcher.closeCode).toBeUndefined();
  });

  it("closes a socket whose frame is above 32 KiB with 1009; 32 KiB itself is not too big", async () => {
    const watcher = await client("watcher");
    const u13 = await client("u13", inUpgrade("D", "13"));
    await u13.waitText("USER.OK | 13 | 1", 2);

    const textAtLimit = await client("textAtLimit");
    textAtLimit.send("x".repeat(32 * 1024)); // the seed has no text handler: ignored
    const binAtLimit = await client("binAtLimit");
    const atLimit = Buffer.alloc(32 * 1024);
    signInFrame("D", "13").copy(atLimit); // a sign-in followed by trailing bytes
    binAtLimit.send(atLimit);
    const binOver = await client("binOver");
    binOver.send(Buffer.alloc(32 * 1024 + 1));
    const textOver = await client("textOver");
    textOver.send("x".repeat(32 * 1024 + 1));

    expect(await binAtLimit.waitClose()).toBe(1003);
    expect(await binOver.waitClose()).toBe(1009);
    expect(await textOver.waitClose()).toBe(1009);
    u13.send(Buffer.alloc(40 * 1024));
    expect(await u13.waitClose()).toBe(1009);
    await waitSize(0);

    const u6 = await client("u6", inQuery("D", "6"));
    await u6.waitText("USER.OK | 6 | 1", 2);
    await textAtLimit.waitText("USER.OK | 6 | 1");
    await watcher.waitText("USER.OK | 6 | 1");
    expect(textAtLimit.closeCode).toBeUndefined();
    expect(watcher.texts).toEqual(["USER.OK | 13 | 1", "USER.OK | 6 | 1"]);
  });
});

describe("admin API", () => {
  it("refuses a wrong or missing secret with 401", async () => {
    expect((await adminGet(server.http, "/admin/size", "wrong")).status).toBe(401);
    const res = await fetch(`${server.http}/admin/size`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    expect(res.status).toBe(401);
  });
});

// 2pack frames are the wire format the original sockizy clients send.
it("builds the seed's frames as the spec's vectors", () => {
  expect(signInFrame("D", "13").toString("hex")).toBe("000002003133010044");
  expect(signOutFrame().toString("hex")).toBe("0100");
  expect(SIGN_IN_SCHEMA).toEqual(["login:str24", "password:str24"]);
});
