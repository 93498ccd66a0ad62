// Frames per user (docs/floods.md#frames-per-socket-and-per-user), with the probe
// application (cap 2, its text handler echoes) and the default buckets: a
// user's sockets share one bucket in its user object, relayed ones
// included, so two sockets each under their own limit are closed together
// over the user's. Measured in bytes: a socket's 2 MiB burst is well under
// the user's 3 MiB, so only the user's bucket can close these sockets
// however fast the test runtime delivers the frames.
import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { FLOOD_DEFAULTS } from "../../../src/edge/app/define-app.js";
import { FLOOD_REASON } from "../../../src/edge/floods/frames.js";
import { TestClient } from "../helpers.js";
import { ask, closeProbeClients, open, signedIn } from "./helpers.js";

afterEach(closeProbeClients);

const { perSocket, perUser } = FLOOD_DEFAULTS;
/** One text frame of 30 KiB (under maxPayload's 32). */
const BIG = "z".repeat(30 * 1024);
/** Frames one socket sends: just under its own byte burst, so its own bucket never closes it. */
const PER_SOCKET_FRAMES = Math.floor(perSocket.byteBurst / BIG.length) - 1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const echoes = (c: TestClient) => c.texts.filter((t) => t === `echo ${BIG}`).length;

/** A client with no subprotocol (the original client), signed in in-band: bound to `user` by relay from a lobby. */
async function relayed(user: string): Promise<TestClient> {
  const res = await SELF.fetch("http://probe.test/", { headers: { Upgrade: "websocket" } });
  if (!res.webSocket) throw new Error(`upgrade failed: ${res.status}`);
  const c = new TestClient(res.webSocket, null);
  open.push(c);
  expect(await ask(c, "auth.signIn", { user }, "reply ")).toMatch(/^reply \{"kind":"ok"/);
  return c;
}

/** Sends a socket's share and waits until every frame was echoed (so the next socket's frames come after). */
async function sendShare(c: TestClient): Promise<void> {
  for (let i = 0; i < PER_SOCKET_FRAMES; i++) c.send(BIG);
  await c.until((x) => echoes(x) === PER_SOCKET_FRAMES, 20_000);
}

/** Sends a socket's share and waits for its close; resolves to the frames echoed before it. */
async function sendShareUntilClosed(c: TestClient): Promise<number> {
  for (let i = 0; i < PER_SOCKET_FRAMES; i++) c.send(BIG);
  await Promise.race([c.closed, sleep(20_000)]);
  const atClose = echoes(c);
  await sleep(300);
  // Nothing handled after the close: no echo came later (a relayed echo crosses two objects).
  expect(echoes(c)).toBe(atClose);
  return atClose;
}

describe("a user over its frame limit", { timeout: 60_000 }, () => {
  it("is found over two sockets each under its own limit: the one that goes over is closed with 1008, the user's reason", async () => {
    expect(2 * PER_SOCKET_FRAMES * BIG.length).toBeGreaterThan(perUser.byteBurst);
    const a = await signedIn("floody");
    const b = await signedIn("floody");
    const t0 = Date.now();
    await sendShare(a);
    const handled = await sendShareUntilClosed(b);
    expect(b.closeCode).toBe(1008);
    expect(b.closeReason).toBe(FLOOD_REASON.user);
    expect(a.closeCode).toBeUndefined();
    // The user's budget: its burst and what refilled, in bytes.
    const seconds = (Date.now() - t0) / 1000;
    expect((PER_SOCKET_FRAMES + handled) * BIG.length).toBeLessThanOrEqual(
      perUser.byteBurst + perUser.bytesPerSecond * seconds,
    );
  });

  it("counts a socket bound by relay: its user object answers its frame over the limit, and its lobby closes it with 1008", async () => {
    const direct = await signedIn("relayflood");
    const member = await relayed("relayflood");
    await sendShare(direct);
    await sendShareUntilClosed(member);
    expect(member.closeCode).toBe(1008);
    expect(member.closeReason).toBe(FLOOD_REASON.user);
    expect(direct.closeCode).toBeUndefined();
    // The user's other socket is answered once the bucket refills (a text frame is a few bytes).
    await sleep(200);
    direct.send("still here");
    await direct.waitText("echo still here");
  });
});
