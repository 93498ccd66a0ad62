// Sign-in in the upgrade, the server's reconnect instruction, resume
// tickets and the close codes that mean "do not come back", against a
// scripted server on 127.0.0.1 that speaks the wire additions
// (src/protocol/control.ts) the way the edge server does.

import { afterEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { io, SignInRaceError, type WebSocketClass } from "../../src/client/index.js";
import { SENT_RECORD } from "../../src/client/sent.js";
import { control, frame2pack, Recorder, scriptedServer, seedClient, sleep, waitFor } from "./helpers.js";
import { findReachable } from "./memory.js";

const SIGN_IN = ["login:str24", "password:str24"];
const signInB64 = (login: string, password: string) =>
  Buffer.from(frame2pack(0, SIGN_IN, { login, password })).toString("base64url");
const SIGN_OUT = new Uint8Array([1, 0]);

type Server = Awaited<ReturnType<typeof scriptedServer>>;
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(onConnection?: Parameters<typeof scriptedServer>[0], options = {}) {
  const server = await scriptedServer(onConnection, options);
  cleanup.push(() => server.close());
  const client = seedClient(server.url, { reconnectionDelay: 0.02, reconnectionDelayMax: 0.1, pingInterval: 0 });
  cleanup.push(() => client.disconnect());
  return { server, client, rec: new Recorder(client) };
}

const signInOf = (s: Server["sockets"][number]) => s.offered.find((p) => p.startsWith("sockizy."))?.slice(8);
const resumeOf = (s: Server["sockets"][number]) => s.offered.find((p) => p.startsWith("sockizy-resume."))?.slice(15);

describe("sign-in", { timeout: 15_000 }, () => {
  it("rides in the upgrade as sockizy.<base64url of the frame 2pack would write>, not as a frame", async () => {
    const { server, client, rec } = await setup();
    expect(client.emit("common.signIn", { login: "D", password: "13" })).toBe("queued");
    await rec.waitEvent("open");
    const s = server.last();
    expect(s.offered).toEqual(["sockizy", `sockizy.${signInB64("D", "13")}`]);
    await sleep(30);
    expect(s.received).toEqual([]);
    expect(rec.count("open")).toBe(1);
    expect(rec.count("close")).toBe(0);
  });

  it("on an open anonymous socket, reopens carrying it, with no close or second open for the page", async () => {
    const { server, client, rec } = await setup();
    await rec.waitEvent("open");
    const anonymous = server.last();
    expect(anonymous.offered).toEqual(["sockizy"]);
    const closed = new Promise<number>((r) => anonymous.ws.once("close", r));
    client.emit("common.signIn", { login: "D", password: "13" });
    await waitFor(() => server.sockets.length === 2 && client.readyState === client.OPEN);
    expect(signInOf(server.last())).toBe(signInB64("D", "13"));
    expect(await closed).toBe(1000);
    await sleep(30);
    expect(rec.names()).toEqual(["open"]);
  });

  it("gives up a sign-in whose upgrade the server refuses (HTTP 400) after two tries: error, then anonymous", async () => {
    let refused = 0;
    const { server, client, rec } = await setup(undefined, {
      refuse: (offered: string[]) => offered.some((p) => p.startsWith("sockizy.")) && ++refused > 0,
      refuseStatus: 400,
    });
    await rec.waitEvent("open");
    const needles = { text: signInB64("D", "13"), bytes: frame2pack(0, SIGN_IN, { login: "D", password: "13" }) };
    expect(client.emit("common.signIn", { login: "D", password: "13" })).toBe("queued");
    // Each refused upgrade is also a WebSocket "error"; the client's own comes after the second.
    const refusal = () => rec.log.filter((e) => e[0] === "error" && /refused the sign-in upgrade/.test(String(e[1])));
    await waitFor(() => refusal().length === 1);
    await rec.waitEvent("restored");
    expect(server.sockets.map((s) => s.offered)).toEqual([["sockizy"], ["sockizy"]]);
    expect(client.readyState).toBe(client.OPEN);
    await sleep(300); // and no more tries
    expect(refused).toBe(2);
    expect(findReachable(client, needles)).toEqual([]);
  });

  it("follows the server's reconnect instruction with the sign-in it sends back", async () => {
    // Like a user object told to bind another uid: "reconnect with this sign-in".
    const { server, client, rec } = await setup((s) =>
      s.ws.on("message", (m, isBinary) => {
        if (isBinary && (m as Buffer)[0] === 0) {
          s.ws.send(control({ t: "reconnect", signin: Buffer.from(m as Buffer).toString("base64url") }));
        }
      }),
    );
    client.emit("common.signIn", { login: "D", password: "13" });
    await rec.waitEvent("open");
    // The socket was opened signed in, so a new sign-in goes to the server as a frame...
    expect(client.emit("common.signIn", { login: "D", password: "6" })).toBe("sent");
    // ...which answers with the instruction; the client reconnects carrying it.
    await waitFor(() => server.sockets.length === 2 && client.readyState === client.OPEN);
    expect(signInOf(server.last())).toBe(signInB64("D", "6"));
    expect(rec.names()).toEqual(["open"]);
  });
});

describe("frames sent after an in-band sign-in (issue 16)", { timeout: 15_000 }, () => {
  // An application whose sign-in is `auth.login` (id 0); the client is not told (no `signIn` option).
  const SEND = { "auth.login": ["user:str24"], "room.shout": ["text:str64"] } as const;
  const login = (user: string) => frame2pack(0, ["user:str24"], { user });

  /** A server that answers `auth.login` frames with the reconnect instruction, as a lobby does. */
  async function lobby() {
    const server = await scriptedServer((s) =>
      s.ws.on("message", (m, isBinary) => {
        if (isBinary && (m as Buffer)[0] === 0 && (m as Buffer)[1] === 0) {
          s.ws.send(control({ t: "reconnect", signin: Buffer.from(m as Buffer).toString("base64url") }));
        }
      }),
    );
    cleanup.push(() => server.close());
    const client = io(server.url, {
      WebSocket: WebSocket as unknown as WebSocketClass,
      reconnectionDelay: 0.02,
      pingInterval: 0,
    }).packets(SEND);
    cleanup.push(() => client.disconnect());
    return { server, client };
  }

  it("reports what was flushed from the queue after an unrecognised sign-in, learns the packet, and keeps no frame", async () => {
    const { server, client } = await lobby();
    const errors: Error[] = [];
    client.on("error", (e) => errors.push(e));
    // Before the socket opens both are queued, then flushed in order on the anonymous socket.
    expect(client.emit("auth.login", { user: "ada" })).toBe("queued");
    expect(client.emit("room.shout", { text: "one" })).toBe("queued");
    expect(client.text("two")).toBe("queued");
    await waitFor(() => errors.length === 1 && server.sockets.length === 2 && client.readyState === client.OPEN);
    const error = errors[0] as SignInRaceError;
    expect(error).toBeInstanceOf(SignInRaceError);
    expect([error.signIn, error.frames, error.partial]).toEqual(["auth.login", ["room.shout", "text"], false]);
    expect(error.message).toContain('Pass { signIn: "auth.login" } to io().');
    expect(signInOf(server.last())).toBe(Buffer.from(login("ada")).toString("base64url"));
    expect(client.signInPacket).toBe("auth.login");
    // The record keeps fingerprints, not frames: the sign-in's bytes are nowhere once its connection is open.
    const needles = { text: Buffer.from(login("ada")).toString("base64url"), bytes: login("ada") };
    expect(findReachable(client, needles)).toEqual([]);
  });

  it("says nothing when nothing followed the sign-in", async () => {
    const { server, client } = await lobby();
    const errors: Error[] = [];
    client.on("error", (e) => errors.push(e));
    await waitFor(() => client.readyState === client.OPEN);
    client.emit("room.shout", { text: "before the sign-in: anonymous, as meant" });
    client.emit("auth.login", { user: "ada" });
    await waitFor(() => server.sockets.length === 2 && client.readyState === client.OPEN);
    await sleep(30);
    expect(errors).toEqual([]);
  });

  it("with no error listener, the console says it", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    cleanup.push(() => warn.mockRestore());
    const { client } = await lobby();
    await waitFor(() => client.readyState === client.OPEN);
    client.emit("auth.login", { user: "ada" });
    client.emit("room.shout", { text: "x" });
    await waitFor(() => warn.mock.calls.length === 1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(
      /^sockizy: 1 frame\(s\) sent after the sign-in "auth\.login" were handled before it took effect.*: room\.shout\./,
    );
  });

  it(`a sign-in older than the last ${SENT_RECORD} frames: all of them are reported, as "at least"`, async () => {
    // This server answers the sign-in only after the burst behind it has arrived.
    let held: Buffer | undefined;
    const server = await scriptedServer((s) =>
      s.ws.on("message", (m, isBinary) => {
        const b = m as Buffer;
        if (isBinary && b[0] === 0 && b[1] === 0) held = Buffer.from(b);
        else if (held && s.received.length === SENT_RECORD + 11) {
          s.ws.send(control({ t: "reconnect", signin: held.toString("base64url") }));
        }
      }),
    );
    cleanup.push(() => server.close());
    const client = io(server.url, { WebSocket: WebSocket as unknown as WebSocketClass, pingInterval: 0 }).packets(SEND);
    cleanup.push(() => client.disconnect());
    const errors: SignInRaceError[] = [];
    client.on("error", (e) => errors.push(e as SignInRaceError));
    await waitFor(() => client.readyState === client.OPEN);
    client.emit("auth.login", { user: "ada" });
    for (let i = 0; i < SENT_RECORD + 10; i++) client.emit("room.shout", { text: String(i) });
    await waitFor(() => errors.length === 1);
    expect(errors[0]?.partial).toBe(true);
    expect(errors[0]?.frames).toHaveLength(SENT_RECORD);
    expect(errors[0]?.message).toMatch(/^at least 256 frame\(s\) sent after/);
  });
});

describe("resume", { timeout: 15_000 }, () => {
  /** A server that hands out ticket T<n> to every signed-in or resumed connection, or refuses resumes when told to. */
  function ticketing(opts: { refuse?: boolean } = {}) {
    let n = 0;
    return (s: Server["sockets"][number]) => {
      if (resumeOf(s) && opts.refuse) s.ws.send(control({ t: "resume", ok: false }));
      else if (signInOf(s) || resumeOf(s))
        s.ws.send(control({ t: "ticket", ticket: `T${++n}`, exp: Date.now() + 60_000 }));
      s.ws.on("message", (m, isBinary) => {
        // A ticket already on its way when the sign-out arrives.
        if (isBinary && (m as Buffer)[0] === 1) s.ws.send(control({ t: "ticket", ticket: "LATE", exp: 0 }));
      });
    };
  }

  it("comes back after every socket was cut with the latest ticket, and never with the sign-in", async () => {
    const { server, client, rec } = await setup(ticketing());
    client.emit("common.signIn", { login: "D", password: "13" });
    await rec.waitEvent("open");
    await sleep(50); // the ticket arrives
    server.dropAll();
    await rec.waitEvent("restored");
    expect(server.sockets.map((s) => s.offered)).toEqual([
      ["sockizy", `sockizy.${signInB64("D", "13")}`],
      ["sockizy", "sockizy-resume.T1"],
    ]);
    await sleep(50);
    server.dropAll();
    await rec.waitEvent("restored", 2);
    expect(resumeOf(server.last())).toBe("T2"); // the latest one
    const again = ["close", "terminated", "restoring", "restored", "open"];
    expect(rec.names()).toEqual(["open", ...again, ...again]);
  });

  it("forgets the ticket when the server refuses it (unrestored, reason session) and reconnects anonymously", async () => {
    let refuse = false;
    const issue = ticketing();
    const refusing = ticketing({ refuse: true });
    const { server, client, rec } = await setup((s) => (refuse ? refusing(s) : issue(s)));
    client.emit("common.signIn", { login: "D", password: "13" });
    await rec.waitEvent("open");
    await sleep(50);
    refuse = true;
    server.dropAll();
    await rec.waitEvent("unrestored");
    expect(rec.log.at(-1)).toEqual(["unrestored", 1, "session"]);
    expect(client.readyState).toBe(client.OPEN); // still connected, anonymously
    server.dropAll();
    await waitFor(() => server.sockets.length === 3);
    expect(server.last().offered).toEqual(["sockizy"]);
  });

  it("forgets the ticket at sign-out, including one that arrives after it", async () => {
    const { server, client, rec } = await setup(ticketing());
    client.emit("common.signIn", { login: "D", password: "13" });
    await rec.waitEvent("open");
    await sleep(50);
    client.emit("common.signOut");
    await waitFor(() => server.last().received.length === 1);
    expect(server.last().received).toEqual([SIGN_OUT]);
    await sleep(50); // the LATE ticket arrives
    server.dropAll();
    await rec.waitEvent("restored");
    expect(server.last().offered).toEqual(["sockizy"]);
  });

  it("forgets the ticket on the server's {unbound}, whatever the app's sign-out packet is called", async () => {
    // The client is told the sign-out is another packet: only the server's word can tell it.
    const server = await scriptedServer((s) => {
      if (signInOf(s) || resumeOf(s)) s.ws.send(control({ t: "ticket", ticket: "T", exp: Date.now() + 60_000 }));
      s.ws.on("message", (m, isBinary) => isBinary && (m as Buffer)[0] === 1 && s.ws.send(control({ t: "unbound" })));
    });
    cleanup.push(() => server.close());
    const client = seedClient(server.url, { reconnectionDelay: 0.02, pingInterval: 0, signOut: "app.logout" });
    cleanup.push(() => client.disconnect());
    const rec = new Recorder(client);
    client.emit("common.signIn", { login: "D", password: "13" });
    await rec.waitEvent("open");
    await sleep(30);
    server.dropAll();
    await rec.waitEvent("restored");
    expect(resumeOf(server.last())).toBe("T"); // the ticket works until...
    expect(client.emit("common.signOut")).toBe("sent"); // ...a packet the client does not know is a sign-out
    await sleep(50); // {unbound} arrives
    server.dropAll();
    await rec.waitEvent("restored", 2);
    expect(server.last().offered).toEqual(["sockizy"]);
  });

  it("holds no password or sign-in frame once the connection that carried it is open", async () => {
    const { client, rec } = await setup(ticketing());
    const needles = { text: signInB64("D", "13"), bytes: frame2pack(0, SIGN_IN, { login: "D", password: "13" }) };
    client.emit("common.signIn", { login: "D", password: "13" });
    // While it connects the sign-in is needed (a failed upgrade is retried with it): the search finds it.
    expect(findReachable(client, needles).length).toBeGreaterThan(0);
    await rec.waitEvent("open");
    await sleep(50);
    expect(findReachable(client, needles)).toEqual([]);
  });
});

describe("close codes", { timeout: 15_000 }, () => {
  it("does not reconnect, and forgets the ticket, after 4001 (replaced) or 4003 (kicked)", async () => {
    for (const code of [4001, 4003]) {
      const { server, client, rec } = await setup((s) => {
        if (signInOf(s)) s.ws.send(control({ t: "ticket", ticket: "T", exp: Date.now() + 60_000 }));
      });
      client.emit("common.signIn", { login: "D", password: "13" });
      await rec.waitEvent("open");
      await sleep(30);
      server.last().ws.close(code, "bye");
      await rec.waitEvent("disconnected");
      await sleep(200);
      expect(server.sockets.length).toBe(1);
      expect(client.reconnecting).toBe(false);
      expect(rec.names()).toEqual(["open", "close", "disconnected"]);
      expect(client.text("x")).toBe("dropped");
      client.connect(); // by hand: anonymous, no ticket
      await waitFor(() => server.sockets.length === 2);
      expect(server.last().offered).toEqual(["sockizy"]);
    }
  });

  it("forgets the ticket after 4003 even when a close listener reconnects at once", async () => {
    const { server, client, rec } = await setup((s) => {
      if (signInOf(s)) s.ws.send(control({ t: "ticket", ticket: "T", exp: Date.now() + 60_000 }));
    });
    client.emit("common.signIn", { login: "D", password: "13" });
    await rec.waitEvent("open");
    await sleep(30);
    client.once("close", () => client.connect());
    server.last().ws.close(4003, "kicked");
    await waitFor(() => server.sockets.length === 2);
    expect(server.last().offered).toEqual(["sockizy"]);
  });

  it("reconnects after other codes, including a clean 1000 from the server; the list is configurable", async () => {
    const server = await scriptedServer();
    cleanup.push(() => server.close());
    const client = seedClient(server.url, { reconnectionDelay: 0.02, noReconnectCodes: [4100], pingInterval: 0 });
    cleanup.push(() => client.disconnect());
    const rec = new Recorder(client);
    await rec.waitEvent("open");
    for (const code of [1000, 1001, 1011, 4003]) {
      const before = server.sockets.length;
      server.last().ws.close(code);
      await waitFor(() => server.sockets.length === before + 1 && client.readyState === client.OPEN);
    }
    server.last().ws.close(4100);
    await rec.waitEvent("disconnected", 5);
    await sleep(150);
    expect(server.sockets.length).toBe(5);
  });

  it("gives up after reconnectionAttempts refused upgrades: unrestored(attempts, 'attempts')", async () => {
    let refuse = false;
    const server = await scriptedServer(undefined, { refuse: () => refuse });
    cleanup.push(() => server.close());
    const client = seedClient(server.url, { reconnectionDelay: 0.01, reconnectionAttempts: 3, pingInterval: 0 });
    cleanup.push(() => client.disconnect());
    const rec = new Recorder(client);
    await rec.waitEvent("open");
    refuse = true;
    server.dropAll();
    await rec.waitEvent("unrestored", 1, 5000);
    expect(rec.log.filter((e) => e[0] !== "error")).toEqual([
      ["open"],
      ["close", 1006, ""],
      ["terminated", 1006],
      ...[0, 1, 2].flatMap((n) => [
        ["restoring", n],
        ["close", 1006, ""],
        ["terminated", 1006],
      ]),
      ["unrestored", 3, "attempts"],
    ]);
  });
});
