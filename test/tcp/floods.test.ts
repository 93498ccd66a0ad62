// Flood control over real TCP (docs/floods.md): `wrangler dev` running the
// seed with its default buckets, plain `ws` clients. A socket that sends
// 2,000 frames as fast as it can is closed with 1008 after its burst, while
// the round trip of another socket of the same user object stays where it
// was before the flood. (Inside workerd, test/edge/floods/, the test's own
// sockets share the runtime with the objects, so a round trip there
// measures the test's side too: that is why this one is over TCP.)
import { expect, it } from "vitest";
import { FLOOD_REASON } from "../../src/edge/floods/frames.js";
import { FLOOD_DEFAULTS } from "../../src/edge/floods/options.js";
import { b64url, type Client, signInFrame, sleep } from "./helpers.js";
import { useSeedServer } from "./seed-server.js";

const server = useSeedServer("tcp-floods-secret");
const PER_SOCKET = FLOOD_DEFAULTS.perSocket;
/** The seed's text asking for `size` (src/seed/app.ts, not imported: it brings in the Workers runtime). */
const USERS_ONLINE = "USERS.ONLINE";

const inUpgrade = (login: string, password: string) => ({
  protocols: ["sockizy", `sockizy.${b64url(signInFrame(login, password))}`],
});

/** One `USERS.ONLINE` round trip (the seed's: its user object calls a registry shard), in ms. */
async function roundTrip(c: Client): Promise<number> {
  const before = c.texts.length;
  const t0 = performance.now();
  c.send(USERS_ONLINE);
  await c.until((x) => x.texts.slice(before).some((t) => t.startsWith(`${USERS_ONLINE} |`)), 20_000);
  return performance.now() - t0;
}

it("closes a socket sending 2,000 frames as fast as it can with 1008 within its budget, and another socket of the same object keeps its round trip", async () => {
  const quiet = await server.client("quiet", inUpgrade("D", "13"));
  await quiet.waitText("USER.OK | 13 | 1", 2);
  // Refused by the seed's cap of 1, so it stays in user 13's object, unbound, beside `quiet`.
  const flooder = await server.client("flooder", inUpgrade("D", "13"));
  await flooder.waitText("USER.MAX.CONN | 1 | 1");

  const normal: number[] = [];
  for (let i = 0; i < 30; i++) normal.push(await roundTrip(quiet));

  // Each frame the seed's most costly one: a registry shard's call, so frames handled past
  // the burst would queue the quiet socket's call behind theirs (575 ms with floods: false).
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) flooder.send(USERS_ONLINE);
  let closedAfter = Number.POSITIVE_INFINITY;
  void flooder.closed.then(() => (closedAfter = (performance.now() - t0) / 1000));
  const during: number[] = [];
  // Through the flood and a second after its close, a round trip every few ms.
  while (performance.now() - t0 < 10_000 && performance.now() - t0 < closedAfter * 1000 + 1000) {
    during.push(await roundTrip(quiet));
    await sleep(5);
  }

  expect(flooder.closeCode).toBe(1008);
  expect(flooder.closeReason).toBe(FLOOD_REASON.socket);
  // Each handled frame answers unless the socket closed first: at most the budget.
  const answered = flooder.texts.filter((t) => t.startsWith(`${USERS_ONLINE} |`)).length;
  expect(answered).toBeLessThanOrEqual(PER_SOCKET.frameBurst + Math.ceil(PER_SOCKET.framesPerSecond * closedAfter));
  const slowest = Math.max(...normal);
  const bound = Math.max(3 * slowest, slowest + 250);
  console.log(
    `flood over TCP: closed after ${closedAfter.toFixed(3)} s, ${answered} frames answered; quiet round trip before ${Math.round(Math.min(...normal))}-${Math.round(slowest)} ms, during ${Math.round(Math.min(...during))}-${Math.round(Math.max(...during))} ms over ${during.length} (bound ${Math.round(bound)} ms)`,
  );
  expect(Math.max(...during)).toBeLessThanOrEqual(bound);
  expect(quiet.closeCode).toBeUndefined();
}, 60_000);
