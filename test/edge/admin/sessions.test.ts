// A user's sessions over the admin API (docs/operations.md#sessions-of-a-user):
// GET /admin/sessions lists the uid's bound sockets, direct and relayed, with
// no IP or credential; POST /admin/kick with a socket id kicks that one.
// The seed's cap is 1: two sockets of one uid are in test/edge/probe/sessions.test.ts.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { SEEN_WRITE_MS, type SessionInfo } from "../../../src/edge/sockets/socket.js";
import { type Control, decodeControl } from "../../../src/protocol/control.js";
import {
  adminGet,
  adminPost,
  closeOpenClients,
  connect,
  signInFrame,
  signOutFrame,
  type TestClient,
  userObject,
  waitSize,
} from "../helpers.js";

const user = userObject;

afterEach(closeOpenClients);

const sessions = async (uid: string) =>
  ((await adminGet(`/admin/sessions?uid=${uid}`)) as { sessions: SessionInfo[] }).sessions;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An original sockizy client (no subprotocol) signed in from a lobby: bound to 13 by relay. */
async function relayed13(): Promise<TestClient> {
  const a = await connect({ ctl: false });
  a.send(signInFrame("D", "13"));
  await a.until((c) => c.texts.filter((t) => t === "USER.OK | 13 | 1").length === 2);
  return a;
}

describe("GET /admin/sessions", () => {
  it("lists a signed-in socket: its id, since, lastSeen, path and ctl, and nothing else", async () => {
    const before = Date.now();
    const a = await connect({ signIn: ["D", "13"], ip: "203.0.113.9" });
    await a.waitText("USER.OK | 13 | 1");
    const body = (await adminGet("/admin/sessions?uid=13")) as { uid: string; sessions: SessionInfo[] };
    expect(body.uid).toBe("13");
    expect(body.sessions).toHaveLength(1);
    const [s] = body.sessions as [SessionInfo];
    expect(Object.keys(s).sort()).toEqual(["ctl", "id", "lastSeen", "path", "since"]);
    expect(s).toMatchObject({ path: "direct", ctl: true });
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(s.since).toBeGreaterThanOrEqual(before);
    expect(s.lastSeen).toBeGreaterThanOrEqual(s.since);
    // No IP address (the attachment keeps the client's for the sign-in limits), no credential.
    expect(JSON.stringify(body)).not.toContain("203.0.113.9");
    expect(JSON.stringify(body)).not.toMatch(/"D"|password|ticket/);
  });

  it("lists nothing for a uid without sockets, or after its sign-out", async () => {
    expect(await adminGet("/admin/sessions?uid=6")).toEqual({ uid: "6", sessions: [] });
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    a.send(signOutFrame());
    await waitSize(0);
    expect(await sessions("13")).toEqual([]);
  });

  it("answers 400 without a uid", async () => {
    const res = await adminGet("/admin/sessions");
    expect(res).toEqual({ error: "uid query parameter required" });
  });

  it("moves lastSeen with frames, in memory, writing the attachment at most every SEEN_WRITE_MS", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    const [bound] = (await sessions("13")) as [SessionInfo];
    await pause(30);
    a.send("hello"); // the first frame: written to the attachment
    await pause(30);
    const first = ((await sessions("13")) as [SessionInfo])[0].lastSeen;
    expect(first).toBeGreaterThan(bound.since);
    await pause(30);
    a.send("again"); // within SEEN_WRITE_MS of the first: in memory only
    await pause(30);
    const second = ((await sessions("13")) as [SessionInfo])[0].lastSeen;
    expect(second).toBeGreaterThan(first);
    expect(second - first).toBeLessThan(SEEN_WRITE_MS);
    // After a wake the memory is gone: the attachment says the first frame, at most SEEN_WRITE_MS early.
    await evictDurableObject(user("13"));
    const [woken] = (await sessions("13")) as [SessionInfo];
    expect(woken.lastSeen).toBe(first);
    expect(woken.id).toBe(bound.id);
    expect(woken.since).toBe(bound.since);
  });

  it("counts a heartbeat the runtime answered while the object hibernated", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    await evictDurableObject(user("13"));
    await pause(30);
    const before = Date.now();
    a.send("#ping");
    await a.waitText("#pong");
    const [s] = (await sessions("13")) as [SessionInfo];
    expect(s.lastSeen).toBeGreaterThanOrEqual(before - 5);
    expect(s.lastSeen).toBeGreaterThan(s.since);
  });

  it("lists a socket bound by relay as path relay, its lastSeen from its holder", async () => {
    const a = await relayed13();
    const [s] = (await sessions("13")) as [SessionInfo];
    expect(s).toMatchObject({ path: "relay", ctl: false });
    expect(s.lastSeen).toBe(s.since);
    await pause(30);
    a.send("USERS.ONLINE");
    await a.waitText("USERS.ONLINE | 1");
    const [later] = (await sessions("13")) as [SessionInfo];
    expect(later.lastSeen).toBeGreaterThan(later.since);
    expect(later.id).toBe(s.id);
  });

  it("reads members stored before their bind time was kept (the column is added; at stands in)", async () => {
    // A uid no test signs in: its object starts with the table as an older version made it.
    await runInDurableObject(user("77"), (_instance, state) => {
      state.storage.sql.exec(`CREATE TABLE relayed (
        kind TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL,
        uid TEXT NOT NULL, at INTEGER NOT NULL,
        PRIMARY KEY (kind, name, id)
      )`);
      state.storage.sql.exec("INSERT INTO relayed VALUES ('lobby', 'lobby-0', 'oldmember', '77', 1234)");
      return state.storage.put("uid", 77);
    });
    await evictDurableObject(user("77"));
    expect(await sessions("77")).toEqual([{ id: "oldmember", since: 1234, lastSeen: 1234, path: "relay", ctl: false }]);
    // Its holder does not hold it (the audit would let it go); a kick lets it go now.
    expect((await adminPost("/admin/kick", { uid: 77, socket: "oldmember" })).status).toBe(200);
    expect(await sessions("77")).toEqual([]);
  });
});

describe("POST /admin/kick", () => {
  it("kicks one socket by id: closed with 4003, its session gone, its resume ticket void", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    await a.until((c) => controls(c).some((m) => m.t === "ticket"));
    const { ticket } = controls(a).find((m) => m.t === "ticket") as { ticket: string };
    const [s] = (await sessions("13")) as [SessionInfo];
    expect((await adminPost("/admin/kick", { uid: 13, socket: s.id })).status).toBe(200);
    expect(await a.closed).toBe(4003);
    await waitSize(0);
    expect(await sessions("13")).toEqual([]);
    const back = await connect({ ticket });
    await back.until((c) => controls(c).length > 0);
    expect(controls(back)).toEqual([{ t: "resume", ok: false }]);
    expect(await adminGet("/admin/count?uid=13")).toEqual({ uid: "13", count: 0 });
  });

  it("kicks a socket bound by relay by its id: its holder closes it with 4003", async () => {
    const a = await relayed13();
    const [s] = (await sessions("13")) as [SessionInfo];
    expect((await adminPost("/admin/kick", { uid: 13, socket: s.id })).status).toBe(200);
    expect(await a.closed).toBe(4003);
    await waitSize(0);
  });

  it("kicks every socket without a socket id, as clear with kick does", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    expect((await adminPost("/admin/kick", { uid: 13 })).status).toBe(200);
    expect(await a.closed).toBe(4003);
    await waitSize(0);
  });

  it("answers 404 to an unknown socket id and 400 to a bad body, changing nothing", async () => {
    const a = await connect({ signIn: ["D", "13"] });
    await a.waitText("USER.OK | 13 | 1");
    const before = await sessions("13");
    const unknown = await adminPost("/admin/kick", { uid: 13, socket: "nosuchsock" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'uid 13 has no session "nosuchsock"' });
    // Another uid's socket id is unknown to this uid.
    expect((await adminPost("/admin/kick", { uid: 6, socket: (before[0] as SessionInfo).id })).status).toBe(404);
    for (const body of [{}, { uid: "" }, { uid: null }, { uid: 13, socket: 5 }, { uid: 13, socket: "" }]) {
      const res = await adminPost("/admin/kick", body);
      expect(res.status).toBe(400);
      expect(await res.json()).toHaveProperty("error");
    }
    expect(await sessions("13")).toEqual(before);
    expect(a.closeCode).toBeUndefined();
  });
});

/** The control frames a client got. */
const controls = (c: TestClient): Control[] =>
  c.received.flatMap((m) => (typeof m === "string" ? [] : [decodeControl(m)].filter((x): x is Control => !!x)));
