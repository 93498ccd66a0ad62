// Receiving: several packets in one binary frame decoded in order (frames
// made by 2pack, the original serializer), the `packet` event with
// `accept`, `arraybuffer` interception, text/json/message, and frames that
// are the protocol's own (control frames, "#pong") kept from the page.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { io } from "../../src/client/index.js";
import type { WebSocketClass } from "../../src/client/socket.js";
import { SchemaError, type SchemaMap } from "../../src/protocol/index.js";
import { concat, control, frame2pack, scriptedServer, waitFor } from "./helpers.js";

// The game example of the original README: the server's pack table is
// `rtt`, `monster`, then the shared `chat.message` and `hero`.
const pack = { rtt: null } as const;
const unpack = { rtt: null, monster: ["lvl:uint8", "hp:uint8"] } as const;
const shared = {
  "chat.message": ["uid:uint32", "text:str"],
  hero: ["name:str32", "lvl:int8", "hp:uint8", "x:uint16", "y:uint16"],
} as const;
const MONSTER = 1;
const CHAT = 2;
const HERO = 3;

const bundle = concat(
  frame2pack(HERO, shared.hero, { name: "D", lvl: 13, hp: 69, x: 1, y: 2 }),
  frame2pack(MONSTER, unpack.monster, { lvl: 3, hp: 200 }),
  frame2pack(CHAT, shared["chat.message"], [7, "Helword"]),
  frame2pack(0, null, null),
  frame2pack(CHAT, shared["chat.message"], [8, "again"]),
);

let server: Awaited<ReturnType<typeof scriptedServer>>;
beforeAll(async () => {
  server = await scriptedServer((s) => {
    s.ws.on("message", (m, isBinary) => {
      if (isBinary) return;
      const what = String(m);
      if (what === "bundle") s.ws.send(bundle);
      if (what === "bad")
        s.ws.send(concat(frame2pack(MONSTER, unpack.monster, { lvl: 1, hp: 1 }), new Uint8Array([9, 0])));
      if (what === "texts") {
        s.ws.send(control({ t: "ticket", ticket: "t.1.0.x", exp: Date.now() + 60_000 }));
        s.ws.send("#pong");
        s.ws.send("plain words");
        s.ws.send('{"json":true}');
        s.ws.send("done");
      }
    });
  });
});
afterAll(() => server.close());

function connect() {
  const client = io(server.url, { WebSocket: WebSocket as unknown as WebSocketClass }).packets(pack, unpack, shared);
  const seen: unknown[][] = [];
  return { client, seen };
}

async function ready(client: ReturnType<typeof connect>["client"]) {
  await waitFor(() => client.readyState === client.OPEN, 3000);
}

describe("receiving packets", { timeout: 15_000 }, () => {
  it("decodes a bundle in order, each packet as its own event with typed data", async () => {
    const { client, seen } = connect();
    client.on("hero", (h) => seen.push(["hero", h.name, h.lvl, h.hp, h.x, h.y]));
    client.on("monster", (m) => seen.push(["monster", m]));
    client.on("chat.message", (c) => seen.push(["chat.message", c]));
    client.on("rtt", (r) => seen.push(["rtt", r]));
    try {
      await ready(client);
      client.text("bundle");
      await waitFor(
        () => seen.length === 5,
        3000,
        () => JSON.stringify(seen),
      );
      expect(seen).toEqual([
        ["hero", "D", 13, 69, 1, 2],
        ["monster", { lvl: 3, hp: 200 }],
        ["chat.message", { uid: 7, text: "Helword" }],
        ["rtt", null],
        ["chat.message", { uid: 8, text: "again" }],
      ]);
    } finally {
      client.disconnect();
    }
  });

  it("holds each packet for `accept` while a `packet` listener exists", async () => {
    const { client, seen } = connect();
    client.on("packet", (name, _data, accept) => {
      seen.push(["packet", name]);
      if (name === "monster") accept();
    });
    client.on("monster", (m) => seen.push(["monster", m.hp]));
    client.on("chat.message", (c) => seen.push(["chat.message", c.text]));
    try {
      await ready(client);
      client.text("bundle");
      await waitFor(
        () => seen.length === 6,
        3000,
        () => JSON.stringify(seen),
      );
      expect(seen).toEqual([
        ["packet", "hero"],
        ["packet", "monster"],
        ["monster", 200],
        ["packet", "chat.message"],
        ["packet", "rtt"],
        ["packet", "chat.message"],
      ]);
    } finally {
      client.disconnect();
    }
  });

  it("gives binary frames to an `arraybuffer` listener instead of decoding them", async () => {
    const { client, seen } = connect();
    client.on("arraybuffer", (b) => seen.push(["arraybuffer", b.byteLength]));
    client.on("message", (m) => seen.push(["message", typeof m]));
    client.on("hero", () => seen.push(["hero"]));
    try {
      await ready(client);
      client.text("bundle");
      await waitFor(() => seen.length >= 2, 3000);
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual([
        ["message", "object"],
        ["arraybuffer", bundle.byteLength],
      ]);
    } finally {
      client.disconnect();
    }
  });

  it("delivers a frame whole or not at all: an unknown id is an error event", async () => {
    const { client, seen } = connect();
    client.on("monster", () => seen.push(["monster"]));
    client.on("error", (e) => seen.push(["error", e.name, (e as { code?: string }).code]));
    try {
      await ready(client);
      client.text("bad");
      await waitFor(() => seen.length === 1, 3000);
      expect(seen).toEqual([["error", "DecodeError", "unknown-id"]]);
    } finally {
      client.disconnect();
    }
  });

  it("gives texts as `text` (and `json` when they parse), keeping control frames and pongs to itself", async () => {
    const { client, seen } = connect();
    client.on("message", (m) => seen.push(["message", m]));
    client.on("text", (t) => seen.push(["text", t]));
    client.on("json", (j) => seen.push(["json", j]));
    client.on("arraybuffer", () => seen.push(["arraybuffer"]));
    try {
      await ready(client);
      client.text("texts");
      await waitFor(() => seen.some((e) => e[1] === "done"), 3000);
      await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual([
        ["message", "plain words"],
        ["text", "plain words"],
        ["message", '{"json":true}'],
        ["text", '{"json":true}'],
        ["json", { json: true }],
        ["message", "done"],
        ["text", "done"],
      ]);
    } finally {
      client.disconnect();
    }
  });
});

describe("packet names", () => {
  it("refuses names of the client's own events (text, json, unrestored, ...) with a SchemaError naming the packet", () => {
    const client = io("ws://edge.test", { autoConnect: false });
    for (const name of ["text", "json", "unrestored", "text (a hint)"]) {
      const declarations: [SchemaMap | null, SchemaMap?, SchemaMap?][] = [
        [{ [name]: null }],
        [null, { [name]: "str" }],
        [null, {}, { [name]: null }],
      ];
      for (const args of declarations) {
        let error: unknown;
        try {
          client.packets(...args);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(SchemaError);
        expect((error as SchemaError).packet).toBe(name.replace(" (a hint)", ""));
      }
      expect(() => io.packets({ [name]: null })).toThrow(SchemaError);
    }
    // The codec's own reserved names are still refused, and nothing was kept from the failed calls.
    expect(() => client.packets({ open: null })).toThrow(/reserved/);
    expect(client.packets({ texts: null }).emit("texts")).toBe("dropped");
  });
});
