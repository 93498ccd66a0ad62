// The bound of docs/architecture.md#measured-bound, measured over real TCP: a phone that
// vanishes (no close frame, no FIN: here a client that simply falls silent
// after its last heartbeat) holds the slot of a cap-1 user until its last
// answered ping is heartbeatTimeoutMs old; the next sign-in after that gets
// the slot and the silent socket is closed with 1001. `npm run test:full`
// measures the seed app's 45 s (about 50 s); `npm test` the same app with
// heartbeatTimeoutMs 3 s (test/tcp/heartbeat-app/, about 5 s).
import { afterAll, beforeAll, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "../support/local-server.js";
import { HEARTBEAT_TIMEOUT_MS } from "./heartbeat-app/timeout.js";
import { b64url, type Client, connect, signInFrame, sleep } from "./helpers.js";

const FULL = process.env.SOCKIZY_TEST_TIER === "full";
/** The server's heartbeatTimeoutMs: the seed app's default, or the quick tier's short one. */
const TIMEOUT_MS = FULL ? 45_000 : HEARTBEAT_TIMEOUT_MS;
/** How late after it the slot may come free: a retry's pause and a loaded machine's sign-in. */
const LATE_MS = 7_000;

let server: LocalServer;
let base: string;
const open: Client[] = [];

beforeAll(async () => {
  server = await startLocalServer({}, 60_000, FULL ? undefined : "test/tcp/heartbeat-app/wrangler.toml");
  base = server.url.replace("http", "ws");
}, 90_000);

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await server?.stop();
});

const signingIn = async (name: string) => {
  const c = await connect(base, name, { protocols: ["sockizy", `sockizy.${b64url(signInFrame("D", "13"))}`] });
  open.push(c);
  await c.until((x) => x.texts.some((t) => t.startsWith("USER.")), 5000);
  return c;
};

it("frees a vanished heartbeat client's slot heartbeatTimeoutMs after its last ping", async () => {
  const phone = await signingIn("phone");
  expect(phone.texts).toContain("USER.OK | 13 | 1");
  phone.send("#ping");
  await phone.waitText("#pong");
  const lastPing = Date.now();
  // The phone is gone from here on: it sends nothing more, its connection stays open.

  let freedAfter = 0;
  for (let attempt = 0; attempt < 80; attempt++) {
    const retry = await signingIn(`retry ${attempt}`);
    if (retry.texts.includes("USER.OK | 13 | 1")) {
      freedAfter = Date.now() - lastPing;
      break;
    }
    expect(retry.texts).toContain("USER.MAX.CONN | 1 | 1");
    await retry.close();
    await sleep(1000);
  }
  console.log(
    `dead holder: the slot was free again ${(freedAfter / 1000).toFixed(1)} s after the last ping (heartbeatTimeoutMs ${TIMEOUT_MS / 1000} s)`,
  );
  expect(freedAfter).toBeGreaterThanOrEqual(TIMEOUT_MS);
  expect(freedAfter).toBeLessThan(TIMEOUT_MS + LATE_MS);
  expect(await phone.waitClose(5000)).toBe(1001);
}, 120_000);
