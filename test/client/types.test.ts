// The client's typing, checked by `npx tsc --noEmit -p .` (expectTypeOf and
// the @ts-expect-error lines); vitest runs the same calls so they stay honest.
import { describe, expect, expectTypeOf, it } from "vitest";
import { type Client, io, type SendResult } from "../../src/client/index.js";
import { fakeSockets } from "./helpers.js";

const pack = { "common.signIn": ["login:str24", "password:str24"], "common.signOut": null, rtt: null } as const;
const unpack = { "user.gold": "uint16", monster: ["lvl:uint8", "hp:uint8"] } as const;
const shared = { "chat.message": ["uid:uint32", "text:str"] } as const;

describe("typed packets", () => {
  const fake = fakeSockets();
  const client = io("ws://edge.test", { WebSocket: fake.WebSocket, autoConnect: false }).packets(pack, unpack, shared);

  it("types emit by the send table (pack + shared)", () => {
    expect(client.emit("rtt")).toBe("dropped"); // autoConnect false: not connected, not connecting
    expectTypeOf(client.emit("common.signIn", { login: "D", password: "13" })).toEqualTypeOf<SendResult>();
    client.emit("common.signIn", ["D", "13"]);
    client.emit("common.signOut");
    client.emit("chat.message", { uid: 1, text: "hi" });
    // @ts-expect-error: a received-only packet cannot be emitted (at run time an EncodeError)
    expect(() => client.emit("user.gold", 1)).toThrow(/"user.gold"/);
    // @ts-expect-error: unknown field type
    client.emit("common.signIn", { login: 1, password: "13" });
    // @ts-expect-error: not a packet (and at run time an EncodeError)
    expect(() => client.emit("nope")).toThrow(/"nope"/);
    expect(client.emit("rtt")).toBe("dropped"); // a stopped client drops the sign-in too
    client.connect();
    expect(client.emit("rtt")).toBe("queued");
  });

  it("types listeners by the receive table (unpack + shared) and the built-in events", () => {
    client.on("user.gold", (gold) => expectTypeOf(gold).toEqualTypeOf<number>());
    client.on("monster", (m) => expectTypeOf(m).toEqualTypeOf<{ lvl: number; hp: number }>());
    client.on("chat.message", (m) => expectTypeOf(m).toEqualTypeOf<{ uid: number; text: string }>());
    client.on("packet", (name, data, accept) => {
      expectTypeOf(name).toEqualTypeOf<"user.gold" | "monster" | "chat.message">();
      if (name === "user.gold") expectTypeOf(data).toEqualTypeOf<number>();
      expectTypeOf(accept).toEqualTypeOf<() => void>();
    });
    client.on("close", (code, reason) => {
      expectTypeOf(code).toEqualTypeOf<number>();
      expectTypeOf(reason).toEqualTypeOf<string>();
    });
    client.on("unrestored", (_n, why) => expectTypeOf(why).toEqualTypeOf<"attempts" | "session">());
    client.on("text", (t) => expectTypeOf(t).toEqualTypeOf<string>());
    // @ts-expect-error: a sent-only packet is never received
    client.on("common.signIn", () => {});
    // @ts-expect-error: wrong payload type
    client.on("user.gold", (g: string) => g);
    // @ts-expect-error: the emitter stays private (firing events is the client's business)
    expect(client.fire).toBeUndefined();
  });

  it("takes any name and payload before packets are declared (plain JavaScript pages)", () => {
    const loose: Client = io("ws://edge.test", { WebSocket: fake.WebSocket, autoConnect: false });
    loose.on("anything", (...args) => args);
    loose.on("close", (code, reason) => [code, reason]);
    // The types let any name through; at run time an undeclared one is an EncodeError.
    expect(() => loose.emit("anything", { x: 1 })).toThrow(/"anything": not a packet this client sends/);
    expect(loose.packets({ anything: ["x:uint8"] }).emit("anything", { x: 1 })).toBe("dropped"); // not connected
  });
});
