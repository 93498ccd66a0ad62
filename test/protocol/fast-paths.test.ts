// The codec's fast paths (docs/protocol.md#benchmark) against 2pack 1.0.0 and
// against its slow paths: objects read by `for...in` only while their keys
// come in schema order, long strings encoded into a view that runs past the
// field's limit, decoded text copied into a shared inbox, and results that
// are fresh arrays. Each case here takes the path the random tests rarely
// reach.
import { describe, expect, it } from "vitest";
import { PacketTable, type Schema } from "../../src/protocol/index.js";
import { hex, oracleDecode, oracleEncode } from "../support/oracle.js";

// biome-ignore lint/suspicious/noExplicitAny: any data for schemas known only at run time
const one = (schema: Schema) => new PacketTable<{ readonly [name: string]: any }>({ p: schema });

const HERO: Schema = ["name:str32", "lvl:int8", "hp:uint8", "x:uint16", "y:uint16"];
const HERO_DATA = { name: "D", lvl: 13, hp: 69, x: -8, y: -8 };

describe("objects are read by name whatever their keys", () => {
  const table = one(HERO);
  const expected = hex(oracleEncode(HERO, 0, HERO_DATA));

  it("encodes keys in schema order, in another order, with extra keys or missing keys as 2pack does", () => {
    const reordered = { y: -8, x: -8, hp: 69, lvl: 13, name: "D" };
    const extra = { ...HERO_DATA, extra: "ignored", more: 1 };
    const extraFirst = { extra: 1, ...HERO_DATA };
    expect(hex(table.encode("p", HERO_DATA))).toBe(expected);
    expect(hex(table.encode("p", reordered))).toBe(expected);
    expect(hex(table.encode("p", extra))).toBe(expected);
    expect(hex(table.encode("p", extraFirst))).toBe(expected);
    const missing = { name: "D", hp: 69 };
    expect(hex(table.encode("p", missing))).toBe(hex(oracleEncode(HERO, 0, missing)));
  });

  it("reads inherited, non-enumerable and getter properties as 2pack does", () => {
    const inherited = Object.create({ name: "D", lvl: 13 }) as Record<string, unknown>;
    Object.assign(inherited, { hp: 69, x: -8, y: -8 });
    expect(hex(table.encode("p", inherited))).toBe(expected);

    const hidden = { name: "D", lvl: 13, hp: 69, x: -8 };
    Object.defineProperty(hidden, "y", { value: -8, enumerable: false });
    expect(hex(table.encode("p", hidden))).toBe(expected);

    class Hero {
      constructor(readonly name: string) {}
      get lvl() {
        return 13;
      }
      hp = 69;
      x = -8;
      y = -8;
    }
    expect(hex(table.encode("p", new Hero("D")))).toBe(expected);
  });

  it("reads each property once, in the fast path and after it gives up", () => {
    for (const order of [
      ["name", "lvl", "hp", "x", "y"],
      ["name", "lvl", "y", "x", "hp"],
    ]) {
      const reads = new Map<string, number>();
      const data = {};
      for (const key of order) {
        Object.defineProperty(data, key, {
          enumerable: true,
          get: () => {
            reads.set(key, (reads.get(key) ?? 0) + 1);
            return (HERO_DATA as Record<string, unknown>)[key];
          },
        });
      }
      expect(hex(table.encode("p", data))).toBe(expected);
      expect([...reads.values()], order.join()).toEqual([1, 1, 1, 1, 1]);
    }
  });
});

describe("long strings", () => {
  // str8 after a str4 field: the text is written at a position past the
  // buffer's start, into a view that runs to the end of the buffer.
  const schema: Schema = ["a:str8", "b:str4"];
  const table = one(schema);

  it("cuts a text of 16 chars or more at the field's limit, before a code point that would not fit, as 2pack", () => {
    for (const a of ["abcdefghijklmnopq", "abcdefgé0123456789", "abcdef€0123456789", "abcdefg😀0123456789"]) {
      for (const b of ["", "z", "€", "0123456789abcdefghij"]) {
        const data = { a, b };
        expect(hex(table.encode("p", data)), `${a} / ${b}`).toBe(hex(oracleEncode(schema, 0, data)));
      }
    }
  });

  it("writes lone surrogates in a long text as U+FFFD, as 2pack", () => {
    const wide = one(["s:str64"]);
    for (const s of ["abcdefghijklmnop\ud800", "\udc00abcdefghijklmnop", "abcdefgh\ud800\ud800ijklmnop"]) {
      expect(hex(wide.encode("p", { s }))).toBe(hex(oracleEncode(["s:str64"], 0, { s })));
    }
  });
});

describe("decoded text", () => {
  const lengths = [1, 2, 3, 12, 13, 15, 16, 17, 50, 255];
  const texts = ["a", "é", "€", "😀", "aé", "\ud83d"];

  it("reads ASCII and non-ASCII text of every path's length as 2pack", () => {
    const schema: Schema = ["n:uint8", "s:str256"];
    const table = one(schema);
    for (const len of lengths) {
      for (const t of texts) {
        const s = t.repeat(len).slice(0, len);
        const frame = oracleEncode(schema, 0, { n: 7, s });
        expect(table.decode(frame).data, `${JSON.stringify(t)} x ${len}`).toEqual(oracleDecode(schema, frame));
      }
    }
  });

  it("reads invalid UTF-8 as U+FFFD, as 2pack, at every length", () => {
    const schema: Schema = ["s:str64"];
    const table = one(schema);
    for (const len of [1, 2, 3, 15, 16, 40]) {
      const bytes = new Uint8Array(4 + len);
      bytes[2] = len;
      for (let i = 0; i < len; i++) bytes[4 + i] = i % 3 === 0 ? 0xc3 : i % 3 === 1 ? 0xff : 0x41;
      expect(table.decode(bytes).data, `length ${len}`).toEqual(oracleDecode(schema, bytes));
    }
  });

  it("reads text from frames above 1,024 bytes and from bundles, at any position", () => {
    const schema: Schema = ["a:str2000", "b:str2000"];
    const table = one(schema);
    const data = { a: "é".repeat(700), b: "text after 1,400 bytes" };
    const frame = oracleEncode(schema, 0, data);
    expect(frame.length).toBeGreaterThan(1024);
    expect(table.decode(frame).data).toEqual(data);

    const small = one(["s:str64"]);
    const frames = ["first text, long enough", "second text, also long", "x"].map((s) =>
      oracleEncode(["s:str64"], 0, { s }),
    );
    const bundle = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of frames) {
      bundle.set(f, at);
      at += f.length;
    }
    expect(small.decodeBundle(bundle).map((p) => (p.data as { s: string }).s)).toEqual([
      "first text, long enough",
      "second text, also long",
      "x",
    ]);
  });

  it("reads text from a view into a larger buffer (a frame with a byte offset)", () => {
    const schema: Schema = ["s:str64"];
    const frame = oracleEncode(schema, 0, { s: "a text of twenty-four ch" });
    const backing = new Uint8Array(frame.length + 10);
    backing.set(frame, 7);
    expect(one(schema).decode(backing.subarray(7, 7 + frame.length)).data).toEqual({ s: "a text of twenty-four ch" });
  });
});

describe("encoded frames are fresh arrays", () => {
  it("returns a new array of exactly the frame's bytes each time, untouched by later encodes", () => {
    const table = one(["s:str64"]);
    const first = table.encode("p", { s: "a text of twenty-four ch" });
    const copy = hex(first);
    const second = table.encode("p", { s: "other" });
    expect(hex(first)).toBe(copy);
    expect(second).not.toBe(first);
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(first.length);
  });
});
