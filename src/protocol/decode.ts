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
      for (let i = fields.length - 1; i >= 0; i--) {
        const f = fields[i] as Field;
        out[i] = f.kind === Kind.Str ? readStr(packet, f, r) : readValue(packet, f, r);
      }
      return out;
    }
    default: {
      // A plain literal, not a copy of a template: `{ ...template }` is
      // cheaper while one site sees a few shapes, but with the dozens of
      // packets of a real table it goes megamorphic and costs more (Node 20).
      const out: Record<string, unknown> = {};
      for (let i = fields.length - 1; i >= 0; i--) {
        const f = fields[i] as Field;
        out[f.name] = f.kind === Kind.Str ? readStr(packet, f, r) : readValue(packet, f, r);
      }
      return out;
    }
  }
}

function truncated(packet: string, f: Field, r: Reader, n: number): DecodeError {
  return new DecodeError("truncated", `needs ${n} bytes, ${r.end - r.pos} left`, r.pos, packet, f.name);
}

// The common kinds (str, tested by the callers so that V8 inlines it there,
// and integers up to 32 bits) are read by small functions; the others in
// readOther.
function readValue(packet: string, f: Field, r: Reader): unknown {
  const kind = f.kind;
  if (kind === Kind.Str) return readStr(packet, f, r);
  if (kind > Kind.U32 || kind === Kind.I64) return readOther(packet, f, r);
  return readInt(packet, f, r);
}

function readInt(packet: string, f: Field, r: Reader): number {
  const b = r.bytes;
  const at = r.pos;
  const size = f.size;
  if (at + size > r.end) throw truncated(packet, f, r, size);
  r.pos = at + size;
  if (size === 1) {
    const v = b[at] as number;
    return f.kind === Kind.I8 ? (v << 24) >> 24 : v;
  }
  if (size === 2) {
    const v = (b[at] as number) | ((b[at + 1] as number) << 8);
    return f.kind === Kind.I16 ? (v << 16) >> 16 : v;
  }
  const v =
    (b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16) | ((b[at + 3] as number) << 24);
  return f.kind === Kind.I32 ? v : v >>> 0;
}

/** Reads a u16 length within the field's limit and skips the bytes it counts; returns where they start. */
function readLength(packet: string, f: Field, r: Reader): number {
  const b = r.bytes;
  const lenAt = r.pos;
  if (lenAt + 2 > r.end) throw truncated(packet, f, r, 2);
  const len = (b[lenAt] as number) | ((b[lenAt + 1] as number) << 8);
  if (len > f.size) {
    throw new DecodeError("too-long", `length ${len} is above the limit of ${f.size} bytes`, lenAt, packet, f.name);
  }
  r.pos = lenAt + 2;
  if (lenAt + 2 + len > r.end) throw truncated(packet, f, r, len);
  r.pos = lenAt + 2 + len;
  return lenAt + 2;
}

function readStr(packet: string, f: Field, r: Reader): string {
  const at = readLength(packet, f, r);
  const len = r.pos - at;
  return len === 0 ? "" : readUtf8(r.bytes, at, len);
}

function readOther(packet: string, f: Field, r: Reader): unknown {
  const b = r.bytes;
  if (f.kind === Kind.Bin || f.kind === Kind.Json) {
    const at = readLength(packet, f, r);
    const len = r.pos - at;
    // An empty field is null for bin and json (spec section 2).
    if (len === 0) return null;
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
  // Floats and 64-bit integers: copied into `tmp` and read back through its DataView.
  const at = r.pos;
  const size = f.size;
  if (at + size > r.end) throw truncated(packet, f, r, size);
  r.pos = at + size;
  for (let i = 0; i < size; i++) tmp[i] = b[at + i] as number;
  switch (f.kind) {
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
