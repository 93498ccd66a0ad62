// An experiment for issue 11, not part of `npm run bench:codec`: what
// tables compiled at build time into specialised functions (no runtime code
// generation) would gain. The functions below are what such a compiler
// would emit for the three reference packets: straight-line encode and
// decode per packet, byte-identical to the general codec and as strict
// (the same DecodeError codes; offsets and messages not all alike). They are timed against 2pack in Node and
// the general codec, interleaved, medians of process CPU time, with the
// same reads of decoded strings and numbers as bench/codec.ts.
//
// Run: npx esbuild bench/codec-compiled.ts --bundle --platform=node --format=esm --outfile=dist/bench-codec-compiled.mjs && node dist/bench-codec-compiled.mjs
import { createRequire } from "node:module";
import { DecodeError, PacketTable } from "../src/protocol/index.js";
import { Scratch } from "../src/protocol/scratch.js";
import { readUtf8, writeUtf8 } from "../src/protocol/utf8.js";
import { cpuNsPerCall, median } from "./cpu-time.js";

const require = createRequire(import.meta.url);

const out = new Scratch(2 + 2 + 24 + 2 + 24 + 2 + 32 + 6 + 256 + 4 + 2);

function str(s: unknown, pos: number, limit: number): number {
  const len = s ? writeUtf8(typeof s === "string" ? s : String(s), out, pos + 2, limit) : 0;
  out.bytes[pos] = len & 0xff;
  out.bytes[pos + 1] = len >> 8;
  return pos + 2 + len;
}
function u(n: unknown): number {
  return typeof n === "number" ? n : Number(n);
}

function encodeSignIn(d: { login: unknown; password: unknown }): Uint8Array {
  const b = out.bytes;
  b[0] = 0;
  b[1] = 0;
  let p = str(d.password, 2, 24);
  p = str(d.login, p, 24);
  return new Uint8Array(out.head(p));
}
function encodeHero(d: { name: unknown; lvl: unknown; hp: unknown; x: unknown; y: unknown }): Uint8Array {
  const b = out.bytes;
  b[0] = 1;
  b[1] = 0;
  let n = u(d.y);
  b[2] = n;
  b[3] = n >> 8;
  n = u(d.x);
  b[4] = n;
  b[5] = n >> 8;
  b[6] = u(d.hp);
  b[7] = u(d.lvl);
  const p = str(d.name, 8, 32);
  return new Uint8Array(out.head(p));
}
function encodeChat(d: { uid: unknown; text: unknown }): Uint8Array {
  const b = out.bytes;
  b[0] = 2;
  b[1] = 0;
  const p = str(d.text, 2, 256);
  const n = u(d.uid);
  b[p] = n;
  b[p + 1] = n >> 8;
  b[p + 2] = n >> 16;
  b[p + 3] = n >> 24;
  return new Uint8Array(out.head(p + 4));
}

function len(b: Uint8Array, at: number, end: number, limit: number, packet: string, field: string): number {
  if (at + 2 > end) throw new DecodeError("truncated", `needs 2 bytes, ${end - at} left`, at, packet, field);
  const n = (b[at] as number) | ((b[at + 1] as number) << 8);
  if (n > limit)
    throw new DecodeError("too-long", `length ${n} is above the limit of ${limit} bytes`, at, packet, field);
  if (at + 2 + n > end)
    throw new DecodeError("truncated", `needs ${n} bytes, ${end - at - 2} left`, at + 2, packet, field);
  return n;
}
function done(p: number, end: number, packet: string) {
  if (p !== end) throw new DecodeError("trailing-bytes", `${end - p} bytes after the last field`, p, packet);
}
function decode(b: Uint8Array) {
  const end = b.length;
  if (end < 2) throw new DecodeError("short-frame", `${end} bytes cannot hold a packet id`, 0);
  const id = (b[0] as number) | ((b[1] as number) << 8);
  let p = 2;
  switch (id) {
    case 0: {
      const n1 = len(b, p, end, 24, "common.signIn", "password");
      const password = n1 === 0 ? "" : readUtf8(b, p + 2, n1);
      p += 2 + n1;
      const n0 = len(b, p, end, 24, "common.signIn", "login");
      const login = n0 === 0 ? "" : readUtf8(b, p + 2, n0);
      p += 2 + n0;
      done(p, end, "common.signIn");
      return { name: "common.signIn", id, data: { password, login } };
    }
    case 1: {
      if (p + 6 > end) throw new DecodeError("truncated", "short", p, "game.hero");
      const y = (b[2] as number) | ((b[3] as number) << 8);
      const x = (b[4] as number) | ((b[5] as number) << 8);
      const hp = b[6] as number;
      const lvl = ((b[7] as number) << 24) >> 24;
      p = 8;
      const n = len(b, p, end, 32, "game.hero", "name");
      const name = n === 0 ? "" : readUtf8(b, p + 2, n);
      p += 2 + n;
      done(p, end, "game.hero");
      return { name: "game.hero", id, data: { y, x, hp, lvl, name } };
    }
    case 2: {
      const n = len(b, p, end, 256, "chat.message", "text");
      const text = n === 0 ? "" : readUtf8(b, p + 2, n);
      p += 2 + n;
      if (p + 4 > end) throw new DecodeError("truncated", "short", p, "chat.message", "uid");
      const uid =
        ((b[p] as number) |
          ((b[p + 1] as number) << 8) |
          ((b[p + 2] as number) << 16) |
          ((b[p + 3] as number) << 24)) >>>
        0;
      p += 4;
      done(p, end, "chat.message");
      return { name: "chat.message", id, data: { text, uid } };
    }
    default:
      throw new DecodeError("unknown-id", `no packet has id ${id} (the table has 3)`, 0);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: decoded data of either codec
type Decoded = any;
type Packer = (schema: unknown) => {
  offset: number;
  pack(data: unknown, target?: Uint8Array): Uint8Array;
  unpack(bin: Uint8Array, offset: number, length: number): Decoded;
};

const read = (s: string) => s.length + (s.length === 0 ? 0 : s.charCodeAt(s.length - 1));
const cases = [
  {
    name: "common.signIn",
    schema: ["login:str24", "password:str24"],
    data: { login: "D", password: "13" },
    encode: encodeSignIn as (d: Decoded) => Uint8Array,
    read: (d: Decoded) => read(d.login) + read(d.password),
  },
  {
    name: "game.hero",
    schema: ["name:str32", "lvl:int8", "hp:uint8", "x:uint16", "y:uint16"],
    data: { name: "D", lvl: 13, hp: 69, x: -8, y: -8 },
    encode: encodeHero as (d: Decoded) => Uint8Array,
    read: (d: Decoded) => read(d.name) + d.lvl + d.hp + d.x + d.y,
  },
  {
    name: "chat.message",
    schema: ["uid:uint32", "text:str"],
    data: { uid: 7, text: "Hello from the lobby, who is up for a quick match?" },
    encode: encodeChat as (d: Decoded) => Uint8Array,
    read: (d: Decoded) => d.uid + read(d.text),
  },
];

const packer = require("2pack") as Packer;
const table = new PacketTable(Object.fromEntries(cases.map((c) => [c.name, c.schema])));
const header = packer("uint16");
const BATCH = 20000;
let sink = 0;

const time = (fn: () => void) => cpuNsPerCall(fn, BATCH);

console.log("medians of 41 interleaved rounds of 20000 calls (process CPU time), ns per call");
for (const [id, c] of cases.entries()) {
  const theirs = packer(c.schema);
  theirs.offset = 2;
  const frame = table.encode(c.name as never, c.data as never);
  if (Buffer.compare(Buffer.from(c.encode(c.data)), Buffer.from(frame)) !== 0)
    throw new Error(`${c.name}: bytes differ`);
  if (c.read(decode(frame).data) !== c.read(table.decode(frame).data)) throw new Error(`${c.name}: values differ`);
  const input = Buffer.from(frame);
  const runs: Record<string, () => void> = {
    theirsEncode: () => {
      for (let i = 0; i < BATCH; i++) sink += header.pack(id, theirs.pack(c.data)).length;
    },
    generalEncode: () => {
      for (let i = 0; i < BATCH; i++) sink += table.encode(c.name as never, c.data as never).length;
    },
    compiledEncode: () => {
      for (let i = 0; i < BATCH; i++) sink += c.encode(c.data).length;
    },
    theirsDecode: () => {
      for (let i = 0; i < BATCH; i++) {
        sink += header.unpack(input, 0, input.length) as number;
        sink += c.read(theirs.unpack(input, 0, input.length));
      }
    },
    generalDecode: () => {
      for (let i = 0; i < BATCH; i++) {
        const p = table.decode(frame);
        sink += p.id + c.read(p.data);
      }
    },
    compiledDecode: () => {
      for (let i = 0; i < BATCH; i++) {
        const p = decode(frame);
        sink += p.id + c.read(p.data);
      }
    },
  };
  const times: Record<string, number[]> = {};
  for (let r = 0; r < 41; r++) {
    for (const [k, fn] of Object.entries(runs)) {
      times[k] ??= [];
      times[k].push(time(fn));
    }
  }
  const m = (k: string) => median(times[k] as number[]);
  const fig = (side: "Encode" | "Decode") => {
    const base = m(`theirs${side}`);
    const g = m(`general${side}`);
    const k = m(`compiled${side}`);
    return `2pack ${base.toFixed(0)}, general ${g.toFixed(0)} (${(base / g).toFixed(1)}x), compiled ${k.toFixed(0)} (${(base / k).toFixed(1)}x)`;
  };
  console.log(`  ${c.name.padEnd(13)} encode: ${fig("Encode")}  decode: ${fig("Decode")}`);
}
if (sink === 0.5) console.log(sink);
