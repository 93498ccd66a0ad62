// The heartbeat: "#ping" every interval, any frame counts as life, and
// silence after a ping declares the link dead, at the unit level (fake
// timers) and over a real socket to a server that never answers.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Heartbeat } from "../../src/client/heartbeat.js";
import { control, fakeSockets, Recorder, scriptedServer, seedClient, waitFor } from "./helpers.js";

describe("Heartbeat", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("pings every interval and stays alive while frames arrive", () => {
    const ping = vi.fn();
    const dead = vi.fn();
    const h = new Heartbeat({ interval: 1000, timeout: 500 }, ping, dead);
    h.start();
    vi.advanceTimersByTime(1000);
    for (let i = 1; i <= 5; i++) {
      expect(ping).toHaveBeenCalledTimes(i);
      vi.advanceTimersByTime(100);
      h.heard(); // the pong
      vi.advanceTimersByTime(900);
    }
    expect(dead).not.toHaveBeenCalled();
    h.stop();
  });

  it("declares the link dead `timeout` after the first unanswered ping, once", () => {
    const ping = vi.fn();
    const dead = vi.fn();
    const h = new Heartbeat({ interval: 1000, timeout: 1500 }, ping, dead);
    h.start();
    vi.advanceTimersByTime(1000 + 1499);
    expect(ping).toHaveBeenCalledTimes(2); // pings keep going while it waits
    expect(dead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(dead).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(dead).toHaveBeenCalledTimes(1);
    expect(ping).toHaveBeenCalledTimes(2);
  });

  it("extends the deadline while the ping is queued behind data that keeps draining", () => {
    const dead = vi.fn();
    let buffered = 0;
    const h = new Heartbeat(
      { interval: 1000, timeout: 500 },
      () => {
        buffered += 6; // the ping joins the backlog
      },
      dead,
      () => buffered,
    );
    buffered = 10_000;
    h.start();
    vi.advanceTimersByTime(1000); // ping: backlog 10006
    buffered = 6000;
    vi.advanceTimersByTime(500); // shrank: extended
    expect(dead).not.toHaveBeenCalled();
    buffered = 100;
    vi.advanceTimersByTime(500); // shrank again: extended
    expect(dead).not.toHaveBeenCalled();
    vi.advanceTimersByTime(500); // stuck at 100: dead
    expect(dead).toHaveBeenCalledTimes(1);
    // All sent (backlog 0) and still no answer: dead at the first deadline.
    buffered = 0;
    h.start();
    vi.advanceTimersByTime(1000);
    buffered = 0;
    vi.advanceTimersByTime(500);
    expect(dead).toHaveBeenCalledTimes(2);
  });

  it("probes at once when asked (the browser went offline), and is off with interval 0", () => {
    const ping = vi.fn();
    const h = new Heartbeat({ interval: 1000, timeout: 500 }, ping, () => {});
    h.start();
    h.probe();
    expect(ping).toHaveBeenCalledTimes(1);
    h.stop();
    const off = new Heartbeat({ interval: 0, timeout: 500 }, ping, () => {});
    off.start();
    off.probe();
    vi.advanceTimersByTime(10_000);
    expect(ping).toHaveBeenCalledTimes(1);
  });

  it("in the client: a dead link is closed and handled as terminated (1006), then reconnected", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", {
      WebSocket: fake.WebSocket,
      pingInterval: 25,
      pingTimeout: 10,
      random: () => 0,
    });
    const rec = new Recorder(client);
    const first = fake.last();
    first.accept();
    expect(first.sent).toEqual(["#ping"]); // the first at once, with no deadline of its own
    vi.advanceTimersByTime(25_000);
    expect(first.sent).toEqual(["#ping", "#ping"]);
    first.receive("#pong"); // answered: not an application text
    vi.advanceTimersByTime(25_000 + 9_999);
    expect(first.sent).toEqual(["#ping", "#ping", "#ping"]);
    expect(rec.count("terminated")).toBe(0);
    vi.advanceTimersByTime(1);
    expect(rec.log.slice(-2)).toEqual([
      ["close", 1006, "heartbeat timeout", null],
      ["terminated", 1006, null],
    ]);
    expect(first.closedWith?.code).toBe(1000);
    expect(rec.texts).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fake.sockets.length).toBe(2);
  });
});

describe("pings the server answers without its application (docs/client.md#heartbeat)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("one goes at once when a socket opens, unless the heartbeat is off", () => {
    const on = fakeSockets();
    seedClient("ws://edge.test", { WebSocket: on.WebSocket });
    on.last().accept();
    expect(on.last().sent).toEqual(["#ping"]);
    const off = fakeSockets();
    seedClient("ws://edge.test", { WebSocket: off.WebSocket, pingInterval: 0 });
    off.last().accept();
    expect(off.last().sent).toEqual([]);
  });

  it("a liveness probe is answered with one at once, and the page sees neither (docs/sign-in.md#liveness-probe)", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket });
    const rec = new Recorder(client);
    fake.last().accept();
    fake.last().receive(control({ t: "probe" }));
    expect(fake.last().sent).toEqual(["#ping", "#ping"]);
    fake.last().receive("#pong");
    expect(rec.texts).toEqual([]);
    expect(rec.count("message")).toBe(0);
  });
});

describe("the heartbeat in the client, at its deadline", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("leaves a closing socket to its close: a slow 4003 teardown stays a 4003, with no reconnection", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, pingInterval: 25, pingTimeout: 10 });
    const rec = new Recorder(client);
    fake.last().accept();
    vi.advanceTimersByTime(25_000); // ping
    fake.last().readyState = client.CLOSING; // the server's close frame arrived; the TCP teardown is slow
    vi.advanceTimersByTime(10_000);
    expect(rec.names()).toEqual(["open"]);
    fake.last().drop(4003, "kicked", true);
    vi.advanceTimersByTime(60_000);
    expect(rec.names()).toEqual(["open", "close", "disconnected"]);
    expect(fake.sockets.length).toBe(1);
  });

  it("does not kill a busy link: the deadline waits while bufferedAmount keeps shrinking", () => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test", { WebSocket: fake.WebSocket, pingInterval: 25, pingTimeout: 10 });
    const rec = new Recorder(client);
    const socket = fake.last();
    socket.accept();
    socket.bufferedAmount = 1_000_000; // a large upload under way
    vi.advanceTimersByTime(25_000); // the ping queues behind it
    for (const left of [700_000, 300_000, 10_000]) {
      socket.bufferedAmount = left;
      vi.advanceTimersByTime(10_000);
      expect(rec.count("terminated")).toBe(0);
    }
    vi.advanceTimersByTime(10_000); // stuck: dead
    expect(rec.log.at(-1)).toEqual(["terminated", 1006, null]);
    client.disconnect();
  });
});

describe("over a real socket", { timeout: 15_000 }, () => {
  const servers: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it("a server that never answers pings is declared dead, and the client reconnects", async () => {
    const server = await scriptedServer(); // answers nothing, ever
    servers.push(server);
    const client = seedClient(server.url, { pingInterval: 0.1, pingTimeout: 0.3, reconnectionDelay: 0.05 });
    const rec = new Recorder(client);
    try {
      await rec.waitEvent("terminated", 1, 3000);
      const started = server.sockets.length;
      expect(rec.log.find((e) => e[0] === "close")).toEqual(["close", 1006, "heartbeat timeout", null]);
      expect(server.sockets[0]?.received.filter((m) => m === "#ping").length).toBeGreaterThanOrEqual(1);
      await waitFor(() => server.sockets.length > started || server.sockets.length >= 2, 3000);
    } finally {
      client.disconnect();
    }
  });

  it("a server that answers keeps the link up", async () => {
    const server = await scriptedServer((s) => s.ws.on("message", (m) => String(m) === "#ping" && s.ws.send("#pong")));
    servers.push(server);
    const client = seedClient(server.url, { pingInterval: 0.05, pingTimeout: 0.15 });
    const rec = new Recorder(client);
    try {
      await rec.waitEvent("open");
      await new Promise((r) => setTimeout(r, 800));
      expect(rec.count("close")).toBe(0);
      expect(server.sockets.length).toBe(1);
      expect(server.last().received.filter((m) => m === "#ping").length).toBeGreaterThanOrEqual(5);
      expect(rec.texts).toEqual([]); // the pongs are the heartbeat's, not the page's
    } finally {
      client.disconnect();
    }
  });
});

describe("the ping interval told to the server (docs/architecture.md#dead-holders)", () => {
  const opened = (options: { pingInterval?: number }) => {
    const fake = fakeSockets();
    const client = seedClient("ws://edge.test/", { WebSocket: fake.WebSocket, ...options });
    const url = new URL(fake.last().url);
    client.disconnect();
    return url;
  };

  it("is not in the URL at the default interval", () => {
    expect(opened({}).searchParams.has("hb")).toBe(false);
    expect(opened({ pingInterval: 25 }).searchParams.has("hb")).toBe(false);
  });

  it("is ?hb=0 when the heartbeat is off, and the interval in whole seconds otherwise", () => {
    expect(opened({ pingInterval: 0 }).searchParams.get("hb")).toBe("0");
    expect(opened({ pingInterval: 60 }).searchParams.get("hb")).toBe("60");
    expect(opened({ pingInterval: 2.5 }).searchParams.get("hb")).toBe("3");
    expect(opened({ pingInterval: 1e6 }).searchParams.get("hb")).toBe("9999");
  });
});
