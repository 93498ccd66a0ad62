// The client's bookkeeping around connections, driven by hand (fake sockets,
// fake timers): the connect timeout, listeners that disconnect or reconnect
// while an event fires, a WebSocket constructor that throws, pointing the
// client at another server, what stopping drops, and the offline queue
// across session changes (sign-in, sign-out, a resume the server refuses or
// confirms, the server's {"t":"unbound"}).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClientOptions } from "../../src/client/index.js";
import type { WebSocketClass } from "../../src/client/socket.js";
import { control, fakeSockets, frame2pack, Recorder, seedClient } from "./helpers.js";
import { findReachable } from "./memory.js";

const SIGN_IN = ["login:str24", "password:str24"];
const D13 = { login: "D", password: "13" };
const SIGN_IN_B64 = Buffer.from(frame2pack(0, SIGN_IN, D13)).toString("base64url");
const NEEDLES = { text: SIGN_IN_B64, bytes: frame2pack(0, SIGN_IN, D13) };
/** Where the client holds the sign-in; a FakeSocket keeps the subprotocols it was given (a real one keeps the selected one). */
const password = (client: object) => findReachable(client, NEEDLES).filter((p) => !p.startsWith("client.conn.ws."));
const SIGN_OUT = new Uint8Array([1, 0]);
const TICKET = control({ t: "ticket", ticket: "T1", exp: 0 });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(options: ClientOptions = {}) {
  const fake = fakeSockets();
  const client = seedClient("ws://edge.test", {
    WebSocket: fake.WebSocket,
    pingInterval: 0,
    random: () => 0,
    ...options,
  });
  return { fake, client, rec: new Recorder(client) };
}

/** A client signed in (sign-in in the upgrade) that holds ticket T1. */
function signedIn(options: ClientOptions = {}) {
  const s = setup(options);
  s.client.emit("common.signIn", D13);
  s.fake.last().accept();
  s.fake.last().receive(TICKET);
  return s;
}

describe("connect timeout", () => {
  it("gives up a connection that never opens after pingTimeout, as a cut (1006), and tries again", () => {
    const { fake, rec } = setup({ pingTimeout: 10 });
    const first = fake.last();
    vi.advanceTimersByTime(9_999);
    expect(rec.log).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(rec.log).toEqual([
      ["close", 1006, "connect timeout", null],
      ["terminated", 1006, null],
    ]);
    expect(first.closedWith).toEqual({ code: 1000, reason: "sockizy: connect timeout" });
    vi.advanceTimersByTime(1);
    expect(fake.sockets.length).toBe(2);
    fake.last().accept();
    vi.advanceTimersByTime(60_000); // open: no timeout any more
    expect(rec.names()).toEqual(["close", "terminated", "restoring", "restored", "open"]);
  });

  it("takes connectTimeout when given; 0 turns it off", () => {
    const own = setup({ pingTimeout: 10, connectTimeout: 3 });
    vi.advanceTimersByTime(3_000);
    expect(own.rec.count("terminated")).toBe(1);
    const off = setup({ connectTimeout: 0 });
    vi.advanceTimersByTime(600_000);
    expect(off.rec.log).toEqual([]);
    expect(off.fake.sockets.length).toBe(1);
  });
});

describe("listeners that act while an event fires", () => {
  it("a restored listener that disconnects: the page does not then see open", () => {
    const { fake, client, rec } = setup();
    fake.last().accept();
    fake.last().drop(1006);
    vi.advanceTimersByTime(1);
    client.on("restored", () => client.disconnect());
    fake.last().accept();
    expect(rec.names()).toEqual(["open", "close", "terminated", "restoring", "restored", "close", "disconnected"]);
    expect(client.readyState).toBe(client.CLOSED);
  });

  it("a close listener that reconnects after 4001/4003 does not bring the ticket back", () => {
    for (const code of [4001, 4003]) {
      const { fake, client } = signedIn();
      client.once("close", () => client.connect());
      fake.last().drop(code, "bye", true);
      expect(fake.last().protocols).toEqual(["sockizy"]);
      fake.last().accept();
      fake.last().drop(1006);
      vi.advanceTimersByTime(1);
      expect(fake.last().protocols).toEqual(["sockizy"]); // still no ticket on the next drop
      client.disconnect();
    }
  });

  it("a close listener that disconnects after 4003: a later connect() offers no ticket", () => {
    const { fake, client } = signedIn();
    client.once("close", () => client.disconnect());
    fake.last().drop(4003, "kicked", true);
    client.connect();
    expect(fake.last().protocols).toEqual(["sockizy"]);
  });
});

describe("a WebSocket constructor that throws during a handover", () => {
  it("closes what the page was told is open, reports the error, and the sign-in says dropped", () => {
    const fake = fakeSockets();
    let refuse = false;
    const Throwing = class extends (fake.WebSocket as new (url: string, protocols?: string | string[]) => object) {
      constructor(url: string, protocols?: string | string[]) {
        if (refuse) throw new SyntaxError("refused subprotocol");
        super(url, protocols);
      }
    } as unknown as WebSocketClass;
    const client = seedClient("ws://edge.test", { WebSocket: Throwing, pingInterval: 0 });
    const rec = new Recorder(client);
    fake.last().accept();
    refuse = true;
    expect(client.emit("common.signIn", D13)).toBe("dropped");
    expect(rec.log.map((e) => e.slice(0, 3))).toEqual([
      ["open"],
      ["close", 1006, "cannot open a WebSocket"],
      ["terminated", 1006, null],
      ["error", expect.objectContaining({ name: "SyntaxError" })],
    ]);
    expect(fake.sockets[0]?.closedWith?.code).toBe(1000); // the old socket really is closed
    expect(client.readyState).toBe(client.CLOSED);
    expect(client.text("x")).toBe("dropped"); // stopped
    expect(password(client)).toEqual([]);
  });
});

describe("stopping drops the sign-in", () => {
  it("after disconnect(), emit(signIn) says dropped and opens nothing", () => {
    const { fake, client } = setup();
    fake.last().accept();
    client.disconnect();
    expect(client.emit("common.signIn", D13)).toBe("dropped");
    expect(fake.sockets.length).toBe(1);
    expect(password(client)).toEqual([]);
    client.connect();
    expect(client.emit("common.signIn", D13)).toBe("queued");
    expect(fake.last().protocols).toEqual(["sockizy", `sockizy.${SIGN_IN_B64}`]);
  });

  it("giving up (reconnectionAttempts) and reconnection: false drop a pending sign-in", () => {
    for (const options of [{ reconnectionAttempts: 0 }, { reconnection: false }]) {
      const { fake, client, rec } = setup(options);
      client.emit("common.signIn", D13);
      fake.last().drop(1006); // one failed upgrade: the sign-in would be tried again, but the client stops
      expect(client.reconnecting).toBe(false);
      expect(rec.count("error")).toBe(0);
      expect(password(client)).toEqual([]);
    }
  });
});

describe("a sign-in upgrade that keeps failing", () => {
  it("is tried twice, then dropped with an error; the client falls back to its ticket with normal backoff", () => {
    const { fake, client, rec } = signedIn({ random: () => 0.5 });
    fake.last().drop(1006);
    vi.advanceTimersByTime(500);
    expect(fake.last().protocols).toEqual(["sockizy", "sockizy-resume.T1"]);
    // While reconnecting the page signs in again; the server refuses that upgrade (HTTP 400: 1006 before open).
    expect(client.emit("common.signIn", D13)).toBe("queued");
    expect(fake.last().protocols).toEqual(["sockizy", `sockizy.${SIGN_IN_B64}`]);
    expect(client.text("for the new session")).toBe("queued");
    fake.last().drop(1006);
    expect(rec.count("error")).toBe(0);
    vi.advanceTimersByTime(1000); // backoff of attempt 1: 0.5 * 2 s
    expect(fake.last().protocols).toEqual(["sockizy", `sockizy.${SIGN_IN_B64}`]);
    fake.last().drop(1006);
    expect(rec.log.at(-1)).toEqual(["error", expect.any(Error)]);
    expect(String(rec.log.at(-1)?.[1])).toMatch(/refused the sign-in upgrade 2 times/);
    expect(password(client)).toEqual([]);
    const before = fake.sockets.length;
    vi.advanceTimersByTime(1999); // backoff of attempt 2: 0.5 * 4 s
    expect(fake.sockets.length).toBe(before);
    vi.advanceTimersByTime(1);
    expect(fake.last().protocols).toEqual(["sockizy", "sockizy-resume.T1"]);
    // What was queued for the sign-in's session does not go to the resumed one.
    expect(client.queued).toBe(0);
    fake.last().accept();
    expect(fake.last().sent).toEqual([]);
  });

  it("without a ticket, falls back to an anonymous connection", () => {
    const { fake, client, rec } = setup();
    fake.last().accept();
    client.emit("common.signIn", D13);
    fake.last().drop(1006);
    vi.advanceTimersByTime(1);
    fake.last().drop(1006);
    vi.advanceTimersByTime(1);
    expect(fake.last().protocols).toEqual(["sockizy"]);
    fake.last().accept();
    expect(rec.count("error")).toBe(1);
    expect(rec.count("open")).toBe(2);
  });

  it("counts again for a new sign-in, and an opened one clears the count", () => {
    const { fake, client, rec } = setup();
    client.emit("common.signIn", D13);
    fake.last().drop(1006);
    client.emit("common.signIn", D13); // a new sign-in: a fresh pair of tries
    fake.last().drop(1006);
    vi.advanceTimersByTime(1);
    expect(fake.last().protocols).toEqual(["sockizy", `sockizy.${SIGN_IN_B64}`]);
    expect(rec.count("error")).toBe(0);
    fake.last().accept();
    expect(password(client)).toEqual([]);
  });
});

describe("connect(url) to another server", () => {
  it("drops the ticket, a pending sign-in and the queue; the same URL keeps the ticket", () => {
    const { fake, client } = signedIn();
    client.connect("ws://edge.test/");
    expect(fake.last().protocols).toEqual(["sockizy", "sockizy-resume.T1"]);
    client.connect("ws://other.test");
    // hb=0: this setup turns the heartbeat off, and the client tells the server so.
    expect(fake.last().url).toBe("ws://other.test/?hb=0");
    expect(fake.last().protocols).toEqual(["sockizy"]);
    client.emit("common.signIn", D13);
    expect(client.text("for edge")).toBe("queued");
    client.connect("ws://edge.test");
    expect(fake.last().protocols).toEqual(["sockizy"]);
    expect(client.queued).toBe(0);
    expect(password(client)).toEqual([]);
  });
});

describe("the offline queue across sessions", () => {
  it("a sign-in that opens a new connection drops what was queued before it", () => {
    const { fake, client } = setup();
    expect(client.text("anonymous")).toBe("queued");
    client.emit("common.signIn", D13);
    expect(client.queued).toBe(0);
    expect(client.text("signed in")).toBe("queued");
    fake.last().accept();
    expect(fake.last().sent).toEqual(["signed in"]);
  });

  it("a sign-out while away drops what was queued before it and keeps itself", () => {
    const { fake, client } = signedIn();
    fake.last().drop(1006);
    client.text("as 13");
    expect(client.emit("common.signOut")).toBe("queued");
    client.text("anonymous");
    vi.advanceTimersByTime(1);
    expect(fake.last().protocols).toEqual(["sockizy"]); // the ticket went with the sign-out
    fake.last().accept();
    expect(fake.last().sent).toEqual([SIGN_OUT, "anonymous"]);
  });

  it("a sign-out that is dropped (no queue) changes nothing: the ticket is kept", () => {
    const { fake, client } = signedIn({ queueSize: 0 });
    fake.last().drop(1006);
    expect(client.emit("common.signOut")).toBe("dropped");
    vi.advanceTimersByTime(1);
    expect(fake.last().protocols).toEqual(["sockizy", "sockizy-resume.T1"]);
  });

  /** Signed in with T1, cut, "a" and "b" queued, reconnected with the ticket and open. */
  function resumedWithQueue(options: ClientOptions = {}) {
    const s = signedIn(options);
    s.fake.last().drop(1006);
    s.client.text("a");
    s.client.send(new Uint8Array([7]));
    vi.advanceTimersByTime(1);
    expect(s.fake.last().protocols).toEqual(["sockizy", "sockizy-resume.T1"]);
    s.client.once("open", () => expect(s.client.text("from open")).toBe("queued"));
    s.fake.last().accept();
    // Only the probe: the queue waits for the server's word on the session.
    expect(s.fake.last().sent).toEqual(["#ping"]);
    return s;
  }

  it("a resumed connection sends the queue once the server's new ticket confirms the session", () => {
    const { fake, client } = resumedWithQueue();
    fake.last().receive(control({ t: "ticket", ticket: "T2", exp: 0 }));
    expect(fake.last().sent).toEqual(["#ping", "a", new Uint8Array([7]), "from open"]);
    expect(client.text("now")).toBe("sent");
  });

  it("a refused resume ({resume, ok: false}) drops the queue: it was for the session that is gone", () => {
    const { fake, client, rec } = resumedWithQueue();
    fake.last().receive(control({ t: "resume", ok: false }));
    expect(rec.log.at(-1)).toEqual(["unrestored", 1, "session"]);
    expect(client.queued).toBe(0);
    expect(client.text("now")).toBe("sent");
    expect(fake.last().sent).toEqual(["#ping", "now"]);
  });

  it("a pong before any ticket (the server did not bind the socket: over the cap) drops the queue", () => {
    const { fake, client } = resumedWithQueue();
    fake.last().receive("#pong");
    expect(client.queued).toBe(0);
    expect(client.text("now")).toBe("sent");
    expect(fake.last().sent).toEqual(["#ping", "now"]);
  });

  it("no word at all within pingTimeout: a dead link, and the queue waits for the next connection", () => {
    const { fake, client, rec } = resumedWithQueue({ pingTimeout: 5 });
    vi.advanceTimersByTime(5_000);
    expect(rec.log.slice(-2)).toEqual([
      ["close", 1006, "heartbeat timeout", null],
      ["terminated", 1006, null],
    ]);
    expect(client.queued).toBe(3);
    vi.advanceTimersByTime(1);
    fake.last().accept();
    fake.last().receive(control({ t: "ticket", ticket: "T2", exp: 0 }));
    expect(fake.last().sent).toEqual(["#ping", "a", new Uint8Array([7]), "from open"]);
  });

  it("{unbound} drops the ticket and the queue (the app's sign-out may have any name)", () => {
    const { fake, client } = resumedWithQueue();
    fake.last().receive(control({ t: "unbound" }));
    expect(client.queued).toBe(0);
    expect(fake.last().sent).toEqual(["#ping"]);
    fake.last().drop(1006);
    vi.advanceTimersByTime(1);
    expect(fake.last().protocols).toEqual(["sockizy"]);
  });

  it("{unbound} on an ordinary open socket: the next connection offers no ticket", () => {
    const { fake } = signedIn();
    fake.last().receive(control({ t: "unbound" }));
    fake.last().drop(1006);
    vi.advanceTimersByTime(1);
    expect(fake.last().protocols).toEqual(["sockizy"]);
  });
});
