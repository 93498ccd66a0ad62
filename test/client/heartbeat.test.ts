// The heartbeat: "#ping" every interval, any frame counts as life, and
// silence after a ping declares the link dead, at the unit level (fake
// timers) and over a real socket to a server that never answers.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Heartbeat } from "../../src/client/heartbeat.js";
import { fakeSockets, Recorder, scriptedServer, seedClient, waitFor } from "./helpers.js";

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
    vi.advanceTimersByTime(25_000);
    expect(first.sent).toEqual(["#ping"]);
    first.receive("#pong"); // answered: not an application text
    vi.advanceTimersByTime(25_000 + 9_999);
    expect(first.sent).toEqual(["#ping", "#ping"]);
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
