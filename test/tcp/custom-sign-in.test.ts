// Issue 16: the Node client with an application whose sign-in packet is
// its own (`auth.login`, test/tcp/custom-sign-in/app.ts) and no `signIn`
// option. The client cannot tell that packet is the sign-in, so it sends it
// on the open anonymous socket; the server signs in and answers with the
// reconnect instruction, and the client moves to a new socket. A packet sent
// right after the sign-in went to the old socket, where the lobby handled it
// as anonymous: before, it was lost without a word. Now it is reported (an
// `error` event naming it), the client learns the sign-in packet from the
// instruction, and the next sign-in holds what follows it until the signed-in
// socket opens, so it is delivered. Over TCP, against the local server.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Client, io, type WebSocketClass } from "../../src/client/index.js";
import { type LocalServer, startLocalServer } from "../support/local-server.js";

const CONFIG = new URL("./custom-sign-in/wrangler.toml", import.meta.url).pathname;

const SEND = { "auth.login": ["user:str24"], "auth.logout": null, "room.shout": ["text:str64"] } as const;
const RECEIVE = { "auth.ok": ["uid:str24"], "auth.bad": null, "room.echo": ["from:str24", "text:str64"] } as const;

let server: LocalServer;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startLocalServer({}, 90_000, CONFIG);
}, 120_000);
afterAll(() => server?.stop(), 20_000);
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

/** A client of the app with no `signIn` option, and what it heard. */
function client() {
  const c = io(server.url.replace("http:", "ws:"), {
    WebSocket: WebSocket as unknown as WebSocketClass,
    pingInterval: 5,
  }).packets(SEND, RECEIVE);
  clients.push(c as unknown as Client);
  const heard = { ok: [] as string[], echo: [] as string[], errors: [] as Error[], opens: 0 };
  c.on("auth.ok", ({ uid }) => heard.ok.push(uid));
  c.on("room.echo", ({ from, text }) => heard.echo.push(`${from}: ${text}`));
  c.on("error", (e) => heard.errors.push(e));
  c.on("open", () => heard.opens++);
  return { c, heard };
}

type Heard = ReturnType<typeof client>["heard"];

/** Waits until `pred` holds; on timeout, says what it waited for and everything the client heard. */
async function until(heard: Heard, pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) {
      const state = { ...heard, errors: heard.errors.map((e) => e.message) };
      throw new Error(`timed out after ${ms} ms waiting for ${what}; heard ${JSON.stringify(state)}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("a custom sign-in packet without the signIn option", () => {
  it("a packet emitted right after the sign-in is delivered or reported, never lost without a word", async () => {
    const { c, heard } = client();
    await until(heard, () => heard.opens === 1, "open");
    expect(c.emit("auth.login", { user: "ada" })).toBe("sent");
    expect(c.emit("room.shout", { text: "right after" })).toBe("sent");
    await until(heard, () => heard.ok.length === 1, "auth.ok");
    await until(
      heard,
      () => heard.echo.includes("ada: right after") || heard.errors.length > 0,
      "the echo or a report",
    );
    if (!heard.echo.includes("ada: right after")) {
      // Reported: which packet, which sign-in, and what to pass.
      expect(heard.errors).toHaveLength(1);
      const error = heard.errors[0] as Error & { frames?: string[]; signIn?: string };
      expect(error.frames).toEqual(["room.shout"]);
      expect(error.signIn).toBe("auth.login");
      expect(error.message).toMatch(/room\.shout/);
      expect(error.message).toMatch(/signIn: "auth\.login"/);
    }
    // The socket swap happened without open/close events, and the session is the one signed in.
    expect(heard.opens).toBe(1);
    expect(c.emit("room.shout", { text: "after auth.ok" })).toBe("sent");
    await until(heard, () => heard.echo.includes("ada: after auth.ok"), "the echo");
  }, 30_000);

  it("after the first in-band sign-in the client knows the packet: the next one is carried by the upgrade, and what follows it is delivered", async () => {
    const { c, heard } = client();
    await until(heard, () => heard.opens === 1, "open");
    expect(c.signInPacket).toBe("common.signIn");
    c.emit("auth.login", { user: "bo" });
    c.emit("room.shout", { text: "too early" });
    await until(heard, () => heard.errors.length === 1 && heard.ok.length === 1, "the report and auth.ok");
    expect(c.signInPacket).toBe("auth.login");
    // A new anonymous connection (no TICKET_SECRET here, so no resume): the client stays with this server.
    c.disconnect();
    c.connect();
    await until(heard, () => heard.opens === 2, "the second open");
    expect(c.emit("auth.login", { user: "cy" })).toBe("queued");
    expect(c.emit("room.shout", { text: "held, then delivered" })).toBe("queued");
    await until(heard, () => heard.echo.includes("cy: held, then delivered"), "the echo");
    expect(heard.ok).toEqual(["bo", "cy"]);
    expect(heard.errors).toHaveLength(1);
    // Another server may have another sign-in packet: what was learned goes.
    c.connect("ws://127.0.0.1:9/");
    expect(c.signInPacket).toBe("common.signIn");
  }, 30_000);

  it("a sign-in the client knows, sent on a socket signed out of another uid, reports what followed it too", async () => {
    const { c, heard } = client();
    await until(heard, () => heard.opens === 1, "open");
    c.emit("auth.login", { user: "eve" });
    await until(heard, () => heard.ok.length === 1, "auth.ok");
    c.emit("auth.logout");
    // The socket sits unbound in eve's object: the sign-in goes on it, the server answers with the reconnect instruction.
    expect(c.emit("auth.login", { user: "fay" })).toBe("sent");
    expect(c.text("plain text too")).toBe("sent");
    await until(heard, () => heard.ok.length === 2 && heard.errors.length === 1, "auth.ok twice and the report");
    expect(heard.ok).toEqual(["eve", "fay"]);
    const error = heard.errors[0] as Error & { frames?: string[]; signIn?: string };
    expect(error.name).toBe("SignInRaceError");
    expect(error.frames).toEqual(["text"]);
    expect(error.message).toMatch(/Wait for the sign-in's reply/);
  }, 30_000);

  it("waiting for the reply before sending gives no report: nothing was at risk", async () => {
    const { c, heard } = client();
    await until(heard, () => heard.opens === 1, "open");
    c.emit("auth.login", { user: "dee" });
    await until(heard, () => heard.ok.length === 1, "auth.ok");
    c.emit("room.shout", { text: "patient" });
    await until(heard, () => heard.echo.includes("dee: patient"), "the echo");
    expect(heard.errors).toEqual([]);
  }, 30_000);
});
