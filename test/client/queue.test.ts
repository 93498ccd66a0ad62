// The offline queue: bounded by count and bytes, with the documented policy
// when full, and what `emit` reports in each case.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { io } from "../../src/client/index.js";
import { OfflineQueue } from "../../src/client/queue.js";
import { EncodeError } from "../../src/protocol/index.js";
import { fakeSockets, seedClient } from "./helpers.js";

describe("OfflineQueue", () => {
  it("drop-newest: refuses what does not fit and keeps the rest in order", () => {
    const q = new OfflineQueue({ size: 3, bytes: 1000, policy: "drop-newest" });
    expect(["a", "b", "c", "d"].map((f) => q.push(f))).toEqual(["queued", "queued", "queued", "dropped"]);
    expect(q.drain()).toEqual(["a", "b", "c"]);
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
  });

  it("drop-oldest: makes room by discarding the oldest", () => {
    const q = new OfflineQueue({ size: 3, bytes: 1000, policy: "drop-oldest" });
    expect(["a", "b", "c", "d"].map((f) => q.push(f))).toEqual(["queued", "queued", "queued", "queued"]);
    expect(q.drain()).toEqual(["b", "c", "d"]);
  });

  it("counts UTF-8 bytes of text and byteLength of binary against the byte limit", () => {
    const q = new OfflineQueue({ size: 100, bytes: 10, policy: "drop-newest" });
    expect(q.push("ééé")).toBe("queued"); // 6 bytes, 3 characters
    expect(q.push(new Uint8Array(4))).toBe("queued");
    expect(q.bytes).toBe(10);
    expect(q.push("x")).toBe("dropped");
    const o = new OfflineQueue({ size: 100, bytes: 10, policy: "drop-oldest" });
    o.push("ééé");
    o.push(new Uint8Array(4));
    expect(o.push("xy")).toBe("queued");
    expect(o.bytes).toBe(6);
  });

  it("drop-newest: once it refused a frame, refuses every frame until drained, even one that fits (no holes)", () => {
    const q = new OfflineQueue({ size: 100, bytes: 10, policy: "drop-newest" });
    expect(["12345678", "abc", "x"].map((f) => q.push(f))).toEqual(["queued", "dropped", "dropped"]);
    expect(q.drain()).toEqual(["12345678"]);
    expect(q.push("x")).toBe("queued");
    // A frame larger than the limit on its own starts the refusal too.
    expect(["too long a frame", "y"].map((f) => q.push(f))).toEqual(["dropped", "dropped"]);
    q.clear();
    expect(q.push("y")).toBe("queued");
    // drop-oldest makes room instead, and a frame too large on its own does not stop the next.
    const o = new OfflineQueue({ size: 100, bytes: 10, policy: "drop-oldest" });
    expect(["12345678", "too long a frame", "x"].map((f) => o.push(f))).toEqual(["queued", "dropped", "queued"]);
  });

  it("drops a frame larger than the byte limit on its own, and everything when off", () => {
    for (const policy of ["drop-newest", "drop-oldest"] as const) {
      const q = new OfflineQueue({ size: 10, bytes: 4, policy });
      q.push("ab");
      expect(q.push("abcde")).toBe("dropped");
      expect(q.drain()).toEqual(["ab"]);
    }
    expect(new OfflineQueue({ size: 0, bytes: 100, policy: "drop-oldest" }).push("a")).toBe("dropped");
  });
});

describe("emit, text, json and send through the queue", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("queues while connecting, flushes in order before anything the open listener sends, then sends", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, pingInterval: 0 });
    expect(client.emit("common.signOut")).toBe("queued");
    expect(client.text("one")).toBe("queued");
    expect(client.json({ n: 2 })).toBe("queued");
    expect(client.send(new Uint8Array([1, 0]))).toBe("queued");
    expect(client.queued).toBe(4);
    client.on("open", () => client.text("from open"));
    fake.last().accept();
    expect(fake.last().sent).toEqual([new Uint8Array([1, 0]), "one", '{"n":2}', new Uint8Array([1, 0]), "from open"]);
    expect(client.text("now")).toBe("sent");
    expect(client.queued).toBe(0);
  });

  it("send() copies the page's bytes when it queues them (a reused buffer does not change what goes out)", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, pingInterval: 0 });
    const buffer = new ArrayBuffer(4);
    const bytes = new Uint8Array(buffer);
    bytes.set([1, 2, 3, 4]);
    expect(client.send(bytes.subarray(1, 3))).toBe("queued");
    expect(client.send(buffer)).toBe("queued");
    expect(client.send(new DataView(buffer, 3, 1))).toBe("queued");
    bytes.fill(9);
    fake.last().accept();
    expect(fake.last().sent).toEqual([new Uint8Array([2, 3]), new Uint8Array([1, 2, 3, 4]), new Uint8Array([4])]);
  });

  it("queues during a drop and delivers on the next connection", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, random: () => 0, pingInterval: 0 });
    fake.last().accept();
    fake.last().drop(1006);
    expect(client.text("while away")).toBe("queued");
    vi.advanceTimersByTime(1);
    fake.last().accept();
    expect(fake.last().sent).toEqual(["while away"]);
  });

  it("says dropped when the queue is full (drop-newest) and keeps the first ones", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, queueSize: 2, pingInterval: 0 });
    expect([client.text("1"), client.text("2"), client.text("3")]).toEqual(["queued", "queued", "dropped"]);
    fake.last().accept();
    expect(fake.last().sent).toEqual(["1", "2"]);
  });

  it("says queued and keeps the latest with drop-oldest", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", {
      WebSocket: fake.WebSocket,
      queueSize: 2,
      queuePolicy: "drop-oldest",
      pingInterval: 0,
    });
    expect([client.text("1"), client.text("2"), client.text("3")]).toEqual(["queued", "queued", "queued"]);
    fake.last().accept();
    expect(fake.last().sent).toEqual(["2", "3"]);
  });

  it("says dropped after disconnect(), and for data that cannot be encoded (with an error event)", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, pingInterval: 0 });
    client.text("pending");
    client.disconnect();
    expect(client.queued).toBe(0);
    expect(client.text("late")).toBe("dropped");
    const errors: Error[] = [];
    const loose = io("ws://edge.test", { WebSocket: fake.WebSocket }).packets({ blob: ["data:bin"] });
    loose.on("error", (e) => errors.push(e));
    expect(loose.emit("blob", { data: "not bytes" as never })).toBe("dropped");
    expect(errors[0]).toBeInstanceOf(EncodeError);
    expect(errors[0]?.message).toMatch(/"blob", field "data"/);
    expect(loose.queued).toBe(0);
  });

  it("throws an EncodeError naming a packet the client does not send, and changes nothing", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, pingInterval: 0 });
    const errors: Error[] = [];
    client.on("error", (e) => errors.push(e));
    client.text("pending");
    let thrown: unknown;
    try {
      client.emit("common.signUp" as never);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(EncodeError);
    expect((thrown as EncodeError).packet).toBe("common.signUp");
    expect((thrown as Error).message).toBe(
      'cannot encode packet "common.signUp": not a packet this client sends (packets(pack, unpack, shared): common.signIn, common.signOut)',
    );
    // A received-only packet is not sendable either; a client with no tables sends nothing.
    const received = io("ws://edge.test", { WebSocket: fake.WebSocket, autoConnect: false }).packets(null, {
      gold: ["n:uint8"],
    });
    expect(() => received.emit("gold" as never, { n: 1 } as never)).toThrow(
      /"gold": not a packet this client sends \(.*none declared\)/,
    );
    expect(() =>
      io("ws://edge.test", { WebSocket: fake.WebSocket, autoConnect: false }).emit("common.signIn", {}),
    ).toThrow(EncodeError);
    // Nothing was queued, sent or reported as an event.
    expect(client.queued).toBe(1);
    expect(errors).toEqual([]);
    fake.last().accept();
    expect(fake.last().sent).toEqual(["pending"]);
  });
});
