// Every way a uid's first socket arrives and its last one goes gives exactly
// its `online`/`offline` event, and nothing else does (docs/events.md#the-event):
// the upgrade, in-band, relay and resume sign-ins; sign-out, close, clear,
// kick (all, and one socket by id), the audit's reaping, a reset; and the
// changes that are neither (a refused sign-in, a second socket, replace-oldest).
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionInfo } from "../../../src/edge/sockets/socket.js";
import { decodeControl } from "../../../src/protocol/control.js";
import {
  adminGet,
  adminPost,
  closeOpenClients,
  connect,
  outboxOf,
  runAudit,
  signInFrame,
  signOutFrame,
  waitSize,
} from "../helpers.js";
import { acknowledged, control, short, user, waitEvents, withSeedApp } from "./helpers.js";

beforeEach(() => control({ reset: true }));
afterEach(async () => {
  await closeOpenClients();
  // The offline events of what the test left signed in are delivered before the next test resets
  // the receiver: on a loaded machine one arrived after that, among the next test's events.
  for (const uid of ["13", "6"] as const) await outboxQuiet(uid);
});

const signedIn = async (uid: "13" | "6", opts: { ctl?: boolean } = {}) => {
  const c = await connect({ signIn: ["D", uid], ...opts });
  await c.until((x) => x.texts.some((t) => t.startsWith(`USER.OK | ${uid}`)));
  return c;
};
/** The last seq uid's object gave (0: none yet; other files of the run may have signed it in). */
const lastSeq = (uid: "13" | "6") =>
  runInDurableObject(user(uid), (_instance, state) => outboxOf(state)?.state().seq ?? 0);
/** Waits until uid's object is offline with no offline pending and every event delivered. */
async function outboxQuiet(uid: "13" | "6"): Promise<void> {
  const deadline = Date.now() + 5_000;
  const quiet = () =>
    runInDurableObject(user(uid), (_instance, state) => {
      const outbox = outboxOf(state);
      if (outbox === null) return true; // no event made yet
      const { online, offlineAt } = outbox.state();
      return !online && offlineAt === null && outbox.count() === 0;
    });
  while (!(await quiet())) {
    if (Date.now() > deadline) throw new Error(`the events of ${uid} were still on their way 5 s after the test`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
/** Lets every alarm and delivery in flight finish, then reads the events of uid. */
const settled = async (uid: number) => {
  await new Promise((r) => setTimeout(r, 300));
  return acknowledged(uid);
};

describe("online and offline, whichever path", () => {
  it("an upgrade sign-in and a sign-out: online (the next seq), offline signout (the one after)", async () => {
    const last = await lastSeq("13");
    const a = await signedIn("13");
    a.send(signOutFrame());
    const events = await waitEvents(13, (e) => e.length === 2);
    expect(short(events)).toEqual(["online 1", "offline:signout 0"]);
    expect(events.map((e) => e.seq)).toEqual([last + 1, last + 2]);
    expect(events.every((e) => e.uid === 13 && typeof e.id === "string")).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
    expect(events[0]?.at).toBeLessThanOrEqual(events[1]?.at as number);
  });

  it("a close: offline close", async () => {
    const a = await signedIn("13");
    a.close();
    expect(short(await waitEvents(13, (e) => e.length === 2))).toEqual(["online 1", "offline:close 0"]);
  });

  it("an in-band sign-in on a socket its user object holds", async () => {
    const a = await signedIn("13");
    a.send(signOutFrame());
    await waitSize(0);
    a.send(signInFrame("D", "13"));
    await a.until((c) => c.texts.filter((t) => t === "USER.OK | 13 | 1").length === 2);
    expect(short(await waitEvents(13, (e) => e.length === 3))).toEqual(["online 1", "offline:signout 0", "online 1"]);
  });

  it("a sign-in by relay from a lobby, and its close", async () => {
    const a = await connect({ ctl: false });
    a.send(signInFrame("D", "13"));
    await a.waitText("USER.OK | 13 | 1");
    await waitEvents(13, (e) => e.length === 1);
    a.close();
    expect(short(await waitEvents(13, (e) => e.length === 2))).toEqual(["online 1", "offline:close 0"]);
  });

  it("a resume with a ticket after the socket dropped", async () => {
    const a = await signedIn("13");
    await a.until((c) => c.received.some((m) => typeof m !== "string" && decodeControl(m)?.t === "ticket"));
    const ticket = a.received
      .map((m) => (typeof m === "string" ? null : decodeControl(m)))
      .find((m) => m?.t === "ticket");
    a.close(4000);
    await waitSize(0);
    const back = await connect({ ticket: (ticket as { ticket: string }).ticket });
    await back.until((c) => c.received.some((m) => typeof m !== "string" && decodeControl(m)?.t === "ticket"));
    expect(short(await waitEvents(13, (e) => e.length === 3))).toEqual(["online 1", "offline:close 0", "online 1"]);
  });

  it("session.set on a signed-out socket its user object holds", async () => {
    const a = await signedIn("13");
    a.send(signOutFrame());
    await waitEvents(13, (e) => e.length === 2);
    // What a handler's `socket.session.set(13)` calls (the seed has no handler that does).
    await runInDurableObject(user("13"), async (instance: unknown, state) => {
      const host = instance as { bind(ws: WebSocket, uid: number): Promise<number> };
      await host.bind(state.getWebSockets()[0] as WebSocket, 13);
    });
    expect(short(await waitEvents(13, (e) => e.length === 3))).toEqual(["online 1", "offline:signout 0", "online 1"]);
  });

  it("a clear, a kick of all, a kick of one socket by id", async () => {
    await signedIn("13");
    await adminPost("/admin/clear", { uid: 13 });
    await waitEvents(13, (e) => e.length === 2);
    await signedIn("6");
    await adminPost("/admin/clear", { uid: 6, kick: true });
    await signedIn("13");
    const [s] = ((await adminGet("/admin/sessions?uid=13")) as { sessions: SessionInfo[] }).sessions;
    await adminPost("/admin/kick", { uid: 13, socket: (s as SessionInfo).id });
    expect(short(await waitEvents(13, (e) => e.length === 4))).toEqual([
      "online 1",
      "offline:clear 0",
      "online 1",
      "offline:kick 0",
    ]);
    expect(short(await waitEvents(6, (e) => e.length === 2))).toEqual(["online 1", "offline:kick 0"]);
  });

  it("a dead holder reaped by the audit, and one reaped by a sign-in the cap would refuse", async () => {
    await signedIn("13");
    await ageSockets("13");
    await runAudit(user("13"));
    expect(short(await waitEvents(13, (e) => e.length === 2))).toEqual(["online 1", "offline:reaped 0"]);
    await signedIn("6");
    await ageSockets("6");
    await signedIn("6");
    expect(short(await waitEvents(6, (e) => e.length === 3))).toEqual(["online 1", "offline:reaped 0", "online 1"]);
  });

  it("sockets a reset dropped without close events: offline reaped, at the alarm or at the next sign-in", async () => {
    await signedIn("13");
    await waitEvents(13, (e) => e.length === 1);
    await evictDurableObject(user("13"), { webSockets: "close" });
    expect(await runAudit(user("13"))).toBe(true);
    expect(short(await waitEvents(13, (e) => e.length === 2))).toEqual(["online 1", "offline:reaped 0"]);
    await signedIn("6");
    await waitEvents(6, (e) => e.length === 1);
    await evictDurableObject(user("6"), { webSockets: "close" });
    await signedIn("6"); // before the alarm: the sign-in finds the uid's sockets gone
    expect(short(await waitEvents(6, (e) => e.length === 3))).toEqual(["online 1", "offline:reaped 0", "online 1"]);
    // Storage outlives the reset: seq goes on from where the uid's earlier tests left it, one by one.
    const [first, ...rest] = (await waitEvents(6, (e) => e.length === 3)).map((e) => e.seq) as [number, number, number];
    expect(rest).toEqual([first + 1, first + 2]);
  });
});

describe("changes that are neither", () => {
  it("a sign-in the cap refuses, a wrong password, an anonymous socket: no event", async () => {
    const a = await signedIn("13");
    const refused = await connect({ signIn: ["D", "13"] });
    await refused.waitText("USER.MAX.CONN | 1 | 1");
    const bad = await connect({ signIn: ["D", "12"] });
    await bad.waitText("USER.BAD | D | 12");
    await connect();
    expect(short(await settled(13))).toEqual(["online 1"]);
    a.close();
    await waitEvents(13, (e) => e.length === 2);
  });

  it("a second socket of the uid, and the first of two going: no event (cap 2)", async () => {
    await withSeedApp({ signIn: { cap: 2 } }, async () => {
      const a = await signedIn("13");
      const b = await signedIn("13");
      a.close();
      await a.closed;
      expect(short(await settled(13))).toEqual(["online 1"]);
      b.send(signOutFrame());
      expect(short(await waitEvents(13, (e) => e.length === 2))).toEqual(["online 1", "offline:signout 0"]);
    });
  });

  it("writes nothing to the outbox for a sign-in or a close that changes neither, two statements for one that does", async () => {
    await withSeedApp({ signIn: { cap: 2 } }, async () => {
      const a = await signedIn("13");
      await waitEvents(13, (e) => e.length === 1);
      await new Promise((r) => setTimeout(r, 100));
      // Every SQL statement the object runs from here, recorded inside it.
      await runInDurableObject(user("13"), (instance: unknown, state) => {
        const sql = state.storage.sql as SqlStorage & { seen?: string[] };
        const exec = sql.exec.bind(sql);
        sql.seen = [];
        sql.exec = ((query: string, ...args: SqlStorageValue[]) => {
          sql.seen?.push(query);
          return exec(query, ...args);
        }) as SqlStorage["exec"];
        return instance;
      });
      const writes = () =>
        runInDurableObject(user("13"), (_i, state) =>
          ((state.storage.sql as SqlStorage & { seen: string[] }).seen ?? []).filter(
            (q) => /session_outbox/.test(q) && /^\s*(INSERT|UPDATE|DELETE)/i.test(q),
          ),
        );
      const b = await signedIn("13");
      b.close();
      await b.closed;
      await new Promise((r) => setTimeout(r, 100));
      expect(await writes()).toEqual([]);
      a.send(signOutFrame());
      await waitEvents(13, (e) => e.length === 2);
      const [insert, state] = await writes();
      expect(insert).toMatch(/^INSERT INTO session_outbox /);
      expect(state).toMatch(/^INSERT OR REPLACE INTO session_outbox_state /);
    });
  });

  it("replace-oldest: the new socket takes the old one's seat in one step, so the uid never went offline", async () => {
    await withSeedApp({ signIn: { policy: "replace-oldest" } }, async () => {
      const a = await signedIn("13");
      await signedIn("13");
      expect(await a.closed).toBe(4001);
      expect(short(await settled(13))).toEqual(["online 1"]);
    });
  });
});

/** Every socket of uid's object looks accepted a minute ago, with no ping since: a dead holder (test/edge/host/dead-holder.test.ts). */
async function ageSockets(uid: string): Promise<void> {
  await runInDurableObject(user(uid), (instance: unknown, state: DurableObjectState) => {
    const host = instance as { view(ws: WebSocket): { attachment: { at: number }; save(): void } };
    for (const ws of state.getWebSockets()) {
      const socket = host.view(ws);
      socket.attachment.at -= 60_000;
      socket.save();
    }
  });
}
