// Bytes to field values (spec section 2). Strict: a field past the end of
// the frame or a length above N is a DecodeError, never a guess.
import { DecodeError } from "./errors.js";
import { type Field, Kind, type Plan, Shape } from "./schema.js";
import { readUtf8 } from "./utf8.js";

/** A cursor over one frame. */
export interface Reader {
  bytes: Uint8Array;
  pos: number;
  end: number;
}

// Floats and 64-bit integers are copied here and read back, so no DataView
// is made per frame.
const tmp = new Uint8Array(8);
const tmpView = new DataView(tmp.buffer);

/** Reads one packet's fields at `r.pos` (last field first) and advances it. */
export function readFields(packet: string, plan: Plan, r: Reader): unknown {
  const fields = plan.fields;
  switch (plan.shape) {
    case Shape.None:
      return null;
    case Shape.Bare:
      return readValue(packet, fields[0] as Field, r);
    case Shape.Array: {
      const out = new Array<unknown>(fields.length);
      for (let i = fields.length - 1; i >= 0; i--) out[i] = readValue(packet, fields[i] as Field, r);
      return out;
    }
    default: {
      // A copy of the plan's blank record has every property already, in
      // order, so the stores below change values, not the object's shape.
      const out: Record<string, unknown> = { ...plan.blank };
      for (let i = fields.length - 1; i >= 0; i--) {
        const f = fields[i] as Field;
        out[f.name] = readValue(packet, f, r);
      }
      return out;
    }
  }
}

function truncated(packet: string, f: Field, r: Reader, n: number): DecodeError {
  return new DecodeError("truncated", `needs ${n} bytes, ${r.end - r.pos} left`, r.pos, packet, f.name);
}

function readValue(packet: string, f: Field, r: Reader): unknown {
  const b = r.bytes;
  const at = r.pos;
  const kind = f.kind;
  if (kind >= Kind.Str) return readVariable(packet, f, r);
  const size = f.size;
  if (at + size > r.end) throw truncated(packet, f, r, size);
  r.pos = at + size;
  switch (kind) {
    case Kind.I8:
      return ((b[at] as number) << 24) >> 24;
    case Kind.U8:
      return b[at];
    case Kind.I16:
      return (((b[at] as number) | ((b[at + 1] as number) << 8)) << 16) >> 16;
    case Kind.U16:
      return (b[at] as number) | ((b[at + 1] as number) << 8);
    case Kind.I32:
      return (
        (b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24)
      );
    case Kind.U32:
      return (
        ((b[at] as number) |
          ((b[at + 1] as number) << 8) |
          ((b[at + 2] as number) << 16) |
          ((b[at + 3] as number) << 24)) >>>
        0
      );
  }
  for (let i = 0; i < size; i++) tmp[i] = b[at + i] as number;
  switch (kind) {
    case Kind.F32:
      return tmpView.getFloat32(0, true);
    case Kind.F64:
      return tmpView.getFloat64(0, true);
    case Kind.I64:
      return tmpView.getBigInt64(0, true);
    default:
      return tmpView.getBigUint64(0, true);
  }
}

function readVariable(packet: string, f: Field, r: Reader): unknown {
  const b = r.bytes;
  const lenAt = r.pos;
  if (lenAt + 2 > r.end) throw truncated(packet, f, r, 2);
  const len = (b[lenAt] as number) | ((b[lenAt + 1] as number) << 8);
  const at = lenAt + 2;
  r.pos = at;
  if (len > f.size) {
    throw new DecodeError("too-long", `length ${len} is above the limit of ${f.size} bytes`, lenAt, packet, f.name);
  }
  // An empty field is "" for str and null for bin and json (spec section 2).
  if (len === 0) return f.kind === Kind.Str ? "" : null;
  if (at + len > r.end) throw truncated(packet, f, r, len);
  r.pos = at + len;
  if (f.kind === Kind.Str) return readUtf8(b, at, len);
  if (f.kind === Kind.Bin) {
    // A copy into a plain Uint8Array: `slice` on a Node Buffer frame would
    // return a Buffer view that changes when the frame's memory is reused.
    const out = new Uint8Array(len);
    out.set(b.subarray(at, at + len));
    return out;
  }
  try {
    return JSON.parse(readUtf8(b, at, len));
  } catch {
    throw new DecodeError("bad-json", "the field is not valid JSON", at, packet, f.name);
  }
}
