// fast-check generators of packet schemas and of data both our codec and
// 2pack accept, shared by the differential and mutation tests. Inputs one
// side refuses (a number in an int64 field, JSON longer than N, a missing
// float64, ...) are left out here and covered by explicit tests.
import fc from "fast-check";
import { PacketTable, type Schema } from "../../src/protocol/index.js";

export type FieldKind =
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float32"
  | "float64"
  | "str"
  | "bin"
  | "json";

export interface FieldSpec {
  /** The type as written in the schema, e.g. "u16", "str", "j40". */
  readonly type: string;
  readonly kind: FieldKind;
  /** Byte limit N of str/bin/json (the default when the type has no digits). */
  readonly size: number;
}

export interface PacketCase {
  /** The name as declared, possibly with a holder hint. */
  readonly declared: string;
  /** The name without the hint, as encode and decode use it. */
  readonly name: string;
  readonly id: number;
  readonly schema: Schema;
  readonly fields: readonly FieldSpec[];
  readonly data: unknown;
}

export const DEFAULTS = { str: 256, bin: 1024, json: 8192 } as const;

const FIXED: readonly (readonly [FieldKind, readonly string[]])[] = [
  ["int8", ["int8", "i8"]],
  ["int16", ["int16", "i16"]],
  ["int32", ["int32", "i32"]],
  ["int64", ["int64", "i64"]],
  ["uint8", ["uint8", "u8"]],
  ["uint16", ["uint16", "u16"]],
  ["uint32", ["uint32", "u32"]],
  ["uint64", ["uint64", "u64"]],
  ["float32", ["float32", "f32"]],
  ["float64", ["float64", "f64"]],
];

const fixedTypeArb: fc.Arbitrary<FieldSpec> = fc.constantFrom(
  ...FIXED.flatMap(([kind, types]) => types.map((type) => ({ type, kind, size: 0 }))),
);

const sizeArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 16 }) },
  { weight: 2, arbitrary: fc.integer({ min: 17, max: 400 }) },
  { weight: 1, arbitrary: fc.constantFrom(1, 2, 3, 4, 5, 255, 256, 257, 1024, 65535) },
);

const variableTypeArb: fc.Arbitrary<FieldSpec> = fc
  .tuple(fc.constantFrom<"str" | "bin" | "json">("str", "bin", "json"), fc.boolean(), sizeArb)
  .map(([kind, alias, n]) => ({
    type: `${alias ? kind[0] : kind}${n ?? ""}`,
    kind,
    size: n ?? DEFAULTS[kind],
  }));

export const fieldTypeArb: fc.Arbitrary<FieldSpec> = fc.oneof(
  { weight: 3, arbitrary: fixedTypeArb },
  { weight: 2, arbitrary: variableTypeArb },
);

const codePoint = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCodePoint(c));

/**
 * One UTF-16 unit or pair: ASCII, 2-, 3- and 4-byte UTF-8, and lone
 * surrogates. U+FEFF is left out: our decoder drops it at the start of a
 * field (see "keeps a leading U+FEFF" in differential.test.ts).
 */
export const charArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: codePoint(0, 0x7f) },
  { weight: 2, arbitrary: codePoint(0x80, 0x7ff) },
  { weight: 2, arbitrary: codePoint(0x800, 0xd7ff) },
  { weight: 1, arbitrary: codePoint(0xe000, 0xfefe) },
  { weight: 2, arbitrary: codePoint(0x10000, 0x10ffff) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);

/** Numbers as applications pass them: in range, out of range (wrap), fractions, NaN, infinities, numeric strings. */
const looseNumberArb = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
  fc.double(),
  fc.constantFrom<unknown>(
    null,
    undefined,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0.5,
    -1.5,
    255.9,
    256,
    65536,
    2 ** 31,
    2 ** 32,
    -(2 ** 31) - 1,
    1e21,
    -1e300,
    "12",
    "-7.9",
    "abc",
    "",
    true,
    false,
  ),
);

/** float64 without null, NaN or infinities: 2pack throws on those (see differential.test.ts). */
const float64Arb = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
  fc.constantFrom<unknown>(-0, 0.1, 1e308, 5e-324, "1.5", true),
);

const bigint64Arb = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.constantFrom<unknown>(null, undefined, Number.NaN, Number.POSITIVE_INFINITY, "123", "-5", "abc", "", true, false),
);

function strArb(n: number): fc.Arbitrary<unknown> {
  const arms: fc.WeightedArbitrary<unknown>[] = [
    { weight: 8, arbitrary: fc.string({ unit: charArb, maxLength: Math.min(n + 4, 150) }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, "") },
  ];
  // Now and then a string around N bytes (1 to 4 bytes a unit), to hit the cut.
  if (n <= 300) {
    arms.push({
      weight: 2,
      arbitrary: fc.string({ unit: charArb, minLength: Math.floor(n / 4), maxLength: n + 2, size: "max" }),
    });
  }
  return fc.oneof(...arms);
}

function binArb(n: number): fc.Arbitrary<unknown> {
  const arms: fc.WeightedArbitrary<unknown>[] = [
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: Math.min(n + 4, 48) }) },
    {
      weight: 2,
      arbitrary: fc.array(fc.oneof(fc.integer({ min: -300, max: 600 }), fc.double()), {
        maxLength: Math.min(n + 4, 24),
      }),
    },
    { weight: 1, arbitrary: fc.int8Array({ maxLength: Math.min(n + 4, 24) }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, undefined, []) },
  ];
  // Now and then a value around N, to hit the cut.
  if (n <= 1100) {
    arms.push({ weight: 1, arbitrary: fc.uint8Array({ minLength: Math.max(0, n - 2), maxLength: n + 4 }) });
  }
  return fc.oneof(...arms);
}

const utf8 = new TextEncoder();

function jsonArb(n: number): fc.Arbitrary<unknown> {
  return fc
    .oneof(
      { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, 0, "", false, true, "x", [], {}) },
    )
    .map((v) => {
      const text = JSON.stringify(v);
      // JSON longer than N is a named difference (2pack cuts it, we refuse).
      return text === undefined || utf8.encode(text).length <= n ? v : undefined;
    });
}

export function valueArb(f: FieldSpec): fc.Arbitrary<unknown> {
  switch (f.kind) {
    case "int64":
    case "uint64":
      return bigint64Arb;
    case "float64":
      return float64Arb;
    case "str":
      return strArb(f.size);
    case "bin":
      return binArb(f.size);
    case "json":
      return jsonArb(f.size);
    default:
      return looseNumberArb;
  }
}

const OMIT = Symbol("omit");

/** A field's value, or OMIT for a missing one (never for float64: 2pack throws on it). */
function maybeMissing(f: FieldSpec): fc.Arbitrary<unknown> {
  if (f.kind === "float64") return valueArb(f);
  return fc.oneof({ weight: 6, arbitrary: valueArb(f) }, { weight: 1, arbitrary: fc.constant(OMIT) });
}

/**
 * Falsy data for a whole schema: 2pack then gives every field that value,
 * where we take every field as missing. That only agrees without json
 * fields (see "other differences" in differential.test.ts); null,
 * undefined and NaN make 2pack throw on float64, 0 on int64/uint64.
 */
function falsyDataArb(fields: readonly FieldSpec[]): fc.Arbitrary<unknown> {
  const has = (...kinds: FieldKind[]) => fields.some((f) => kinds.includes(f.kind));
  if (has("json")) return arrayDataArb(fields);
  const values: unknown[] = ["", false];
  if (!has("float64")) values.push(null, undefined, Number.NaN);
  if (!has("int64", "uint64")) values.push(0);
  return fc.constantFrom(...values);
}

function positional(values: unknown[]): unknown[] {
  const out = values.slice();
  while (out.length > 0 && out[out.length - 1] === OMIT) out.pop();
  return out.map((v) => (v === OMIT ? undefined : v));
}

function arrayDataArb(fields: readonly FieldSpec[]): fc.Arbitrary<unknown> {
  return fc.tuple(...fields.map(maybeMissing)).map(positional);
}

function objectDataArb(fields: readonly FieldSpec[], names: readonly string[]): fc.Arbitrary<unknown> {
  return fc.tuple(...fields.map(maybeMissing), fc.boolean()).map((values) => {
    const extra = values.pop();
    const out: Record<string, unknown> = {};
    values.forEach((v, i) => {
      if (v !== OMIT) out[names[i] as string] = v;
    });
    if (extra) out.notAField = 1;
    return out;
  });
}

const FIELD_NAMES = [
  "a",
  "b",
  "c",
  "name",
  "lvl",
  "hp",
  "x",
  "y",
  "text",
  "uid",
  "j",
  "bn",
  "0",
  "1",
  "_",
  "$x",
  "ünï",
  "a b",
];

interface Shaped {
  readonly schema: Schema;
  readonly fields: readonly FieldSpec[];
  readonly data: fc.Arbitrary<unknown>;
}

const noneArb: fc.Arbitrary<Shaped> = fc.constantFrom<Schema>(null, []).map((schema) => ({
  schema,
  fields: [],
  data: fc.constantFrom<unknown>(null, undefined, 0, {}, [1, 2], "x"),
}));

const bareArb: fc.Arbitrary<Shaped> = fieldTypeArb.map((f) => ({ schema: f.type, fields: [f], data: valueArb(f) }));

const namedArb: fc.Arbitrary<Shaped> = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...FIELD_NAMES), fieldTypeArb), {
    minLength: 1,
    maxLength: 6,
    selector: (t) => t[0],
  })
  .map((entries) => {
    const names = entries.map((e) => e[0]);
    const fields = entries.map((e) => e[1]);
    return {
      schema: entries.map(([name, f]) => `${name}:${f.type}`),
      fields,
      data: fc.oneof(
        { weight: 6, arbitrary: objectDataArb(fields, names) },
        { weight: 2, arbitrary: arrayDataArb(fields) },
        { weight: 1, arbitrary: falsyDataArb(fields) },
      ),
    };
  });

const unnamedArb: fc.Arbitrary<Shaped> = fc.array(fieldTypeArb, { minLength: 1, maxLength: 6 }).map((fields) => ({
  schema: fields.map((f) => f.type),
  fields,
  data: fc.oneof({ weight: 6, arbitrary: arrayDataArb(fields) }, { weight: 1, arbitrary: falsyDataArb(fields) }),
}));

const PACKET_NAMES = ["p", "game.hero", "chat.msg ([@])", "user.gold", "ü.名前", "a b", "x (y)"];

/** A hint-free name, by the spec's rule rather than the codec's code. */
export const stripHint = (declared: string): string => declared.replace(/ \([^)]*\)$/, "");

export const packetCaseArb: fc.Arbitrary<PacketCase> = fc
  .tuple(
    fc.oneof(
      { weight: 1, arbitrary: noneArb },
      { weight: 3, arbitrary: bareArb },
      { weight: 7, arbitrary: namedArb },
      { weight: 4, arbitrary: unnamedArb },
    ),
    fc.constantFrom(...PACKET_NAMES),
    fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 300 })),
  )
  .chain(([shaped, declared, id]) =>
    shaped.data.map((data) => ({
      declared,
      name: stripHint(declared),
      id,
      schema: shaped.schema,
      fields: shaped.fields,
      data,
    })),
  );

const fillerMaps: Record<string, Schema>[] = [];

/** `count` packets named filler0.. with a null schema, to push the next packet's id. */
export function fillers(count: number): Record<string, Schema> {
  let map = fillerMaps[count];
  if (map === undefined) {
    map = {};
    for (let i = 0; i < count; i++) map[`filler${i}`] = null;
    fillerMaps[count] = map;
  }
  return map;
}

/** A table where the case's packet has the case's id. */
export function tableFor(c: PacketCase): PacketTable {
  return new PacketTable(fillers(c.id), { [c.declared]: c.schema });
}

/** Deterministic runs: every property uses this seed unless it says otherwise. */
export const SEED = 20240601;
