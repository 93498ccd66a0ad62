// Damaged frames: valid frames (the spec's vectors and random ones)
// truncated at every length and with bytes overwritten. Our decoder must
// either read exactly what 2pack reads or throw a DecodeError, and it may
// refuse a frame 2pack reads only for one of the named differences
// (too-long, truncated, trailing-bytes, bad-json), each checked against the
// bytes. A frame 2pack refuses we must refuse too.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DecodeError, type DecodeErrorCode, PacketTable, type Schema } from "../../src/protocol/index.js";
import { hex, oracleDecode, oracleEncode, unhex } from "../support/oracle.js";
import { DEFAULTS, packetCaseArb, SEED, stripHint } from "./arbitraries.js";

/** The spec's section 3 vectors (frames produced by 2pack 1.0.0). */
const VECTORS: { name: string; id: number; schema: Schema; frame: string }[] = [
  { name: "common.signIn", id: 0, schema: ["login:str24", "password:str24"], frame: "000002003133010044" },
  { name: "common.signOut", id: 1, schema: null, frame: "0100" },
  { name: "user.gold", id: 0, schema: "uint16", frame: "00001400" },
  {
    name: "game.hero",
    id: 3,
    schema: ["name:str32", "lvl:int8", "hp:uint8", "x:uint16", "y:uint16"],
    frame: "0300f8fff8ff450d010044",
  },
  { name: "chat.message", id: 2, schema: ["uid:uint32", "text:str"], frame: "0200070048656c776f726400000000" },
  { name: "cut string", id: 5, schema: ["s:str4"], frame: "0500040068c3a96c" },
  {
    name: "mixed",
    id: 7,
    schema: ["a:int64", "b:uint64", "f:float32", "d:float64", "j:json", "bn:bin8"],
    frame: "0700080001020304050607080b007b2278223a5b312c325d7d9a9999999999b93f0000c03f0700000000000000fbffffffffffffff",
  },
  { name: "unnamed", id: 9, schema: ["int16", "str"], frame: "090002006f6bfeff" },
  { name: "NaN and missing", id: 4, schema: ["a:uint8", "b:float32"], frame: "04000000000000" },
];

const POOL = VECTORS.map((v) => v.schema);

/** A table and, by id, the schema and name each packet has. */
interface Context {
  readonly table: PacketTable;
  readonly schemas: readonly Schema[];
  readonly names: readonly string[];
}

function context(entries: readonly (readonly [string, Schema])[]): Context {
  return {
    table: new PacketTable(Object.fromEntries(entries)),
    schemas: entries.map((e) => e[1]),
    names: entries.map((e) => stripHint(e[0])),
  };
}

/** The vector at its spec id; the other ids (before it, and two after) hold the other vectors' schemas. */
function vectorContext(v: (typeof VECTORS)[number]): Context {
  const entries: [string, Schema][] = [];
  for (let i = 0; i < v.id + 3; i++) {
    entries.push(i === v.id ? [v.name, v.schema] : [`other${i}`, POOL[i % POOL.length] as Schema]);
  }
  return context(entries);
}

/** The spec's schema rules, read independently of schema.ts, to explain a refusal. */
function fieldOf(schema: Schema, name: string | undefined): { kind: string; size: number } {
  const entries = schema === null ? [] : typeof schema === "string" ? [schema] : schema;
  for (let i = 0; i < entries.length; i++) {
    const parts = (entries[i] as string).split(":");
    const fieldName = typeof schema === "string" ? "" : parts.length === 2 ? parts[0] : String(i);
    if (fieldName !== name) continue;
    const type = parts[parts.length - 1] as string;
    const base = type.replace(/\d+$/, "");
    const kind = ({ s: "str", str: "str", b: "bin", bin: "bin", j: "json", json: "json" } as Record<string, string>)[
      base
    ];
    if (kind === undefined) return { kind: "fixed", size: 0 };
    const digits = type.slice(base.length);
    return { kind, size: digits === "" ? DEFAULTS[kind as keyof typeof DEFAULTS] : Number(digits) };
  }
  throw new Error(`no field "${name}" in ${JSON.stringify(schema)}`);
}

/** The N of every str, bin and json field of a schema. */
function limitsOf(schema: Schema): number[] {
  const entries = schema === null ? [] : typeof schema === "string" ? [schema] : schema;
  return entries
    .map((e, i) => fieldOf(schema, typeof schema === "string" ? "" : e.includes(":") ? e.split(":")[0] : String(i)))
    .filter((f) => f.kind !== "fixed")
    .map((f) => f.size);
}

/** The value 2pack gave a field. */
function fieldValue(schema: Schema, decoded: unknown, name: string): unknown {
  if (typeof schema === "string") return decoded;
  return (decoded as Record<string, unknown>)[name];
}

const u16 = (b: Uint8Array, at: number) => (b[at] as number) | ((b[at + 1] as number) << 8);

/** How each frame came out, to show every branch was taken. */
const seen: Record<string, number> = {};
const count = (k: string) => {
  seen[k] = (seen[k] ?? 0) + 1;
};

/** Decodes one frame with both sides and checks they agree, or that we refuse for a named reason. */
function check(ctx: Context, frame: Uint8Array): void {
  let ours: unknown;
  let error: DecodeError | undefined;
  try {
    ours = ctx.table.decode(frame);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e; // never another exception type
    error = e;
  }
  // A bundle reader must not fail otherwise either, and agrees on one packet.
  try {
    const packets = ctx.table.decodeBundle(frame);
    if (error === undefined) expect(packets).toEqual([ours]);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    expect(error, `decodeBundle refused ${hex(frame)} that decode read`).toBeDefined();
  }

  if (frame.length < 2) {
    expect(error?.code).toBe("short-frame");
    count("short-frame");
    return;
  }
  const id = u16(frame, 0);
  const schema = ctx.schemas[id];
  if (schema === undefined) {
    expect(error?.code).toBe("unknown-id");
    count("unknown-id");
    return;
  }
  const theirs = oracleDecode(schema, frame);
  if (theirs === undefined) {
    // 2pack refuses: so must we, for a reason about the fields.
    expect(error, `2pack refuses ${hex(frame)}, we read it`).toBeDefined();
    expect(["truncated", "too-long", "bad-json"]).toContain(error?.code);
    count("both refuse");
    return;
  }
  if (error === undefined) {
    expect(ours).toEqual({ name: ctx.names[id], id, data: theirs });
    count("both read");
    return;
  }
  explain(ctx, schema, frame, theirs, error);
  count(`only 2pack reads: ${error.code}`);
}

const NAMED: readonly DecodeErrorCode[] = ["too-long", "truncated", "trailing-bytes", "bad-json"];

/** We refuse a frame 2pack reads: the bytes must show the named difference the error claims. */
function explain(ctx: Context, schema: Schema, frame: Uint8Array, theirs: unknown, e: DecodeError): void {
  const where = `${e.message} for ${hex(frame)}`;
  expect(NAMED, where).toContain(e.code);
  if (e.code === "trailing-bytes") {
    // 2pack ignores what follows; without it we read what 2pack read.
    expect(e.offset, where).toBeLessThan(frame.length);
    expect(ctx.table.decode(frame.subarray(0, e.offset)).data, where).toEqual(theirs);
    return;
  }
  const f = fieldOf(schema, e.field);
  expect(f.kind, where).not.toBe("fixed");
  if (e.code === "too-long") {
    // 2pack accepts a length up to N + 2.
    const len = u16(frame, e.offset);
    expect(len, where).toBeGreaterThan(f.size);
    expect(len, where).toBeLessThanOrEqual(f.size + 2);
    return;
  }
  // truncated and bad-json are about the field's bytes, after its length.
  const len = u16(frame, e.offset - 2);
  if (e.code === "truncated") {
    expect(e.offset + len, where).toBeGreaterThan(frame.length);
    return;
  }
  expect(f.kind, where).toBe("json");
  expect(() => JSON.parse(Buffer.from(frame.subarray(e.offset, e.offset + len)).toString()), where).toThrow();
  expect(fieldValue(schema, theirs, e.field as string), where).toBeNull();
}

/** Every prefix of a frame, the frame itself included. */
function everyTruncation(ctx: Context, frame: Uint8Array): void {
  for (let n = 0; n <= frame.length; n++) check(ctx, frame.subarray(0, n));
}

/** Byte values that matter to lengths, ids, UTF-8 and JSON. */
const INTERESTING = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x09, 0x0a, 0x7b, 0x7f, 0x80, 0xbf, 0xc3, 0xe2, 0xef, 0xf0, 0xff,
];

/** A change to a frame, applied by `damage`. */
type Mutation =
  | { op: "set"; at: number; byte: number }
  | { op: "add16"; at: number; delta: number }
  | { op: "set16"; at: number; value: number }
  | { op: "cut"; at: number }
  | { op: "append"; bytes: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant("set" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("add16" as const), at: fc.nat(), delta: fc.integer({ min: -4, max: 4 }) }),
  },
  {
    // A u16 near small and default limits: a length prefix just above N, when it lands on one.
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("set16" as const),
      at: fc.nat(),
      value: fc.oneof(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 254, max: 260 }),
        fc.integer({ min: 1022, max: 1028 }),
        fc.integer({ min: 8190, max: 8196 }),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("cut" as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }),
  },
);

function damage(frame: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = frame.slice();
  for (const m of mutations) {
    if (m.op === "append") {
      out = new Uint8Array([...out, ...m.bytes]);
      continue;
    }
    if (out.length === 0) continue;
    const at = m.at % out.length;
    if (m.op === "set") out[at] = m.byte;
    else if (m.op === "cut") out = out.slice(0, at);
    else if (m.op === "set16") {
      if (at + 1 < out.length) {
        out[at] = m.value & 0xff;
        out[at + 1] = m.value >> 8;
      }
    } else if (at + 1 < out.length) {
      // Nudges a u16, e.g. a length prefix to just above its field's N.
      const v = (u16(out, at) + m.delta) & 0xffff;
      out[at] = v & 0xff;
      out[at + 1] = v >> 8;
    }
  }
  return out;
}

describe("damaged vector frames", () => {
  for (const v of VECTORS) {
    const ctx = vectorContext(v);
    const frame = unhex(v.frame);

    it(`${v.name}: every truncation reads as 2pack reads it or is a DecodeError`, () => {
      everyTruncation(ctx, frame);
    });

    it(`${v.name}: every single-byte change reads as 2pack reads it or is a named DecodeError`, () => {
      for (let at = 0; at < frame.length; at++) {
        for (const byte of [...INTERESTING, (frame[at] as number) ^ 1, ((frame[at] as number) + 1) & 0xff]) {
          const changed = frame.slice();
          changed[at] = byte;
          check(ctx, changed);
        }
      }
    });

    it(`${v.name}: a u16 around each limit N written at every position reads as 2pack reads it or is a named DecodeError`, () => {
      const limits = new Set(ctx.schemas.flatMap((s) => limitsOf(s)));
      for (let at = 0; at + 1 < frame.length; at++) {
        for (const n of limits) {
          for (let value = Math.max(0, n - 1); value <= n + 3; value++) {
            const changed = frame.slice();
            changed[at] = value & 0xff;
            changed[at + 1] = value >> 8;
            check(ctx, changed);
            // And with the frame long enough to hold that many bytes after it.
            check(ctx, new Uint8Array([...changed, ...new Uint8Array(value).fill(0x31)]));
          }
        }
      }
    });

    it(`${v.name}: random damage (300 cases) reads as 2pack reads it or is a named DecodeError`, () => {
      fc.assert(
        fc.property(fc.array(mutationArb, { minLength: 1, maxLength: 5 }), (mutations) => {
          check(ctx, damage(frame, mutations));
        }),
        { seed: SEED + v.id, numRuns: 300 },
      );
    });
  }
});

describe("damaged random frames", () => {
  // The random packet is id 9, after the vectors' schemas at ids 0 to 8, so
  // a changed id reads the fields with another schema or is unknown.
  const contextFor = (declared: string, schema: Schema) =>
    context([...POOL.map((s, i) => [`v${i}`, s] as const), [declared, schema]]);

  it("random frames (1000), truncated at every length, read as 2pack reads them or are DecodeErrors", () => {
    fc.assert(
      fc.property(packetCaseArb, (c) => {
        const ctx = contextFor(c.declared, c.schema);
        const frame = oracleEncode(c.schema, POOL.length, c.data);
        // Every length for frames up to 400 bytes; beyond that every 7th and the last 16.
        if (frame.length <= 400) everyTruncation(ctx, frame);
        else {
          for (let n = 0; n < frame.length - 16; n += 7) check(ctx, frame.subarray(0, n));
          for (let n = frame.length - 16; n <= frame.length; n++) check(ctx, frame.subarray(0, n));
        }
      }),
      { seed: SEED + 100, numRuns: 1000 },
    );
  });

  it("random frames (3000) with random damage read as 2pack reads them or are named DecodeErrors", () => {
    fc.assert(
      fc.property(packetCaseArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (c, mutations) => {
        const ctx = contextFor(c.declared, c.schema);
        check(ctx, damage(oracleEncode(c.schema, POOL.length, c.data), mutations));
      }),
      { seed: SEED + 200, numRuns: 3000 },
    );
  });
});

afterAll(() => {
  // Each outcome, and each named difference, came up: the checks above were exercised.
  for (const k of [
    "short-frame",
    "unknown-id",
    "both refuse",
    "both read",
    "only 2pack reads: too-long",
    "only 2pack reads: truncated",
    "only 2pack reads: trailing-bytes",
    "only 2pack reads: bad-json",
  ]) {
    expect(seen[k] ?? 0, `outcome "${k}" never came up`).toBeGreaterThan(0);
  }
});
