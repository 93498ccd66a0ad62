// Packet declarations (spec sections 1 and 2): types and aliases, default
// sizes, schema shapes, names and hints, reserved names, ids in both
// directions, and the errors a person reads when something is wrong.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  clientPackets,
  DecodeError,
  EncodeError,
  PacketTable,
  RESERVED_NAMES,
  type Schema,
  SchemaError,
  type SchemaMap,
  serverPackets,
} from "../../src/protocol/index.js";
import { hex, oracleEncode, unhex } from "../support/oracle.js";
import { charArb, SEED } from "./arbitraries.js";

/**
 * A one-packet table (id 0), typed loosely: the schemas here are not
 * literal types, and the data is checked at run time.
 */
// biome-ignore lint/suspicious/noExplicitAny: any data for schemas known only at run time
const one = (schema: Schema) => new PacketTable<{ readonly [name: string]: any }>({ p: schema });

/** What decoding `frame` with a one-packet table throws. */
function decodeError(schema: Schema, frame: Uint8Array): DecodeError {
  try {
    one(schema).decode(frame);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error(`expected a DecodeError for ${hex(frame)}`);
}

function schemaError(map: SchemaMap): SchemaError {
  try {
    new PacketTable(map);
  } catch (e) {
    if (e instanceof SchemaError) return e;
    throw e;
  }
  throw new Error(`expected a SchemaError for ${JSON.stringify(map)}`);
}

/** u16 LE length then bytes, as hex. */
const field = (bytes: Uint8Array | string) => {
  const b = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
  return hex(Uint8Array.of(b.length & 0xff, b.length >> 8)) + hex(b);
};

describe("types and aliases", () => {
  // [type, value, bytes of the field, decoded value]
  const cases: [string, unknown, string, unknown][] = [
    ["int8", -2, "fe", -2],
    ["i8", -2, "fe", -2],
    ["int16", -2, "feff", -2],
    ["i16", -2, "feff", -2],
    ["int32", -2, "feffffff", -2],
    ["i32", -2, "feffffff", -2],
    ["int64", -2n, "feffffffffffffff", -2n],
    ["i64", -2n, "feffffffffffffff", -2n],
    ["uint8", 254, "fe", 254],
    ["u8", 254, "fe", 254],
    ["uint16", 0xfffe, "feff", 0xfffe],
    ["u16", 0xfffe, "feff", 0xfffe],
    ["uint32", 0xfffffffe, "feffffff", 0xfffffffe],
    ["u32", 0xfffffffe, "feffffff", 0xfffffffe],
    ["uint64", 2n ** 64n - 2n, "feffffffffffffff", 2n ** 64n - 2n],
    ["u64", 2n ** 64n - 2n, "feffffffffffffff", 2n ** 64n - 2n],
    ["float32", 1.5, "0000c03f", 1.5],
    ["f32", 1.5, "0000c03f", 1.5],
    ["float64", 0.1, "9a9999999999b93f", 0.1],
    ["f64", 0.1, "9a9999999999b93f", 0.1],
    ["str", "hé", field("hé"), "hé"],
    ["s", "hé", field("hé"), "hé"],
    ["str3", "hé", field("hé"), "hé"],
    ["s3", "hé", field("hé"), "hé"],
    ["bin", Uint8Array.of(1, 2), field(Uint8Array.of(1, 2)), Uint8Array.of(1, 2)],
    ["b", [1, 2], field(Uint8Array.of(1, 2)), Uint8Array.of(1, 2)],
    ["bin2", [1, 2], field(Uint8Array.of(1, 2)), Uint8Array.of(1, 2)],
    ["b2", [1, 2], field(Uint8Array.of(1, 2)), Uint8Array.of(1, 2)],
    ["json", { a: [1] }, field('{"a":[1]}'), { a: [1] }],
    ["j", { a: [1] }, field('{"a":[1]}'), { a: [1] }],
    ["json9", { a: [1] }, field('{"a":[1]}'), { a: [1] }],
    ["j9", { a: [1] }, field('{"a":[1]}'), { a: [1] }],
  ];
  for (const [type, value, bytes, decoded] of cases) {
    it(`parses "${type}": writes ${bytes.length / 2} bytes and reads them back, as 2pack`, () => {
      const frame = one(type).encode("p", value as never);
      expect(hex(frame)).toBe(`0000${bytes}`);
      expect(hex(frame)).toBe(hex(oracleEncode(type, 0, value)));
      expect(one(type).decode(frame).data).toEqual(decoded);
      // The same type as a named field.
      expect(one([`v:${type}`]).decode(one([`v:${type}`]).encode("p", { v: value } as never)).data).toEqual({
        v: decoded,
      });
    });
  }

  for (const type of [
    "int",
    "uint",
    "i",
    "u",
    "f",
    "float",
    "float16",
    "int128",
    "uint7",
    "string",
    "Str",
    "bool",
    " str",
    "str ",
    "str-1",
    "str1.5",
    "s t r",
    "",
  ]) {
    it(`refuses the unknown type ${JSON.stringify(type)}`, () => {
      expect(() => one([`v:${type}`])).toThrow(SchemaError);
    });
  }
});

describe("default sizes: str 256, bin 1024, json 8192", () => {
  it("cuts a str or s field at 256 bytes and refuses a length above 256 on decode", () => {
    for (const type of ["str", "s"]) {
      const cut = one(type).encode("p", "x".repeat(300));
      expect(hex(cut.subarray(2, 4))).toBe("0001");
      expect(one(type).decode(cut).data).toBe("x".repeat(256));
      // 2-byte characters: 128 of them fill 256 bytes.
      expect(one(type).decode(one(type).encode("p", "é".repeat(200))).data).toBe("é".repeat(128));
      expect(decodeError(type, unhex(`0000 0101 ${"78".repeat(257)}`)).code).toBe("too-long");
    }
  });

  it("cuts a bin or b field at 1024 bytes and refuses a length above 1024 on decode", () => {
    for (const type of ["bin", "b"]) {
      const cut = one(type).encode("p", new Uint8Array(1100).fill(7));
      expect(hex(cut.subarray(2, 4))).toBe("0004");
      expect(one(type).decode(cut).data).toEqual(new Uint8Array(1024).fill(7));
      expect(decodeError(type, unhex(`0000 0104 ${"07".repeat(1025)}`)).code).toBe("too-long");
    }
  });

  it("takes JSON up to 8192 bytes in a json or j field, refuses more on encode and decode", () => {
    for (const type of ["json", "j"]) {
      const fits = "x".repeat(8190); // "xxx…" is 8192 bytes
      expect(one(type).decode(one(type).encode("p", fits)).data).toBe(fits);
      expect(() => one(type).encode("p", `${fits}x`)).toThrow(EncodeError);
      expect(decodeError(type, unhex(`0000 0120 22${"78".repeat(8191)}22`)).code).toBe("too-long");
    }
  });

  it("uses an explicit N instead of the default", () => {
    expect(one("str5").decode(one("str5").encode("p", "abcdefgh")).data).toBe("abcde");
    expect(one("b3").decode(one("b3").encode("p", [1, 2, 3, 4])).data).toEqual(Uint8Array.of(1, 2, 3));
    expect(() => one("j3").encode("p", "abc")).toThrow(EncodeError);
    expect(decodeError("s5", unhex("0000 0600 616263646566")).code).toBe("too-long");
    expect(one("s300").decode(one("s300").encode("p", "x".repeat(300))).data).toBe("x".repeat(300));
  });
});

describe("schema shapes", () => {
  it("a type string carries a bare value", () => {
    const frame = one("uint16").encode("p", 20);
    expect(hex(frame)).toBe("00001400");
    expect(one("uint16").decode(frame).data).toBe(20);
  });

  it("unnamed types carry an array by position, decoded as an array", () => {
    const frame = one(["int16", "str"]).encode("p", [-2, "ok"]);
    expect(hex(frame)).toBe("000002006f6bfeff");
    expect(one(["int16", "str"]).decode(frame).data).toEqual([-2, "ok"]);
  });

  it("named types take an object by name or an array by position, decoded as an object", () => {
    const schema = ["a:uint8", "b:uint16"];
    const byName = one(schema).encode("p", { a: 1, b: 2 });
    expect(hex(byName)).toBe("0000020001");
    expect(hex(one(schema).encode("p", [1, 2]))).toBe(hex(byName));
    expect(one(schema).decode(byName).data).toEqual({ a: 1, b: 2 });
  });

  it("null and [] schemas are just the id, whatever data is passed, and decode to null", () => {
    for (const schema of [null, []] as Schema[]) {
      for (const data of [null, undefined, { a: 1 }, [1, 2], 5]) {
        expect(hex(one(schema).encode("p", data as never))).toBe("0000");
      }
      expect(one(schema).decode(unhex("0000")).data).toBeNull();
    }
  });

  it("refuses a schema that is not null, a type string or an array of type strings", () => {
    for (const schema of [5, {}, true, [5], ["a:int8", null]]) {
      expect(() => one(schema as never)).toThrow(SchemaError);
    }
  });
});

describe("packet names", () => {
  it('strips a holder hint such as "chat.msg ([@])"', () => {
    const table = new PacketTable({ "chat.msg ([@])": ["t:str"], "game.hero (x)": "uint8", plain: null });
    expect(table.names).toEqual(["chat.msg", "game.hero", "plain"]);
    expect(table.has("chat.msg")).toBe(true);
    expect(table.has("chat.msg ([@])")).toBe(false);
    const frame = table.encode("chat.msg", { t: "hi" } as never);
    expect(table.decode(frame)).toEqual({ name: "chat.msg", id: 0, data: { t: "hi" } });
    expect(() => table.encode("chat.msg ([@])" as never, { t: "hi" } as never)).toThrow(EncodeError);
  });

  it("refuses a name that is only a hint, and two names equal once hints are stripped", () => {
    expect(() => new PacketTable({ "([@])": null })).toThrow(SchemaError);
    expect(() => new PacketTable({ a: null, "a ([@])": null })).toThrow(/declared twice/);
  });

  it("refuses every reserved name, with or without a hint", () => {
    const spec = [
      "restoring",
      "restored",
      "open",
      "close",
      "disconnected",
      "terminated",
      "packet",
      "message",
      "arraybuffer",
      "error",
      "ping",
      "pong",
    ];
    expect([...RESERVED_NAMES].sort()).toEqual([...spec].sort());
    for (const name of spec) {
      const e = schemaError({ [name]: null });
      expect(e.message).toContain(`"${name}"`);
      expect(e.message).toContain("reserved");
      expect(() => new PacketTable({ [`${name} ([@])`]: null })).toThrow(SchemaError);
      expect(() => serverPackets(null, null, { [name]: null })).toThrow(SchemaError);
      expect(() => clientPackets({ [name]: null })).toThrow(SchemaError);
    }
    // Names that only look like them are fine.
    expect(new PacketTable({ Open: null, opened: null, "close.x": null, "chat.message": null }).names).toHaveLength(4);
  });

  it("refuses a name declared twice in one direction, also across a map and the shared map", () => {
    expect(() => serverPackets({ a: null }, null, { a: null })).toThrow(/"a".*declared twice/);
    // Different directions may reuse a name.
    expect(() => serverPackets({ a: null }, { a: null })).not.toThrow();
  });
});

describe("ids (spec section 1)", () => {
  const unpack = { "common.signIn": ["login:str24", "password:str24"], "common.signOut": null } as const;
  const pack = { "user.gold": "uint16", "game.hero": ["name:str32", "lvl:int8"] } as const;
  const shared = { "chat.msg ([@])": ["t:str"], ping2: null } as const;

  it("the seed's receive table: common.signIn is 0, common.signOut is 1", () => {
    const { receive } = serverPackets(unpack);
    expect(receive.idOf("common.signIn")).toBe(0);
    expect(receive.idOf("common.signOut")).toBe(1);
    expect(receive.decode(unhex("0100"))).toEqual({ name: "common.signOut", id: 1, data: null });
    expect(receive.decode(unhex("000002003133010044")).data).toEqual({ login: "D", password: "13" });
  });

  it("receive is unpack then shared; send is pack then shared", () => {
    const { receive, send } = serverPackets(unpack, pack, shared);
    expect(receive.names).toEqual(["common.signIn", "common.signOut", "chat.msg", "ping2"]);
    expect(send.names).toEqual(["user.gold", "game.hero", "chat.msg", "ping2"]);
    expect(receive.idOf("chat.msg")).toBe(2);
    expect(send.idOf("chat.msg")).toBe(2);
    expect(hex(send.encode("game.hero", { name: "D", lvl: 1 }))).toBe("0100" + "01" + "010044");
    expect(hex(receive.encode("ping2", null))).toBe("0300");
    expect(hex(send.encode("ping2", null))).toBe("0300");
    expect(receive.idOf("user.gold")).toBeUndefined();
    expect(send.idOf("common.signIn")).toBeUndefined();
  });

  it("clientPackets mirrors serverPackets: what a client sends has the ids the server receives, and back", () => {
    const server = serverPackets(unpack, pack, shared);
    const client = clientPackets(unpack, pack, shared);
    expect(client.send.names).toEqual(server.receive.names);
    expect(client.receive.names).toEqual(server.send.names);
    for (const name of client.send.names) {
      expect(client.send.idOf(name)).toBe(server.receive.idOf(name));
    }
    const up = client.send.encode("common.signIn", { login: "D", password: "13" });
    expect(hex(up)).toBe("000002003133010044");
    expect(server.receive.decode(up)).toEqual({ name: "common.signIn", id: 0, data: { login: "D", password: "13" } });
    const down = server.send.encode("chat.msg", { t: "hey" });
    expect(client.receive.decode(down)).toEqual({ name: "chat.msg", id: 2, data: { t: "hey" } });
    // A client cannot send what only the server sends.
    expect(() => client.send.encode("user.gold" as never, 1 as never)).toThrow(EncodeError);
  });

  it("refuses an id the table does not have", () => {
    const e = decodeError(null, unhex("0100"));
    expect(e.code).toBe("unknown-id");
  });
});

describe("SchemaError messages name the packet and the field", () => {
  it("for an unknown type", () => {
    const e = schemaError({ "game.hero": ["name:strr32", "lvl:int8"] });
    expect(e.packet).toBe("game.hero");
    expect(e.field).toBe("name");
    expect(e.message).toMatch(/^bad schema for packet "game\.hero", field "name": unknown type "strr32"/);
    // Unnamed fields are named by position.
    expect(schemaError({ pair: ["int16", "bogus"] }).message).toMatch(/packet "pair", field "1": unknown type "bogus"/);
    // A bare type too.
    expect(schemaError({ "user.gold": "uint24" }).message).toMatch(/packet "user\.gold".*uint/);
  });

  it("for a bad size", () => {
    expect(schemaError({ "game.hero": ["name:str0"] }).message).toMatch(
      /^bad schema for packet "game\.hero", field "name": bad size 0 for str \(1 to 65535 bytes\)/,
    );
    expect(schemaError({ p: ["blob:bin70000"] }).message).toMatch(/packet "p", field "blob": bad size 70000 for bin/);
    expect(schemaError({ p: ["n:int12"] }).message).toMatch(
      /packet "p", field "n": bad size "12" for int \(bits: 8, 16, 32 or 64\)/,
    );
    expect(schemaError({ p: ["n:float16"] }).message).toMatch(
      /packet "p", field "n": bad size "16" for float \(bits: 32 or 64\)/,
    );
  });

  it("for mixed named and unnamed fields", () => {
    const e = schemaError({ "game.hero": ["name:str32", "int8"] });
    expect(e.packet).toBe("game.hero");
    expect(e.field).toBe("int8");
    expect(e.message).toMatch(
      /^bad schema for packet "game\.hero", field "int8": mixed named \("name:type"\) and unnamed \("type"\) fields/,
    );
    expect(schemaError({ p: ["int8", "lvl:int8", "uint8"] }).message).toMatch(
      /packet "p", field "lvl:int8": mixed named/,
    );
  });

  it("for field names: more than one colon, empty, __proto__, or twice", () => {
    expect(schemaError({ p: ["a:b:str"] }).message).toMatch(/packet "p", field "a:b:str": .*more than one ":"/);
    expect(schemaError({ p: [":str"] }).message).toMatch(/packet "p", field ":str": field name "" is not allowed/);
    expect(schemaError({ p: ["__proto__:u8"] }).message).toMatch(/packet "p".*"__proto__" is not allowed/);
    expect(schemaError({ p: ["a:u8", "a:str"] }).message).toMatch(/packet "p", field "a": field declared twice/);
  });
});

describe("DecodeError messages are readable", () => {
  it("say what is wrong, in which packet and field, at which byte", () => {
    expect(decodeError(["s:str4"], unhex("0000 0500 6162636465")).message).toBe(
      'invalid frame (too-long) in packet "p", field "s" at byte 2: length 5 is above the limit of 4 bytes',
    );
    expect(decodeError(["a:uint8", "s:str8"], unhex("0000 0300 6162")).message).toBe(
      'invalid frame (truncated) in packet "p", field "s" at byte 4: needs 3 bytes, 2 left',
    );
    expect(decodeError(["a:uint32"], unhex("0000 0102")).message).toBe(
      'invalid frame (truncated) in packet "p", field "a" at byte 2: needs 4 bytes, 2 left',
    );
    expect(decodeError("uint8", unhex("0000 0102")).message).toBe(
      'invalid frame (trailing-bytes) in packet "p" at byte 3: 1 bytes after the last field',
    );
    expect(decodeError(["j:json"], unhex("0000 0100 7b")).message).toBe(
      'invalid frame (bad-json) in packet "p", field "j" at byte 4: the field is not valid JSON',
    );
    expect(decodeError(null, unhex("0700")).message).toBe(
      "invalid frame (unknown-id) at byte 0: no packet has id 7 (the table has 1)",
    );
    expect(decodeError(null, unhex("07")).message).toBe(
      "invalid frame (short-frame) at byte 0: 1 bytes cannot hold a packet id",
    );
  });

  it("carry the code, offset, packet and field as properties", () => {
    const e = decodeError(["a:uint8", "s:str8"], unhex("0000 0300 6162"));
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("DecodeError");
    expect([e.code, e.offset, e.packet, e.field]).toEqual(["truncated", 4, "p", "s"]);
  });
});

describe("int64 and uint64", () => {
  it("take a bigint or a safe integer, and decode to a bigint", () => {
    const t = one(["a:int64", "b:uint64"]);
    const withBigints = t.encode("p", { a: -5n, b: 7n });
    expect(hex(t.encode("p", { a: -5, b: 7 }))).toBe(hex(withBigints));
    expect(t.decode(withBigints).data).toEqual({ a: -5n, b: 7n });
    for (const n of [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      expect(t.decode(t.encode("p", { a: n, b: 0 })).data).toEqual({ a: BigInt(n), b: 0n });
    }
    expect(() => t.encode("p", { a: 2 ** 53, b: 0 })).toThrow(EncodeError);
    expect(() => t.encode("p", { a: 0, b: 0.5 })).toThrow(EncodeError);
  });

  it("cover the full 64-bit ranges and wrap bigints outside them, as 2pack", () => {
    const cases: [string, bigint, bigint][] = [
      ["int64", -(2n ** 63n), -(2n ** 63n)],
      ["int64", 2n ** 63n - 1n, 2n ** 63n - 1n],
      ["int64", 2n ** 63n, -(2n ** 63n)],
      ["uint64", 2n ** 64n - 1n, 2n ** 64n - 1n],
      ["uint64", -1n, 2n ** 64n - 1n],
      ["uint64", 2n ** 64n + 3n, 3n],
    ];
    for (const [type, input, decoded] of cases) {
      const frame = one(type).encode("p", input);
      expect(hex(frame)).toBe(hex(oracleEncode(type, 0, input)));
      expect(one(type).decode(frame).data).toBe(decoded);
    }
  });
});

describe("UTF-8 in str fields", () => {
  const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const utf8 = new TextEncoder();

  it("never splits a code point: the cut is valid UTF-8, a prefix of the string, and as long as fits (2000 cases)", () => {
    fc.assert(
      fc.property(fc.string({ unit: charArb, maxLength: 40 }), fc.integer({ min: 1, max: 40 }), (s, n) => {
        const frame = one(`str${n}`).encode("p", s);
        const len = u16(frame, 2);
        const bytes = frame.subarray(4);
        expect(bytes.length).toBe(len);
        expect(len).toBeLessThanOrEqual(n);
        const text = fatal.decode(bytes); // throws on a split code point
        // Lone surrogates are written as U+FFFD (Node's encoder does the same).
        const whole = Buffer.from(s).toString();
        expect(whole.startsWith(text)).toBe(true);
        const next = whole.slice(text.length).codePointAt(0);
        if (next !== undefined) {
          // The next code point would not have fitted.
          expect(len + utf8.encode(String.fromCodePoint(next)).length).toBeGreaterThan(n);
        }
        expect(one(`str${n}`).decode(frame).data).toBe(text);
      }),
      { seed: SEED + 300, numRuns: 2000 },
    );
  });

  it("cuts before a 2-, 3- or 4-byte character that does not fit", () => {
    const cut = (type: string, s: string) => one(type).decode(one(type).encode("p", s)).data;
    expect(cut("str4", "héllo")).toBe("hél");
    expect(cut("str4", "a😀")).toBe("a");
    expect(cut("str5", "a😀")).toBe("a😀");
    expect(cut("str3", "a€")).toBe("a");
    expect(cut("str4", "a€")).toBe("a€");
    expect(cut("str2", "é")).toBe("é");
    expect(cut("str1", "é")).toBe("");
  });

  it("writes a lone surrogate as U+FFFD and keeps a pair together", () => {
    const t = one("str");
    expect(hex(t.encode("p", "a\ud800b"))).toBe(`0000${field("a\ufffdb")}`);
    expect(t.decode(t.encode("p", "\udc00\ud83d\ude00\ud83d")).data).toBe("\ufffd😀\ufffd");
  });
});

function u16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}
