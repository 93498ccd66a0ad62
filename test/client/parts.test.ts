// The small parts: the event emitter, URL resolution, text conversion, and
// the browser's online/offline events (with a stand-in window).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Emitter } from "../../src/client/emitter.js";
import { toText } from "../../src/client/text.js";
import { resolveUrl } from "../../src/client/url.js";
import { fakeSockets, Recorder, seedClient } from "./helpers.js";

describe("Emitter", () => {
  it("on, once, off by listener, by name and all, in order", () => {
    const e = new Emitter();
    const seen: string[] = [];
    const a = (x: string) => seen.push(`a${x}`);
    const b = (x: string) => seen.push(`b${x}`);
    e.on("x", a);
    e.once("x", b);
    e.fire("x", 1);
    e.fire("x", 2);
    expect(seen).toEqual(["a1", "b1", "a2"]);
    e.once("x", b);
    e.off("x", b); // a once listener is removed by the function it was given
    e.fire("x", 3);
    e.off("x", a);
    expect(e.fire("x", 4)).toBe(false);
    e.on("x", a);
    e.on("y", a);
    e.off("x");
    expect([e.listenerCount("x"), e.listenerCount("y")]).toEqual([0, 1]);
    e.off();
    expect(e.listenerCount("y")).toBe(0);
    expect(seen).toEqual(["a1", "b1", "a2", "a3"]);
  });

  it("keeps calling the other listeners when one throws, and reports the error separately", async () => {
    const e = new Emitter();
    const seen: number[] = [];
    const reported: unknown[] = [];
    vi.stubGlobal("reportError", (err: unknown) => reported.push(err));
    try {
      e.on("x", () => {
        throw new Error("boom");
      });
      e.on("x", () => seen.push(1));
      e.fire("x");
      expect(seen).toEqual([1]);
      expect((reported[0] as Error).message).toBe("boom");
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe("resolveUrl", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("reads the forms the original accepted", () => {
    expect(resolveUrl("localhost:1337")).toBe("ws://localhost:1337/");
    expect(resolveUrl("wss://edge.example/")).toBe("wss://edge.example/");
    expect(resolveUrl("https://edge.example")).toBe("wss://edge.example/");
    expect(resolveUrl("http://127.0.0.1:8787")).toBe("ws://127.0.0.1:8787/");
    expect(resolveUrl("ws://edge.example", true)).toBe("wss://edge.example/");
    expect(resolveUrl("//edge.example", true)).toBe("wss://edge.example/");
  });

  it("defaults to the page's host and scheme", () => {
    vi.stubGlobal("location", { protocol: "https:", host: "edge.example:8443" });
    expect(resolveUrl(undefined)).toBe("wss://edge.example:8443/");
    expect(resolveUrl("other.example")).toBe("wss://other.example/");
    vi.stubGlobal("location", { protocol: "http:", host: "127.0.0.1:8787" });
    expect(resolveUrl("")).toBe("ws://127.0.0.1:8787/");
  });

  it("needs a URL when there is no page", () => {
    expect(() => resolveUrl(undefined)).toThrow(/pass the server's URL/);
  });
});

describe("toText", () => {
  it("converts as the original's text() did", () => {
    expect([null, undefined, Number.NaN, 12, "s", { a: 1 }, [1]].map(toText)).toEqual([
      "",
      "",
      "",
      "12",
      "s",
      '{"a":1}',
      "[1]",
    ]);
  });
});

describe("disconnect and connect", () => {
  it("disconnect() reports the close at once and connect() starts over with a fresh open", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, pingInterval: 0 });
    const rec = new Recorder(client);
    fake.last().accept();
    client.disconnect(4000, "bye");
    expect(rec.log).toEqual([["open"], ["close", 4000, "bye", null], ["disconnected", 4000, "bye", null]]);
    expect(client.readyState).toBe(client.CLOSED);
    expect(fake.last().closedWith).toEqual({ code: 4000, reason: "bye" });
    client.connect();
    fake.last().accept();
    expect(rec.names()).toEqual(["open", "close", "disconnected", "open"]);
    expect(fake.sockets.length).toBe(2);
  });

  it("closes plainly when given a code browsers refuse to send", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, pingInterval: 0 });
    fake.last().accept();
    client.disconnect(1001);
    expect(fake.last().closedWith).toEqual({ code: undefined, reason: undefined });
  });
});

describe("online and offline", () => {
  let window: EventTarget;
  let navigator: { onLine: boolean };
  beforeEach(() => {
    vi.useFakeTimers();
    window = new EventTarget();
    navigator = { onLine: true };
    vi.stubGlobal("navigator", navigator);
    vi.stubGlobal("addEventListener", window.addEventListener.bind(window));
    vi.stubGlobal("removeEventListener", window.removeEventListener.bind(window));
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("offline: probes the open socket at once, and a dead one is found within pingTimeout", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, pingInterval: 25, pingTimeout: 2 });
    const rec = new Recorder(client);
    fake.last().accept(); // the first ping goes at once (docs/client.md#heartbeat)
    expect(fake.last().sent).toEqual(["#ping"]);
    navigator.onLine = false;
    window.dispatchEvent(new Event("offline"));
    expect(fake.last().sent).toEqual(["#ping", "#ping"]);
    vi.advanceTimersByTime(2000);
    expect(rec.log.at(-1)).toEqual(["terminated", 1006, null]);
  });

  it("offline: tries only at the cap and spends no attempts; online: reconnects after random * reconnectionDelay", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", {
      WebSocket: fake.WebSocket,
      reconnectionDelay: 2,
      reconnectionDelayMax: 30,
      reconnectionAttempts: 2,
      random: () => 0.5,
      pingInterval: 0,
      connectTimeout: 0,
    });
    const rec = new Recorder(client);
    fake.last().accept();
    navigator.onLine = false;
    window.dispatchEvent(new Event("offline"));
    fake.last().drop(1006);
    vi.advanceTimersByTime(29_000); // no attempt below the cap while offline
    expect(fake.sockets.length).toBe(1);
    // Attempts at the cap (in case "online" never comes) fail, and do not count.
    for (let i = 0; i < 4; i++) {
      vi.advanceTimersByTime(30_000);
      fake.last().drop(1006);
    }
    expect(fake.sockets.length).toBe(5);
    expect(rec.count("unrestored")).toBe(0);
    expect(rec.log.filter((e) => e[0] === "restoring")).toEqual([0, 0, 0, 0].map((n) => ["restoring", n]));
    expect(client.reconnecting).toBe(true);
    // Online: soon, jittered, not in the same instant as every other page.
    navigator.onLine = true;
    window.dispatchEvent(new Event("online"));
    expect(fake.sockets.length).toBe(5);
    vi.advanceTimersByTime(999); // 0.5 * 2 s
    expect(fake.sockets.length).toBe(5);
    vi.advanceTimersByTime(1);
    expect(fake.sockets.length).toBe(6);
    client.disconnect();
  });

  it("stops listening after disconnect()", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, pingInterval: 0 });
    fake.last().accept();
    client.disconnect();
    fake.last().drop(1000, "", true);
    window.dispatchEvent(new Event("online"));
    vi.advanceTimersByTime(60_000);
    expect(fake.sockets.length).toBe(1);
  });
});
