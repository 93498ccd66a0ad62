// Dead holders over real TCP (docs/architecture.md#dead-holders, docs/sign-in.md#liveness-probe):
// a sockizy client that vanished (no close frame, no FIN) still holds the
// slot of its cap-1 user; the next sign-in the cap would refuse probes it,
// hears nothing for probeTimeoutMs (3 s) and takes its seat: seconds, not
// the seed app's 45 s heartbeatTimeoutMs. Two ways to vanish: a phone that
// falls silent after a ping (it lost its network), and a sign-in whose
// connection is reset before its 101 reached the client (a phone switching
// from Wi-Fi to cellular mid-upgrade), which no ping ever comes from. A
// holder that is alive answers the probe and keeps its seat.
import { connect as tcp } from "node:net";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { DEFAULTS } from "../../src/edge/app/define-app.js";
import { type LocalServer, startLocalServer } from "../support/local-server.js";
import { adminGet, b64url, type Client, connect, signInFrame, sleep } from "./helpers.js";

const SECRET = "dead-holder-admin";
const PROBE_MS = DEFAULTS.probeTimeoutMs;
/** How late after the probe time a sign-in may be admitted: its own upgrade and reply on a loaded machine. */
const LATE_MS = 4_000;
const SIGN_IN = ["sockizy", `sockizy.${b64url(signInFrame("D", "13"))}`];

let server: LocalServer;
let base: string;
const open: Client[] = [];

beforeAll(async () => {
  // The seed app: heartbeatTimeoutMs 45 s, so only the probe frees a seat within seconds.
  server = await startLocalServer({ ADMIN_SECRET: SECRET });
  base = server.url.replace("http", "ws");
}, 90_000);

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await server?.stop();
});

const count13 = async () =>
  ((await adminGet(server.url, "/admin/count?uid=13", SECRET)).body as { count: number }).count;

/** A sign-in of uid 13 in the upgrade: its first reply, and how long the upgrade and the reply took. */
async function signIn(name: string): Promise<{ c: Client; reply: string; ms: number }> {
  const t0 = Date.now();
  const c = await connect(base, name, { protocols: SIGN_IN }, PROBE_MS + LATE_MS);
  open.push(c);
  await c.until((x) => x.texts.some((t) => t.startsWith("USER.")), PROBE_MS + LATE_MS);
  return { c, reply: c.texts.find((t) => t.startsWith("USER.")) as string, ms: Date.now() - t0 };
}

/** The sign-in that takes a vanished holder's seat: admitted after the probe time, and not much later. */
async function expectSeatWithinProbeTime(vanished: number): Promise<void> {
  const { reply, ms } = await signIn("again");
  console.log(
    `dead holder: signed in again ${((Date.now() - vanished) / 1000).toFixed(1)} s after the holder vanished (the sign-in took ${(ms / 1000).toFixed(1)} s; probeTimeoutMs ${PROBE_MS / 1000} s, heartbeatTimeoutMs ${DEFAULTS.heartbeatTimeoutMs / 1000} s)`,
  );
  expect(reply).toBe("USER.OK | 13 | 1");
  expect(ms).toBeGreaterThanOrEqual(PROBE_MS - 100);
  expect(ms).toBeLessThan(PROBE_MS + LATE_MS);
  expect(await count13()).toBe(1);
}

it("a cap-1 user whose sign-in was reset before the 101 signs in again within the probe time", async () => {
  // To reset a sign-in surely before its 101, its upgrade is held: a holder that vanished is in
  // its way, so the upgrade waits out a probe before the server binds it and sends the 101.
  const first = await signIn("first");
  first.c.answersProbes = false;
  const socket = tcp(server.port, "127.0.0.1");
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  let answered = "";
  socket.on("data", (d: Buffer) => (answered += d.toString("latin1")));
  socket.on("error", () => {});
  socket.write(
    "GET / HTTP/1.1\r\n" +
      `Host: 127.0.0.1:${server.port}\r\n` +
      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      `Sec-WebSocket-Protocol: ${SIGN_IN.join(", ")}\r\n\r\n`,
  );
  await first.c.until((c) => c.probes > 0); // the upgrade waits on the probe
  socket.resetAndDestroy(); // RST before the 101
  expect(answered).toBe("");
  // The server carries on without the client: the probe time runs out, the first holder is let go,
  // and the reset upgrade is bound: its 101 goes into a connection that is gone.
  await sleep(PROBE_MS + 1000);
  const vanished = Date.now();
  expect(await count13()).toBe(1);
  // A new sign-in has to probe the reset socket (the first holder's expired probe would have let
  // it in at once): it waits out the probe time, then takes the seat.
  await expectSeatWithinProbeTime(vanished);
}, 60_000);

it("a holder that falls silent after a ping gives its seat to the next sign-in within the probe time, and is closed with 1001", async () => {
  const phone = await signIn("phone");
  expect(phone.reply).toBe("USER.OK | 13 | 1");
  phone.c.send("#ping");
  await phone.c.waitText("#pong");
  phone.c.answersProbes = false; // gone from here on: it sends nothing more, its connection stays open
  const vanished = Date.now();
  await expectSeatWithinProbeTime(vanished);
  expect(phone.c.probes).toBe(1);
  expect(await phone.c.waitClose(3000)).toBe(1001);
  expect(phone.c.closeReason).toBe("no answer to probe");
}, 60_000);

it("a holder that is alive answers the probe and keeps its seat: the next sign-in is refused without waiting out the probe time", async () => {
  const alive = await signIn("alive");
  expect(alive.reply).toBe("USER.OK | 13 | 1");
  const refused = await signIn("refused");
  expect(refused.reply).toBe("USER.MAX.CONN | 1 | 1");
  expect(refused.ms).toBeLessThan(PROBE_MS);
  expect(alive.c.probes).toBe(1);
  expect(alive.c.closeCode).toBeUndefined();
}, 60_000);
