// The Queue sink through miniflare's queues (docs/events.md#sinks): with the
// producer binding SESSION_EVENTS declared, session events go to the Queue,
// a batch per call, and its consumer (the receiver worker) gets each event,
// again after it asked for a retry, until it acknowledges.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { SessionEvent } from "../../../../src/edge/events/event.js";
import { closeOpenClients, connect, signOutFrame, waitSize } from "../../helpers.js";
import { control, short } from "../helpers.js";

interface Queued {
  id: string;
  body: SessionEvent;
  attempts: number;
  acked: boolean;
}

const receiver = () => (env as unknown as { RECEIVER: Fetcher }).RECEIVER;
const queued = async () => (await (await receiver().fetch("http://receiver.test/queued")).json()) as Queued[];

/** The events the consumer acknowledged, deduplicated by id, in the order it got them. */
async function consumed(uid: number, n: number): Promise<SessionEvent[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const seen = new Set<string>();
    const events = (await queued())
      .filter((q) => q.acked && q.body.uid === uid && !seen.has(q.body.id) && seen.add(q.body.id))
      .map((q) => q.body);
    if (events.length >= n) return events;
    if (Date.now() > deadline) throw new Error(`the consumer got ${JSON.stringify(events)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeEach(() => control({ reset: true }));
afterEach(closeOpenClients);

async function session(uid: "13" | "6"): Promise<void> {
  const c = await connect({ signIn: ["D", uid] });
  await c.until((x) => x.texts.some((t) => t.startsWith(`USER.OK | ${uid}`)));
  c.send(signOutFrame());
  await waitSize(0);
}

it("sends each event to the Queue, as the event object, and not to the webhook", async () => {
  await session("13");
  await session("6");
  const events = await consumed(13, 2);
  expect(short(events)).toEqual(["online 1", "offline:signout 0"]);
  expect(events.map((e) => e.seq)).toEqual([1, 2]);
  expect(Object.keys(events[0] as SessionEvent).sort()).toEqual(["at", "id", "seq", "sockets", "type", "uid"]);
  expect(short(await consumed(6, 2))).toEqual(["online 1", "offline:signout 0"]);
  const webhook = (await (await receiver().fetch("http://receiver.test/received")).json()) as unknown[];
  expect(webhook).toEqual([]);
});

it("gets every event to a consumer that retries some: deduplicated by id, none missing", async () => {
  await control({ retry: 3 });
  for (let i = 0; i < 3; i++) await session("13");
  const events = await consumed(13, 6);
  expect(events).toHaveLength(6);
  // The Queue keeps no order; seq gives it: every seq once, none missing.
  const seqs = events.map((e) => e.seq).sort((a, b) => a - b);
  const first = seqs[0] as number;
  expect(seqs).toEqual([0, 1, 2, 3, 4, 5].map((n) => first + n));
  const all = await queued();
  expect(all.filter((q) => !q.acked)).toHaveLength(3);
  expect(all.some((q) => q.attempts > 1)).toBe(true);
});
