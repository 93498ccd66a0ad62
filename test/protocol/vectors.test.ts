// The vectors of spec section 3, produced by 2pack 1.0.0, as our own test data.
import { describe, expect, it } from "vitest";
import { PacketTable, type Schema } from "../../src/protocol/index.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

/** A table where `name` has `id`: fillers take the ids before it. */
function tableWith(name: string, id: number, schema: Schema): PacketTable {
  const map: Record<string, Schema> = {};
  for (let i = 0; i < id; i++) map[`filler${i}`] = null;
  map[name] = schema;
  return new PacketTable(map);
}

const bytes1to9 = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);

const vectors: { name: string; id: number; schema: Schema; data: unknown; frame: string; decoded?: unknown }[] = [
  {
    name: "common.signIn",
    id: 0,
    schema: ["login:str24", "password:str24"],
    data: { login: "D", password: "13" },
    frame: "000002003133010044",
  },
  { name: "common.signOut", id: 1, schema: null, data: null, frame: "0100" },
  { name: "user.gold", id: 0, schema: "uint16", data: 20, frame: "00001400" },
  {
    name: "game.hero",
    id: 3,
    schema: ["name:str32", "lvl:int8", "hp:uint8", "x:uint16", "y:uint16"],
    data: { name: "D", lvl: 13, hp: 69, x: -8, y: -8 },
    frame: "0300f8fff8ff450d010044",
    decoded: { name: "D", lvl: 13, hp: 69, x: 65528, y: 65528 },
  },
  {
    name: "chat.message",
    id: 2,
    schema: ["uid:uint32", "text:str"],
    data: [0, "Helword"],
    frame: "0200070048656c776f726400000000",
    decoded: { uid: 0, text: "Helword" },
  },
  {
    name: "cut string",
    id: 5,
    schema: ["s:str4"],
    data: { s: "héllo" },
    frame: "0500040068c3a96c",
    decoded: { s: "hél" },
  },
  {
    name: "mixed",
    id: 7,
    schema: ["a:int64", "b:uint64", "f:float32", "d:float64", "j:json", "bn:bin8"],
    data: { a: -5n, b: 7n, f: 1.5, d: 0.1, j: { x: [1, 2] }, bn: bytes1to9 },
    frame: "0700080001020304050607080b007b2278223a5b312c325d7d9a9999999999b93f0000c03f0700000000000000fbffffffffffffff",
    decoded: { a: -5n, b: 7n, f: 1.5, d: 0.1, j: { x: [1, 2] }, bn: bytes1to9.slice(0, 8) },
  },
  { name: "unnamed", id: 9, schema: ["int16", "str"], data: [-2, "ok"], frame: "090002006f6bfeff" },
  {
    name: "NaN and missing",
    id: 4,
    schema: ["a:uint8", "b:float32"],
    data: { a: Number.NaN },
    frame: "04000000000000",
    decoded: { a: 0, b: 0 },
  },
];

describe("spec section 3 vectors", () => {
  for (const v of vectors) {
    it(`encodes ${v.name} to the 2pack bytes`, () => {
      expect(hex(tableWith(v.name, v.id, v.schema).encode(v.name, v.data as never))).toBe(v.frame);
    });
    it(`decodes ${v.name} from the 2pack bytes`, () => {
      const packet = tableWith(v.name, v.id, v.schema).decode(unhex(v.frame));
      expect(packet.name).toBe(v.name);
      expect(packet.id).toBe(v.id);
      expect(packet.data).toEqual(v.decoded ?? v.data);
    });
  }
});
