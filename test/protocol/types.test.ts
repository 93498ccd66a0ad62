// Type-level reading of schemas (types.ts): checked by `npx tsc --noEmit -p .`
// (expectTypeOf and the @ts-expect-error lines); the runtime assertions
// next to them keep the same calls honest when vitest runs the file.
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  clientPackets,
  EncodeError,
  type Merge,
  type Packet,
  type PacketData,
  type PacketInput,
  PacketTable,
  type StripHint,
  serverPackets,
} from "../../src/protocol/index.js";

const m = {
  "game.hero": ["name:str32", "lvl:int8"],
  "user.gold": "uint16",
  "common.signOut": null,
  pair: ["int16", "str"],
  big: ["a:int64"],
  "chat.msg ([@])": ["t:str"],
} as const;

type M = Merge<typeof m, Record<never, never>>; // no shared packets
type DataOf<P, K> = Extract<P, { name: K }> extends { data: infer D } ? D : never;

const t = new PacketTable<M>(m);

describe("decoded packets are typed by name", () => {
  it("narrows data by the packet name", () => {
    const frame = t.encode("game.hero", { name: "x", lvl: 1 });
    const p = t.decode(frame);
    expectTypeOf(p.name).toEqualTypeOf<"game.hero" | "user.gold" | "common.signOut" | "pair" | "big" | "chat.msg">();
    expect(p.name).toBe("game.hero");
    if (p.name === "game.hero") {
      expectTypeOf(p.data).toEqualTypeOf<{ name: string; lvl: number }>();
      expect(p.data).toEqual({ name: "x", lvl: 1 });
    }
    if (p.name === "user.gold") expectTypeOf(p.data).toEqualTypeOf<number>();
    if (p.name === "common.signOut") expectTypeOf(p.data).toEqualTypeOf<null>();
    if (p.name === "pair") expectTypeOf(p.data).toEqualTypeOf<[number, string]>();
    if (p.name === "big") expectTypeOf(p.data).toEqualTypeOf<{ a: bigint }>();
    if (p.name === "chat.msg") expectTypeOf(p.data).toEqualTypeOf<{ t: string }>();
    expectTypeOf(p.id).toEqualTypeOf<number>();
  });

  it("gives each packet of the map its data type", () => {
    type P = Packet<M>;
    expectTypeOf<DataOf<P, "game.hero">>().toEqualTypeOf<{ name: string; lvl: number }>();
    expectTypeOf<DataOf<P, "user.gold">>().toEqualTypeOf<number>();
    expectTypeOf<DataOf<P, "common.signOut">>().toEqualTypeOf<null>();
    expectTypeOf<DataOf<P, "pair">>().toEqualTypeOf<[number, string]>();
    expectTypeOf<DataOf<P, "big">>().toEqualTypeOf<{ a: bigint }>();
    expectTypeOf<DataOf<P, "chat.msg">>().toEqualTypeOf<{ t: string }>();
    // The hinted name is not a packet name.
    expectTypeOf<[Extract<P, { name: "chat.msg ([@])" }>]>().toEqualTypeOf<[never]>();
  });

  it("reads every field type", () => {
    expectTypeOf<PacketData<"int8">>().toEqualTypeOf<number>();
    expectTypeOf<PacketData<"u32">>().toEqualTypeOf<number>();
    expectTypeOf<PacketData<"float64">>().toEqualTypeOf<number>();
    expectTypeOf<PacketData<"f32">>().toEqualTypeOf<number>();
    expectTypeOf<PacketData<"uint64">>().toEqualTypeOf<bigint>();
    expectTypeOf<PacketData<"i64">>().toEqualTypeOf<bigint>();
    expectTypeOf<PacketData<"str">>().toEqualTypeOf<string>();
    expectTypeOf<PacketData<"s24">>().toEqualTypeOf<string>();
    expectTypeOf<PacketData<"bin8">>().toEqualTypeOf<Uint8Array | null>();
    expectTypeOf<PacketData<"j">>().toEqualTypeOf<unknown>();
    expectTypeOf<PacketData<null>>().toEqualTypeOf<null>();
    expectTypeOf<PacketData<readonly []>>().toEqualTypeOf<null>();
    expectTypeOf<StripHint<"chat.msg ([@])">>().toEqualTypeOf<"chat.msg">();
    expectTypeOf<StripHint<"plain">>().toEqualTypeOf<"plain">();
  });
});

describe("encode checks names and data", () => {
  it("accepts the data of each packet", () => {
    expect(t.encode("game.hero", { name: "x", lvl: 1 })).toBeInstanceOf(Uint8Array);
    // A named schema's positional form (spec section 2: "an array by position").
    expect(t.decode(t.encode("game.hero", ["x", 1])).data).toEqual({ name: "x", lvl: 1 });
    t.encode("user.gold", 20);
    t.encode("common.signOut", null);
    t.encode("pair", [-2, "ok"]);
    t.encode("big", { a: 5n });
    t.encode("big", { a: 5 }); // int64 takes a safe integer too
    t.encode("chat.msg", { t: "hi" });
    expectTypeOf<{ a: bigint | number }>().toExtend<PacketInput<readonly ["a:int64"]>>();
    expectTypeOf<[bigint | number]>().toExtend<PacketInput<readonly ["a:int64"]>>();
    expectTypeOf<[bigint | number]>().toExtend<PacketInput<readonly ["i64"]>>();
    expectTypeOf<PacketInput<"bin">>().toEqualTypeOf<Uint8Array | ArrayBuffer | ArrayLike<number> | null>();
  });

  it("refuses a wrong field type and an unknown packet name at compile time", () => {
    // @ts-expect-error lvl is a number
    t.encode("game.hero", { name: "x", lvl: "1" });
    // @ts-expect-error name is a string
    t.encode("game.hero", { name: 1, lvl: 1 });
    // @ts-expect-error lvl is missing
    t.encode("game.hero", { name: "x" });
    // @ts-expect-error user.gold carries a bare number
    t.encode("user.gold", { gold: 20 });
    // @ts-expect-error pair is [int16, str]
    t.encode("pair", ["ok", -2]);
    // @ts-expect-error big.a is 64-bit: a bigint or a number, not a string
    t.encode("big", { a: "5" });
    // @ts-expect-error no such packet
    expect(() => t.encode("game.heros", null)).toThrow(EncodeError);
    // @ts-expect-error the hint is not part of the name
    expect(() => t.encode("chat.msg ([@])", { t: "hi" })).toThrow(EncodeError);
  });
});

describe("serverPackets and clientPackets carry the map types", () => {
  it("types the receive and send tables of both peers", () => {
    const unpack = { "common.signIn": ["login:str24", "password:str24"], "common.signOut": null } as const;
    const pack = { "user.gold": "uint16" } as const;
    const shared = { "chat.msg ([@])": ["t:str"] } as const;
    const server = serverPackets(unpack, pack, shared);
    const client = clientPackets(unpack, pack, shared);

    const p = server.receive.decode(client.send.encode("common.signIn", { login: "D", password: "13" }));
    expectTypeOf(p.name).toEqualTypeOf<"common.signIn" | "common.signOut" | "chat.msg">();
    if (p.name === "common.signIn") expectTypeOf(p.data).toEqualTypeOf<{ login: string; password: string }>();
    expect(p).toEqual({ name: "common.signIn", id: 0, data: { login: "D", password: "13" } });

    const q = client.receive.decode(server.send.encode("user.gold", 20));
    expectTypeOf(q.name).toEqualTypeOf<"user.gold" | "chat.msg">();
    expect(q).toEqual({ name: "user.gold", id: 0, data: 20 });

    // @ts-expect-error the server does not send what it receives
    expect(() => server.send.encode("common.signIn", { login: "D", password: "13" })).toThrow(EncodeError);
    // @ts-expect-error a client does not send what the server sends
    expect(() => client.send.encode("user.gold", 20)).toThrow(EncodeError);

    const seed = serverPackets(unpack).receive;
    expectTypeOf(seed.decode(new Uint8Array([1, 0])).name).toEqualTypeOf<"common.signIn" | "common.signOut">();
  });
});
