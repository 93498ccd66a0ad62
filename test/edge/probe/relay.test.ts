// Spec section 5 for a socket bound by relay (docs/sign-in.md#sign-in-by-relay),
// watched through the probe application (cap 2, "replace-oldest", every
// session event and call answered in text): the relayed member's frames run
// the user object's handlers, and what they send comes back through the
// lobby holding the socket.
import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { TestClient } from "../helpers.js";
import { ask, closeProbeClients, connect, frame, open, signedIn } from "./helpers.js";

afterEach(closeProbeClients);

/** A client that offers no subprotocol (the original sockizy client): it lands in a lobby. */
async function plain(): Promise<TestClient> {
  const res = await SELF.fetch("http://probe.test/", { headers: { Upgrade: "websocket" } });
  if (!res.webSocket) throw new Error(`upgrade failed: ${res.status}`);
  const c = new TestClient(res.webSocket, res.headers.get("Sec-WebSocket-Protocol"));
  open.push(c);
  return c;
}

/** Signs in in-band and waits for the reply. */
async function relayed(user: string): Promise<TestClient> {
  const c = await plain();
  expect(await ask(c, "auth.signIn", { user }, "reply ")).toMatch(/^reply \{"kind":"ok"/);
  return c;
}

describe("a relayed member", () => {
  it("runs the user object's handlers: count, set, emit, its own sends, delete and session.end", async () => {
    const r = await plain();
    expect(await ask(r, "auth.signIn", { user: "alice" }, "reply ")).toBe('reply {"kind":"ok","uid":"alice","size":1}');
    expect(await ask(r, "probe.count", { uid: "" }, "count")).toBe("count 1");
    expect(await ask(r, "probe.set", { uid: "alice" }, "set")).toMatch(/^set error: .*already bound to alice/);
    const b = await signedIn("alice");
    expect(await ask(r, "probe.count", { uid: "" }, "count")).toBe("count 2");
    // session.emit from a local socket reaches the member; and the other way round.
    expect(await ask(b, "probe.emit", { msg: "hi", uid: "" }, "emitted")).toBe("emitted true");
    await r.waitText("session hi");
    expect(await ask(r, "probe.emit", { msg: "yo", uid: "" }, "emitted")).toBe("emitted true");
    await b.waitText("session yo");
    await r.waitText("session yo");
    // A packet of the send table, encoded by the user object, through the lobby.
    const binaries = () => r.received.filter((m) => typeof m !== "string").length;
    const before = binaries();
    r.send(frame("probe.reply", { how: "emit" }));
    await r.until(() => binaries() > before);
    // Not the last socket: no session.end; then unbound, it is handled by its lobby again.
    expect(await ask(r, "probe.delete", null, "deleted")).toBe("deleted, uid null");
    expect(r.texts).not.toContain("end alice");
    expect(await ask(r, "probe.count", { uid: "" }, "count")).toBe("count 0");
    expect(await ask(b, "probe.count", { uid: "" }, "count")).toBe("count 1");
    await ask(b, "probe.delete", null, "deleted");
    expect(b.texts).toContain("end alice");
  });

  it("gets session.clear and, as the last socket, session.end when its uid is cleared", async () => {
    const r = await relayed("alice");
    const w = await connect();
    expect(await ask(w, "probe.clear", { uid: "alice" }, "cleared")).toBe("cleared");
    await r.waitText("clear alice");
    await r.waitText("end alice");
    expect(await ask(w, "probe.size", null, "size")).toBe("size 0");
    expect(r.closeCode).toBeUndefined();
  });

  it("gets io.session.emit() to everyone though its user object holds no socket of its own", async () => {
    // Its shard has a user with a session and none online: the global object must still call it
    // (docs/scale.md#broadcasts-as-a-tree), and hears of it at once, before the sign-in's reply.
    const r = await relayed("relayonly");
    const w = await signedIn("bob");
    expect(await ask(w, "probe.emitAll", { msg: "to all" }, "emitted all")).toBe("emitted all");
    await r.waitText("session to all");
    expect(w.texts).toContain("session to all");
  });

  it("is closed by the user object's disconnect() and unbound, once", async () => {
    const w = await connect();
    const r = await relayed("alice");
    r.send(frame("probe.reply", { how: "disconnect" }));
    expect(await r.closed).toBe(4444);
    await w.waitText("ended alice");
    expect(await ask(w, "probe.count", { uid: "alice" }, "count")).toBe("count 0");
    expect(await ask(w, "probe.size", null, "size")).toBe("size 0");
    expect(w.texts.filter((t) => t === "ended alice")).toEqual(["ended alice"]);
  });
});

describe('"replace-oldest" with relayed members', () => {
  it("replaces the oldest seat, relayed or local", async () => {
    const r1 = await relayed("alice");
    const r2 = await relayed("alice");
    const l = await signedIn("alice");
    await r1.waitText("clear alice");
    expect(await r1.closed).toBe(4001);
    expect(await ask(l, "probe.count", { uid: "" }, "count")).toBe("count 2");
    expect(r2.closeCode).toBeUndefined();

    const b1 = await signedIn("bob");
    await signedIn("bob");
    const rb = await relayed("bob");
    await b1.waitText("clear bob");
    expect(await b1.closed).toBe(4001);
    expect(await ask(rb, "probe.count", { uid: "" }, "count")).toBe("count 2");
  });
});
