// 2pack 1.0.0 framing packets as the original sockizy did: the oracle our
// codec is compared with (spec section 3: "where this page and 2pack
// disagree on bytes, 2pack wins").
import { createRequire } from "node:module";
import type { Schema } from "../../src/protocol/index.js";

/** The part of a 2pack packer the oracle uses (2pack ships no types). */
interface Packer {
  offset: number;
  pack(data: unknown, target?: Uint8Array): Uint8Array;
  unpack(bin: Uint8Array, offset: number, length: number): unknown;
}

// 2pack is CommonJS; require it as the original server did.
const packer = createRequire(import.meta.url)("2pack") as (schema: Schema) => Packer;

const header = packer("uint16");
const packers = new Map<string, Packer>();

/** One 2pack packer per schema, with room for the u16 id in front, as sockizy set it up. */
function packerFor(schema: Schema): Packer {
  const key = JSON.stringify(schema);
  let p = packers.get(key);
  if (p === undefined) {
    p = packer(schema);
    p.offset = 2;
    packers.set(key, p);
  }
  return p;
}

/** The frame 2pack writes for packet `id` (a copy: 2pack reuses its buffers). Throws what 2pack throws. */
export function oracleEncode(schema: Schema, id: number, data: unknown): Uint8Array {
  return new Uint8Array(header.pack(id, packerFor(schema).pack(data)));
}

/**
 * What 2pack reads from a frame (it never looks at the id), or undefined
 * when 2pack rejects it. Objects and Buffers come back as plain objects and
 * Uint8Arrays so they compare with our output.
 */
export function oracleDecode(schema: Schema, frame: Uint8Array): unknown {
  const bin = Buffer.from(frame);
  return plain(packerFor(schema).unpack(bin, 0, bin.length));
}

/** Checks 2pack accepts a schema declaration (it throws on the ones it refuses). */
export function oracleAccepts(schema: Schema): boolean {
  try {
    packer(schema);
    return true;
  } catch {
    return false;
  }
}

function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ""), "hex"));
