// Session events over real TCP (docs/events.md): the local server with
// SESSION_WEBHOOK_URL pointing at a receiver on 127.0.0.1. The seed
// scenario gives exactly its online/offline events, signed as documented
// (checked with the page's Node snippet), seq 1, 2, 3... per uid; a
// receiver answering 500 for a while (30 s in the full tier, 6 s in the
// quick one), then 200, gets every event of that time, in order, no seq
// missing. The app is the seed with a short retry backoff
// (test/tcp/events-app/), so recovery shows within a second or two.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionEvent } from "../../src/edge/events/event.js";
import { type EventReceiver, startEventReceiver } from "../support/event-receiver.js";
import { loadVerify, NODE_SNIPPET, type Verify } from "../support/signature-snippets.js";
import { RETRY } from "./events-app/retry.js";
import { b64url, type ConnectOptions, signInFrame, signOutFrame, sleep, waitFor } from "./helpers.js";
import { useSeedServer } from "./seed-server.js";

const FULL = process.env.SOCKIZY_TEST_TIER === "full";
const FAILING_MS = FULL ? 30_000 : 6_000;
const SECRET = "tcp-webhook-secret";

let receiver: EventReceiver;
let verify: Verify;
beforeAll(async () => {
  receiver = await startEventReceiver();
  verify = await loadVerify(NODE_SNIPPET);
});
afterAll(() => receiver?.close());

const server = useSeedServer("tcp-secret", {
  config: "test/tcp/events-app/wrangler.toml",
  vars: () => ({ SESSION_WEBHOOK_URL: receiver.url, SESSION_WEBHOOK_SECRET: SECRET }),
});
const { client, waitSize } = server;

const inUpgrade = (password: string): ConnectOptions => ({
  protocols: ["sockizy", `sockizy.${b64url(signInFrame("D", password))}`],
});

/** The events acknowledged (200), deduplicated by id, per uid in arrival order. */
function acknowledged(uid: number): SessionEvent[] {
  const seen = new Set<string>();
  const out: SessionEvent[] = [];
  for (const d of receiver.received) {
    const e = JSON.parse(d.body) as SessionEvent;
    if (d.status !== 200 || seen.has(e.id) || e.uid !== uid) continue;
    seen.add(e.id);
    out.push(e);
  }
  return out;
}
const short = (events: SessionEvent[]) => events.map((e) => `${e.seq} ${e.type}${e.reason ? `:${e.reason}` : ""}`);
const waitEvents = (uid: number, n: number, ms = 10_000) =>
  waitFor(
    () => acknowledged(uid).length >= n,
    ms,
    () => `: events of ${uid} were ${JSON.stringify(short(acknowledged(uid)))}`,
  );

describe("session events from the local server to a receiver on 127.0.0.1", () => {
  it("the seed scenario gives exactly its events, signed as documented, seq 1, 2, 3... per uid", async () => {
    const u13 = await client("u13", inUpgrade("13"));
    await u13.waitText("USER.OK | 13 | 1", 2);
    const dup = await client("dup13", inUpgrade("13"));
    await dup.waitText("USER.MAX.CONN | 1 | 1");
    const bad = await client("bad", inUpgrade("12"));
    await bad.waitText("USER.BAD | D | 12");
    const u6 = await client("u6", inUpgrade("6"));
    await u6.waitText("USER.OK | 6 | 2", 2);
    u13.send(signOutFrame());
    await waitSize(1);
    dup.send(signInFrame("D", "13"));
    await dup.waitText("USER.OK | 13 | 2", 2);
    u13.send(signInFrame("D", "13"));
    await u13.waitText("USER.MAX.CONN | 1 | 1");
    await u6.close();
    await waitSize(1);
    const again = await client("u6again", inUpgrade("6"));
    await again.waitText("USER.OK | 6 | 2", 2);
    await dup.close();
    await again.close();
    await waitSize(0);
    await waitEvents(13, 4);
    await waitEvents(6, 4);
    await sleep(500); // nothing more comes
    expect(short(acknowledged(13))).toEqual(["1 online", "2 offline:signout", "3 online", "4 offline:close"]);
    expect(short(acknowledged(6))).toEqual(["1 online", "2 offline:close", "3 online", "4 offline:close"]);
    for (const d of receiver.received) {
      expect(d.contentType).toBe("application/json");
      expect(await verify(d.body, d.signature, SECRET)).toBe(true);
      expect(await verify(d.body, d.signature, "another secret")).toBe(false);
    }
    expect(receiver.received.every((d) => d.status === 200)).toBe(true);
    expect(receiver.received).toHaveLength(8); // each once: nothing was retried
  }, 60_000);

  it(`a receiver answering 500 for ${FAILING_MS / 1000} s, then 200, gets every event of that time, in order, none missing`, async () => {
    const from = receiver.received.length;
    const before = { 13: acknowledged(13).length, 6: acknowledged(6).length };
    const failEnd = Date.now() + FAILING_MS;
    receiver.failUntil(failEnd);
    // Sessions of both users, spread over the failing time.
    let sessions = 0;
    while (Date.now() < failEnd - 1_000) {
      for (const password of ["13", "6"]) {
        const c = await client(`s${sessions}-${password}`, inUpgrade(password));
        await c.waitText(`USER.OK | ${password} | 1`);
        if (password === "13") c.send(signOutFrame());
        else await c.close();
        await waitSize(0);
        if (password === "13") await c.close();
      }
      sessions++;
      await sleep(300);
    }
    expect(sessions).toBeGreaterThan(1);
    // Every event arrives after the receiver recovers, within a retry's longest wait.
    await waitEvents(13, before[13] + 2 * sessions, FAILING_MS + RETRY.retryMaxMs + 10_000);
    await waitEvents(6, before[6] + 2 * sessions, RETRY.retryMaxMs + 10_000);
    for (const [uid, reason] of [
      [13, "signout"],
      [6, "close"],
    ] as const) {
      const all = acknowledged(uid);
      const events = all.slice(before[uid]);
      expect(short(events).map((e) => e.split(" ")[1])).toEqual(
        Array.from({ length: sessions }, () => ["online", `offline:${reason}`]).flat(),
      );
      // seq one by one from where the scenario left it: none missing, none twice, in order of arrival.
      expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    }
    const during = receiver.received.slice(from);
    const acked = during.filter((d) => d.status === 200);
    console.log(
      `session events over TCP: ${acked.length} events of ${sessions} sessions per uid while failing ${FAILING_MS} ms, ${during.length - acked.length} answered 500; the first acknowledged ${Math.min(...acked.map((d) => d.at)) - failEnd} ms after the receiver recovered, the last ${Math.max(...acked.map((d) => d.at)) - failEnd} ms`,
    );
    expect(during.filter((d) => d.status === 500).length).toBeGreaterThan(2);
    // Nothing was acknowledged before the receiver recovered.
    expect(acked.every((d) => d.at >= failEnd)).toBe(true);
  }, 90_000);
});
