// Schema strings to field plans (spec sections 1 and 2). A plan is computed
// once per packet declaration so encode and decode never parse strings.
import { SchemaError } from "./errors.js";

/** A packet's schema as an application declares it. */
export type Schema = null | string | readonly string[];

/** Field kinds; the variable-length ones (str, bin, json) come last. */
export const Kind = {
  I8: 0,
  I16: 1,
  I32: 2,
  I64: 3,
  U8: 4,
  U16: 5,
  U32: 6,
  U64: 7,
  F32: 8,
  F64: 9,
  Str: 10,
  Bin: 11,
  Json: 12,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface Field {
  /** Property name, or the position as a string for unnamed schemas. */
  readonly name: string;
  readonly kind: Kind;
  /** Fixed byte size of a number, or the byte limit N of str/bin/json. */
  readonly size: number;
}

/** How data maps to fields: a bare value, an array by position, an object by name, or nothing. */
export const Shape = { None: 0, Bare: 1, Array: 2, Object: 3 } as const;
export type Shape = (typeof Shape)[keyof typeof Shape];

export interface Plan {
  readonly shape: Shape;
  /** Fields in schema order; the wire carries them last first. */
  readonly fields: readonly Field[];
  /** Largest encoded size of the fields alone (without the id). */
  readonly maxSize: number;
}

/** Default byte limits of strN, binN and jsonN when N is omitted (spec section 2). */
export const DEFAULT_LIMIT = { str: 256, bin: 1024, json: 8192 } as const;

/** Length prefixes are u16, so no variable field can hold more. */
export const MAX_LIMIT = 0xffff;

const TYPE = /^(int|uint|float|str|bin|json|i|u|f|s|b|j)(\d*)$/;

const CANONICAL: Record<string, "int" | "uint" | "float" | "str" | "bin" | "json"> = {
  int: "int",
  i: "int",
  uint: "uint",
  u: "uint",
  float: "float",
  f: "float",
  str: "str",
  s: "str",
  bin: "bin",
  b: "bin",
  json: "json",
  j: "json",
};

const NUMBER_KIND: Record<string, Kind> = {
  int8: Kind.I8,
  int16: Kind.I16,
  int32: Kind.I32,
  int64: Kind.I64,
  uint8: Kind.U8,
  uint16: Kind.U16,
  uint32: Kind.U32,
  uint64: Kind.U64,
  float32: Kind.F32,
  float64: Kind.F64,
};

const VARIABLE_KIND = { str: Kind.Str, bin: Kind.Bin, json: Kind.Json } as const;

function parseType(type: string, packet: string, field: string): { kind: Kind; size: number } {
  const m = TYPE.exec(type);
  if (!m) {
    throw new SchemaError(
      `unknown type "${type}" (expected int8/16/32/64, uint8/16/32/64, float32/64, strN, binN or jsonN)`,
      packet,
      field,
    );
  }
  const base = CANONICAL[m[1] as string] as keyof typeof CANONICAL;
  const digits = m[2] as string;
  if (base === "str" || base === "bin" || base === "json") {
    const limit = digits === "" ? DEFAULT_LIMIT[base] : Number(digits);
    if (!(limit >= 1 && limit <= MAX_LIMIT)) {
      throw new SchemaError(`bad size ${digits} for ${base} (1 to ${MAX_LIMIT} bytes)`, packet, field);
    }
    return { kind: VARIABLE_KIND[base], size: limit };
  }
  const kind = NUMBER_KIND[base + digits];
  if (kind === undefined) {
    const sizes = base === "float" ? "32 or 64" : "8, 16, 32 or 64";
    throw new SchemaError(`bad size "${digits}" for ${base} (bits: ${sizes})`, packet, field);
  }
  return { kind, size: fixedSize(kind) };
}

function fixedSize(kind: Kind): number {
  switch (kind) {
    case Kind.I8:
    case Kind.U8:
      return 1;
    case Kind.I16:
    case Kind.U16:
      return 2;
    case Kind.I32:
    case Kind.U32:
    case Kind.F32:
      return 4;
    default:
      return 8;
  }
}

function wireSize(f: Field): number {
  return f.kind >= Kind.Str ? 2 + f.size : f.size;
}

// Names that would change an object's prototype instead of setting a property.
const FORBIDDEN_FIELDS = new Set(["__proto__"]);

/** Parses one packet's schema into a plan, or throws a SchemaError naming the packet and field. */
export function planSchema(packet: string, schema: Schema): Plan {
  if (schema === null || (Array.isArray(schema) && schema.length === 0)) {
    return { shape: Shape.None, fields: [], maxSize: 0 };
  }
  if (typeof schema === "string") {
    const field = { name: "", ...parseType(schema, packet, "") };
    return { shape: Shape.Bare, fields: [field], maxSize: wireSize(field) };
  }
  if (!Array.isArray(schema)) {
    throw new SchemaError("a schema is null, a type string or an array of them", packet);
  }
  let named = 0;
  const fields: Field[] = [];
  const seen = new Set<string>();
  schema.forEach((entry: unknown, i) => {
    if (typeof entry !== "string") {
      throw new SchemaError(`entry ${i} is not a string`, packet, String(i));
    }
    const parts = entry.split(":");
    if (parts.length > 2) {
      throw new SchemaError(`"${entry}" has more than one ":" (expected "name:type")`, packet, entry);
    }
    const [name, type] = parts.length === 2 ? (parts as [string, string]) : [String(i), entry];
    if (parts.length === 2) {
      named++;
      if (name === "" || FORBIDDEN_FIELDS.has(name)) {
        throw new SchemaError(`field name "${name}" is not allowed`, packet, entry);
      }
      if (seen.has(name)) {
        throw new SchemaError("field declared twice", packet, name);
      }
      seen.add(name);
    }
    fields.push({ name, ...parseType(type, packet, name) });
  });
  if (named !== 0 && named !== fields.length) {
    // Name the first entry that breaks the pattern the first entry set.
    const firstNamed = (schema[0] as string).includes(":");
    const odd = schema.findIndex((e: string) => e.includes(":") !== firstNamed);
    const entry = schema[odd] as string;
    const why = firstNamed
      ? `entry ${odd} has no name, entry 0 "${schema[0]}" has one`
      : `entry ${odd} has a name, entry 0 "${schema[0]}" has none`;
    throw new SchemaError(`mixed named ("name:type") and unnamed ("type") fields: ${why}`, packet, entry);
  }
  const maxSize = fields.reduce((sum, f) => sum + wireSize(f), 0);
  return { shape: named ? Shape.Object : Shape.Array, fields, maxSize };
}
