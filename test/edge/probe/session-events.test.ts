// Spec section 5, row by row, watched through the probe application.
import { runInDurableObject, SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { serverPackets } from "../../../src/protocol/index.js";
import type { TestClient } from "../helpers.js";
import { probeApp } from "./app.js";
import { ask, closeProbeClients, connect, frame, signedIn } from "./helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
  return closeProbeClients();
});

describe("socket.session.uid", () => {
  it("is the bound uid after sign-in, and null after delete", async () => {
    const a = await signedIn("alice");
    expect(a.texts[0]).toBe('reply {"kind":"ok","uid":"alice","size":1}');
    expect(await ask(a, "probe.delete", null, "deleted")).toBe("deleted, uid null");
  });
});

describe("socket.session.set(uid)", () => {
  it("binds a signed-out socket to its object's uid and returns size", async () => {
    const a = await signedIn("alice");
    await ask(a, "probe.delete", null, "deleted");
    expect(await ask(a, "probe.set", { uid: "alice" }, "set")).toBe("set 1");
    expect(await ask(a, "probe.count", { uid: "" }, "count")).toBe("count 1");
  });

  it("is an error on a socket that is already bound", async () => {
    const a = await signedIn("alice");
    expect(await ask(a, "probe.set", { uid: "alice" }, "set")).toMatch(/^set error: .*already bound/);
  });

  it("is an error for a uid whose object does not hold the socket", async () => {
    const a = await connect();
    expect(await ask(a, "probe.set", { uid: "alice" }, "set")).toMatch(/^set error: .*sign in through the upgrade/);
  });
});

describe("socket.session.delete()", () => {
  it("fires session.end on the uid's last socket only, and drops the uid", async () => {
    const a = await signedIn("alice");
    const b = await signedIn("alice");
    expect(await ask(a, "probe.delete", null, "deleted")).toBe("deleted, uid null");
    expect(a.texts).not.toContain("end alice");
    expect(await ask(b, "probe.size", null, "size")).toBe("size 1");
    await ask(b, "probe.delete", null, "deleted");
    expect(b.texts).toContain("end alice");
    expect(await ask(b, "probe.size", null, "size")).toBe("size 0");
  });
});

describe("a socket that closes", () => {
  it("is unbound as by delete(): session.end fires once, on the last socket", async () => {
    const watcher = await connect();
    const a = await signedIn("alice");
    const b = await signedIn("alice");
    a.close();
    await a.closed;
    expect(await ask(b, "probe.count", { uid: "" }, "count")).toBe("count 1");
    b.close();
    await watcher.waitText("ended alice");
    // Another user's end proves the watcher saw everything before it.
    const c = await signedIn("carol");
    c.close();
    await watcher.waitText("ended carol");
    expect(watcher.texts.filter((t) => t === "ended alice")).toHaveLength(1);
  });
});

describe("a socket whose close is still being handled", () => {
  it("still holds the uid: session.end fires once, when the last holder is gone", async () => {
    const watcher = await connect();
    // A does not answer the server's close frame (half-open), so its close event waits for the
    // test: web_socket_auto_reply_to_close (docs/operations.md#compatibility-date) would answer
    // it at once and the runtime would run the event before B's delete.
    await signedIn("zed", { allowHalfOpen: true });
    const b = await signedIn("zed");
    const users = (env as unknown as { USERS: DurableObjectNamespace }).USERS;
    const stub = users.get(users.idFromName("zed"));
    const oldest = (state: DurableObjectState) =>
      state.getWebSockets().sort((x, y) => x.deserializeAttachment().at - y.deserializeAttachment().at)[0] as WebSocket;
    // A's close frame has arrived (it is no longer open) but its close event has not run yet.
    await runInDurableObject(stub, (_instance, state) => oldest(state).close(1000, "closing"));
    expect(await ask(b, "probe.delete", null, "deleted")).toBe("deleted, uid null");
    // Now the runtime delivers A's close event.
    await runInDurableObject(stub, (instance: DurableObject, state) =>
      instance.webSocketClose?.(oldest(state), 1000, "closing", true),
    );
    await watcher.waitText("ended zed");
    const c = await signedIn("carol");
    c.close();
    await watcher.waitText("ended carol");
    expect(watcher.texts.filter((t) => t === "ended zed")).toHaveLength(1);
    expect(b.texts).not.toContain("end zed");
  });
});

describe("socket.session.clear([uid])", () => {
  it("gives every socket of the uid session.clear, one of them session.end, and drops the uid", async () => {
    const a = await signedIn("alice");
    const b = await signedIn("alice");
    const other = await signedIn("bob");
    expect(await ask(other, "probe.clear", { uid: "alice" }, "cleared")).toBe("cleared");
    await a.waitText("clear alice");
    await b.waitText("clear alice");
    const ends = [a, b].filter((c) => c.texts.includes("end alice"));
    expect(ends).toHaveLength(1);
    expect(await ask(other, "probe.count", { uid: "alice" }, "count")).toBe("count 0");
    expect(await ask(other, "probe.size", null, "size")).toBe("size 1");
    // The cleared sockets stay connected, unbound.
    expect(a.closeCode).toBeUndefined();
    expect(await ask(a, "probe.delete", null, "deleted")).toBe("deleted, uid null");
  });

  it("defaults to the socket's own uid", async () => {
    const a = await signedIn("alice");
    await ask(a, "probe.clear", { uid: "" }, "cleared");
    await a.waitText("clear alice");
    await a.waitText("end alice");
  });
});

describe("socket.session.count([uid]) and size()", () => {
  it("counts sockets bound to a uid, 0 for none, and distinct uids for size", async () => {
    const a = await signedIn("alice");
    await signedIn("alice");
    await signedIn("bob");
    expect(await ask(a, "probe.count", { uid: "" }, "count")).toBe("count 2");
    expect(await ask(a, "probe.count", { uid: "bob" }, "count")).toBe("count 1");
    expect(await ask(a, "probe.count", { uid: "nobody" }, "count")).toBe("count 0");
    expect(await ask(a, "probe.size", null, "size")).toBe("size 2");
  });

  it("counts 0 for a socket with no uid", async () => {
    const a = await connect();
    expect(await ask(a, "probe.count", { uid: "" }, "count")).toBe("count 0");
  });
});

describe("socket.session.emit(msg[, uid])", () => {
  it("fires session on every socket of the uid, and not on others", async () => {
    const a = await signedIn("alice");
    const b = await signedIn("alice");
    const bob = await signedIn("bob");
    expect(await ask(bob, "probe.emit", { msg: "hi", uid: "alice" }, "emitted")).toBe("emitted true");
    await a.waitText("session hi");
    await b.waitText("session hi");
    expect(bob.texts).not.toContain("session hi");
    expect(await ask(a, "probe.emit", { msg: "own", uid: "" }, "emitted")).toBe("emitted true");
    await b.waitText("session own");
  });

  it("is false on a socket with no uid", async () => {
    const a = await connect();
    expect(await ask(a, "probe.emit", { msg: "x", uid: "" }, "emitted")).toBe("emitted false");
  });
});

describe("io.session.emit(msg)", () => {
  it("fires session on every socket of every uid, and not on anonymous sockets", async () => {
    const a = await signedIn("alice");
    const bob = await signedIn("bob");
    const anon = await connect();
    await ask(anon, "probe.emitAll", { msg: "all" }, "emitted all");
    await a.waitText("session all");
    await bob.waitText("session all");
    expect(anon.texts).not.toContain("session all");
  });
});

describe("socket.emit/json/disconnect, io.emit/json and text frames", () => {
  const news = serverPackets(probeApp.packets.unpack, probeApp.packets.pack).send;
  const packetsOf = (c: TestClient) =>
    c.received.filter((m): m is Uint8Array => typeof m !== "string").map((m) => news.decode(m));

  it("sends a packet of the send table, JSON, and closes with the given code", async () => {
    const a = await connect();
    a.send(frame("probe.reply", { how: "emit" }));
    a.send(frame("probe.reply", { how: "json" }));
    await a.waitText('{"kind":"json","list":[1,2]}');
    expect(packetsOf(a)).toEqual([{ name: "probe.news", id: 0, data: { text: "just you", n: 1 } }]);
    a.send(frame("probe.reply", { how: "disconnect" }));
    expect(await a.closed).toBe(4444);
  });

  it("broadcasts a packet and JSON to every socket, anonymous and signed in", async () => {
    const anon = await connect();
    const alice = await signedIn("alice");
    alice.send(frame("probe.broadcast", { text: "gg" }));
    for (const c of [anon, alice]) {
      await c.waitText('{"broadcast":"gg"}');
      expect(packetsOf(c)).toEqual([{ name: "probe.news", id: 0, data: { text: "gg", n: 2 } }]);
    }
  });

  it("closes for real with a reason too long for a close frame (cut) or a code one may not send (1011)", async () => {
    const a = await connect();
    a.send(frame("probe.reply", { how: "disconnect-long" }));
    expect(await a.closed).toBe(4000);
    const b = await signedIn("zed");
    b.send(frame("probe.reply", { how: "disconnect-bad" }));
    expect(await b.closed).toBe(1011);
    const c = await connect();
    expect(await ask(c, "probe.count", { uid: "zed" }, "count")).toBe("count 0");
  });

  it("hands text frames to the text handler", async () => {
    const a = await connect();
    a.send("hello");
    await a.waitText("echo hello");
  });
});

describe("cap policy replace-oldest", () => {
  it("binds the newest sign-in; the oldest socket gets session.clear and is closed with 4001", async () => {
    const first = await signedIn("alice");
    const second = await signedIn("alice");
    const third = await signedIn("alice");
    expect(third.texts[0]).toBe('reply {"kind":"ok","uid":"alice","size":1}');
    await first.waitText("clear alice");
    expect(await first.closed).toBe(4001);
    expect(second.closeCode).toBeUndefined();
    expect(await ask(third, "probe.count", { uid: "" }, "count")).toBe("count 2");
    expect(first.texts).not.toContain("end alice");
  });
});

describe("authenticate", () => {
  it("gives the error outcome when it throws, and the socket stays anonymous", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const a = await connect("throw");
    await a.waitText('reply {"kind":"error"}');
    expect(a.closeCode).toBeUndefined();
    // The Worker says why (the probe app's authenticate throws for "throw").
    expect(logged).toHaveBeenCalledWith(
      "sockizy-edge: authenticate failed:",
      expect.objectContaining({ message: "auth backend down" }),
    );
  });
});

describe("the admin API without ADMIN_SECRET", () => {
  it("is off: 404 even with a bearer token", async () => {
    const res = await SELF.fetch("http://probe.test/admin/size", { headers: { Authorization: "Bearer anything" } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "the admin API is off (set the ADMIN_SECRET secret)" });
  });

  it("has no dashboard either: GET /admin is 404", async () => {
    const res = await SELF.fetch("http://probe.test/admin");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "the admin API is off (set the ADMIN_SECRET secret)" });
  });
});
