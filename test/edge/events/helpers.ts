// What the session-event tests share: the receiver the workers project routes
// the objects' webhook calls to (receiver-worker.js), the events it got, and
// the seed app's options changed for one test (the objects read them at each
// call, and the test shares the Worker's module).
import { env } from "cloudflare:workers";
import type { SessionEvent } from "../../../src/edge/events/event.js";
import { seedApp } from "../../../src/seed/app.js";

const receiver = () => (env as unknown as { RECEIVER: Fetcher }).RECEIVER;

export { userObject as user } from "../helpers.js";
/** vitest.config.ts binds SESSION_WEBHOOK_SECRET to this. */
export const WEBHOOK_SECRET = "test-webhook-secret";

export interface Delivery {
  signature: string | null;
  contentType: string | null;
  body: string;
  status: number;
  event: SessionEvent;
}

/** Every POST the receiver got, answered 2xx or not, in arrival order. */
export async function deliveries(): Promise<Delivery[]> {
  const got = (await (await receiver().fetch("http://receiver.test/received")).json()) as Omit<Delivery, "event">[];
  return got.map((d) => ({ ...d, event: JSON.parse(d.body) as SessionEvent }));
}

/** The events acknowledged (2xx), deduplicated by id as a backend does, in arrival order. */
export async function acknowledged(uid?: number | string): Promise<SessionEvent[]> {
  const seen = new Set<string>();
  const out: SessionEvent[] = [];
  for (const d of await deliveries()) {
    if (d.status !== 200 || seen.has(d.event.id)) continue;
    seen.add(d.event.id);
    if (uid === undefined || String(d.event.uid) === String(uid)) out.push(d.event);
  }
  return out;
}

/** Waits until `pred` holds over the acknowledged events (of uid), at most `ms`. */
export async function waitEvents(
  uid: number | string,
  pred: (events: SessionEvent[]) => boolean,
  ms = 5000,
): Promise<SessionEvent[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const events = await acknowledged(uid);
    if (pred(events)) return events;
    if (Date.now() > deadline) throw new Error(`events of ${uid} were ${JSON.stringify(events)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What the events say, in short: "online 1", "offline:signout 0". */
export const short = (events: readonly SessionEvent[]) =>
  events.map((e) => `${e.type}${e.reason ? `:${e.reason}` : ""} ${e.sockets}`);

/** Tells the receiver how to answer (receiver-worker.js): `fail` hooks, `retry` queue messages, `reset` all. */
export async function control(c: {
  reset?: true;
  fail?: number;
  status?: number;
  delayMs?: number;
  retry?: number;
}): Promise<void> {
  await receiver().fetch("http://receiver.test/control", { method: "POST", body: JSON.stringify(c) });
}

/** The signature the webhook should have sent for `body` at `t`, computed here as docs/events.md#the-signature says. */
export async function expectedSignature(body: string, t: number): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(WEBHOOK_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(`${t}.${body}`)));
  return `t=${t},v1=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Changes = { signIn?: Partial<Mutable<typeof seedApp.signIn>>; events?: Partial<Mutable<typeof seedApp.events>> };

/** Runs `fn` with the seed app's options changed (cap, policy, events), put back after. */
export async function withSeedApp<T>(changes: Changes, fn: () => Promise<T>): Promise<T> {
  const signIn = seedApp.signIn as Mutable<typeof seedApp.signIn>;
  const events = seedApp.events as Mutable<typeof seedApp.events>;
  const was = { signIn: { ...signIn }, events: { ...events } };
  Object.assign(signIn, changes.signIn);
  Object.assign(events, changes.events);
  try {
    return await fn();
  } finally {
    Object.assign(signIn, was.signIn);
    Object.assign(events, was.events);
  }
}
