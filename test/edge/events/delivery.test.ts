// The outbox's promise (docs/events.md#order-and-delivery): signed as
// documented, one uid's events in seq order, every event through a sink that
// fails for a while, seq continuous across eviction, hibernation and a reset,
// drops after maxAgeMs or past maxPending (logged, counted, the gap in seq),
// the grace, the metrics, and the alarm shared with the audit.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULTS } from "../../../src/edge/app/define-app.js";
import { ADMIN_SECRET, adminGet, closeOpenClients, connect, signOutFrame, waitSize } from "../helpers.js";
import {
  acknowledged,
  control,
  deliveries,
  expectedSignature,
  short,
  user,
  waitEvents,
  withSeedApp,
} from "./helpers.js";

beforeEach(() => control({ reset: true }));
afterEach(() => {
  vi.restoreAllMocks();
  return closeOpenClients();
});

const signedIn = async (uid: "13" | "6") => {
  const c = await connect({ signIn: ["D", uid] });
  await c.until((x) => x.texts.some((t) => t.startsWith(`USER.OK | ${uid}`)));
  return c;
};
/** A session of uid: online, then offline by sign-out. */
const session = async (uid: "13" | "6") => {
  const c = await signedIn(uid);
  c.send(signOutFrame());
  await waitSize(0);
  return c;
};
const FAST_RETRY = { retryBaseMs: 20, retryMaxMs: 80 };

async function metrics(): Promise<string> {
  const res = await SELF.fetch("http://edge.test/admin/metrics", {
    headers: { Authorization: `Bearer ${ADMIN_SECRET}` },
  });
  return res.text();
}
const sample = (text: string, name: string) =>
  Number(new RegExp(`^${name.replace(/[{}"]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);

describe("the webhook", () => {
  it("POSTs each event as JSON, signed with t=<ms>,v1=HMAC-SHA256(secret, t.body)", async () => {
    const before = Date.now();
    await session("13");
    await waitEvents(13, (e) => e.length === 2);
    for (const d of await deliveries()) {
      expect(d.contentType).toBe("application/json");
      const t = Number(/^t=(\d+),v1=[0-9a-f]{64}$/.exec(d.signature ?? "")?.[1]);
      expect(t).toBeGreaterThanOrEqual(before);
      expect(t).toBeLessThanOrEqual(Date.now());
      expect(d.signature).toBe(await expectedSignature(d.body, t));
      expect(Object.keys(JSON.parse(d.body)).sort()).toEqual(
        d.event.type === "online"
          ? ["at", "id", "seq", "sockets", "type", "uid"]
          : ["at", "id", "reason", "seq", "sockets", "type", "uid"],
      );
    }
  });
});

describe("order and delivery", () => {
  it("a sink failing for a while, then answering: every event, in seq order, none missing", async () => {
    const warned = vi.spyOn(console, "warn").mockImplementation(() => {});
    await withSeedApp({ events: FAST_RETRY }, async () => {
      await control({ fail: -1 });
      for (let i = 0; i < 3; i++) await session("13");
      await session("6");
      await new Promise((r) => setTimeout(r, 300));
      // While the head fails, nothing after it is sent: each uid's first event only, tried again and again.
      const tried = await deliveries();
      expect(new Set(tried.map((d) => `${d.event.uid}/${d.event.seq}`)).size).toBe(2);
      expect(tried.filter((d) => d.event.uid === 13).length).toBeGreaterThan(1);
      await control({ fail: 0 });
      const got = await waitEvents(13, (e) => e.length === 6);
      const first = got[0]?.seq as number;
      expect(got.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5].map((n) => first + n));
      expect(short(got)).toEqual(Array(3).fill(["online 1", "offline:signout 0"]).flat());
      expect(short(await waitEvents(6, (e) => e.length === 2))).toEqual(["online 1", "offline:signout 0"]);
    });
    expect(warned).toHaveBeenCalledWith(
      expect.stringMatching(/^sockizy-edge: delivering session event 13 seq \d+ failed/),
    );
  });

  it("an event older than maxAgeMs is dropped, logged and counted, and the next seq shows the gap", async () => {
    const warned = vi.spyOn(console, "warn").mockImplementation(() => {});
    const dropped = sample(await metrics(), 'sockizy_session_events_total{what="dropped"}');
    await withSeedApp({ events: FAST_RETRY }, async () => {
      await control({ fail: -1 });
      await session("13");
      // The two events waited past maxAgeMs: their `at` moved back a day and more.
      await runInDurableObject(user("13"), (_i, state) => {
        state.storage.sql.exec("UPDATE session_outbox SET at = at - ?", 25 * 3_600_000);
      });
      await runDurableObjectAlarm(user("13"));
      await control({ fail: 0 });
      const a = await signedIn("13");
      const got = await waitEvents(13, (e) => e.length === 1);
      const lost = (await deliveries()).filter((d) => d.status === 500).map((d) => d.event.seq);
      expect(got[0]?.seq).toBe(Math.max(...lost) + 2); // seq of the online and the offline dropped: the gap
      expect(short(got)).toEqual(["online 1"]);
      a.close();
    });
    expect(warned).toHaveBeenCalledWith(
      expect.stringMatching(/^sockizy-edge: session events of 13 dropped \(seq \d+-\d+\): older than maxAgeMs/),
    );
    await vi.waitFor(async () =>
      expect(sample(await metrics(), 'sockizy_session_events_total{what="dropped"}')).toBe(dropped + 2),
    );
  });

  it("keeps at most maxPending undelivered events per uid: one more drops the oldest", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    await withSeedApp({ events: { ...FAST_RETRY, maxPending: 3 } }, async () => {
      await control({ fail: -1 });
      for (let i = 0; i < 3; i++) await session("13");
      await runInDurableObject(user("13"), (_i, state) => {
        expect(state.storage.sql.exec("SELECT COUNT(*) AS n FROM session_outbox").one().n).toBe(3);
      });
      await control({ fail: 0 });
      const got = await waitEvents(13, (e) => e.length === 3);
      expect(short(got)).toEqual(["offline:signout 0", "online 1", "offline:signout 0"]);
      expect(got.map((e) => e.seq)).toEqual([1, 2, 3].map((n) => (got[0]?.seq as number) + n - 1));
    });
  });

  it("seq goes on across eviction, hibernation and a reset", async () => {
    const a = await signedIn("13");
    await evictDurableObject(user("13")); // hibernated: the sockets stay
    a.send(signOutFrame());
    await waitSize(0);
    await evictDurableObject(user("13"));
    const b = await signedIn("13");
    await evictDurableObject(user("13"), { webSockets: "close" }); // a reset: the sockets are gone unseen
    await runDurableObjectAlarm(user("13"));
    await b.closed;
    await session("13");
    const got = await waitEvents(13, (e) => e.length === 6);
    expect(short(got)).toEqual([
      "online 1",
      "offline:signout 0",
      "online 1",
      "offline:reaped 0",
      "online 1",
      "offline:signout 0",
    ]);
    const first = got[0]?.seq as number;
    expect(got.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5].map((n) => first + n));
  });
});

describe("offlineGraceMs", () => {
  it("an offline followed within the grace by a new socket is reported as neither", async () => {
    await withSeedApp({ events: { offlineGraceMs: 400 } }, async () => {
      const a = await signedIn("13");
      await waitEvents(13, (e) => e.length === 1);
      a.close();
      await a.closed;
      await waitSize(0);
      const b = await signedIn("13"); // back within 400 ms
      await new Promise((r) => setTimeout(r, 700));
      expect(short(await acknowledged(13))).toEqual(["online 1"]);
      // Past the grace, the offline is reported, `at` saying when it happened.
      const left = Date.now();
      b.send(signOutFrame());
      const got = await waitEvents(13, (e) => e.length === 2);
      expect(short(got)).toEqual(["online 1", "offline:signout 0"]);
      expect(got[1]?.at).toBeGreaterThanOrEqual(left - 5);
      expect(got[1]?.at).toBeLessThan(left + 300);
      expect(Date.now() - left).toBeGreaterThanOrEqual(400);
    });
  });
});

describe("metrics", () => {
  it("counts enqueued, delivered and retried, and ages the oldest undelivered event while the sink fails", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const before = await metrics();
    const total = (text: string, what: string) => sample(text, `sockizy_session_events_total{what="${what}"}`);
    await withSeedApp({ events: FAST_RETRY }, async () => {
      await control({ fail: -1 });
      await session("13");
      await new Promise((r) => setTimeout(r, 200));
      await vi.waitFor(async () => {
        const m = await metrics();
        expect(total(m, "enqueued")).toBe(total(before, "enqueued") + 2);
        expect(total(m, "retried")).toBeGreaterThan(total(before, "retried"));
        expect(sample(m, "sockizy_session_events_oldest_undelivered_seconds")).toBeGreaterThan(0);
      });
      await control({ fail: 0 });
      await waitEvents(13, (e) => e.length === 2);
      await vi.waitFor(async () => {
        const m = await metrics();
        expect(total(m, "delivered")).toBe(total(before, "delivered") + 2);
        expect(sample(m, "sockizy_session_events_oldest_undelivered_seconds")).toBe(0);
      });
    });
  });
});

describe("the alarm, shared with the audit", () => {
  it("retries on their own wakes, without auditing, and gives the audit its time back", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    await withSeedApp({ events: FAST_RETRY }, async () => {
      const a = await signedIn("13");
      await waitEvents(13, (e) => e.length >= 1);
      await new Promise((r) => setTimeout(r, 100));
      const alarmOf = () => runInDurableObject(user("13"), (_i, state) => state.storage.getAlarm());
      const auditAt = (await alarmOf()) as number;
      // The audit's runs, counted inside the object (the same instance throughout: nothing evicts it here).
      await runInDurableObject(user("13"), (instance: unknown) => {
        const host = instance as { auditor: { run(): Promise<void> }; auditRuns?: number };
        const run = host.auditor.run.bind(host.auditor);
        host.auditRuns = 0;
        host.auditor.run = () => {
          host.auditRuns = (host.auditRuns ?? 0) + 1;
          return run();
        };
      });
      const auditRuns = () =>
        runInDurableObject(user("13"), (instance: unknown) => (instance as { auditRuns: number }).auditRuns);
      await control({ fail: 3 });
      a.send(signOutFrame());
      await waitEvents(13, (e) => e.length >= 2);
      await new Promise((r) => setTimeout(r, 100));
      expect((await deliveries()).filter((d) => d.status === 500)).toHaveLength(3);
      expect(await auditRuns()).toBe(0);
      expect(await alarmOf()).toBe(auditAt);
      // The audit's own wake runs it.
      await runDurableObjectAlarm(user("13"));
      expect(await auditRuns()).toBe(1);
    });
  });

  it("stops once the outbox is empty and no socket is held", async () => {
    const c = await session("13");
    c.close();
    await c.closed;
    await waitEvents(13, (e) => e.length === 2);
    await new Promise((r) => setTimeout(r, 100));
    // The audit's last wake finds nothing held and nothing to deliver.
    await runDurableObjectAlarm(user("13"));
    expect(await runDurableObjectAlarm(user("13"))).toBe(false);
    expect(await adminGet("/admin/size")).toEqual({ size: 0 });
  });

  // Last in the file: uid 6 is left with events waiting ten audits for their retry.
  it("keeps the audit within auditMs when a socket comes while the outbox waits long for a retry", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const long = { retryBaseMs: 10 * DEFAULTS.auditMs, retryMaxMs: 10 * DEFAULTS.auditMs };
    await withSeedApp({ events: long }, async () => {
      await control({ fail: -1 });
      const a = await signedIn("6");
      a.close();
      await a.closed;
      await vi.waitFor(async () => expect((await deliveries()).length).toBe(1));
      await runDurableObjectAlarm(user("6")); // the audit: nothing held, so only the retry's alarm is left
      const alarmOf = () => runInDurableObject(user("6"), (_i, state) => state.storage.getAlarm());
      expect(await alarmOf()).toBeGreaterThan(Date.now() + DEFAULTS.auditMs);
      const b = await signedIn("6");
      expect(await alarmOf()).toBeLessThanOrEqual(Date.now() + DEFAULTS.auditMs);
      // The audit's wake does not deliver early: the retry waits its time.
      await runDurableObjectAlarm(user("6"));
      expect((await deliveries()).length).toBe(1);
      b.close();
    });
  });
});
