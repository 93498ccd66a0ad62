// npm run bench:codec: our codec against 2pack 1.0.0 in the same process.
// Both run interleaved, round after round, on the three reference packets;
// each round times a batch of calls, and the figures are medians over the
// rounds. The last line is the summary: the lowest of the three
// median speed-ups (2pack time / ours) for encode and for decode, against
// 2pack as it runs in plain Node (with Node's native Buffer for UTF-8).
//
// What is timed is what a caller gets, costs it moves to the caller included:
// - decode: inside the timed loop every decoded string is read once (its
//   last character, which makes V8 flatten a string built by concatenation)
//   and every number is read, for ours and for 2pack alike, through the same
//   reader; a codec cannot look fast by handing back strings that cost more
//   on first use;
// - encode: ours returns a fresh Uint8Array per frame, which the caller may
//   keep. 2pack returns a view (Buffer#slice) into a buffer it reuses, which
//   the next pack overwrites; that is what it is timed as.
//
// A second table, for context only, runs 2pack as it runs in a browser or
// a Worker: there is no Buffer there, so 2pack falls back to its own
// JavaScript UTF-8 code (it checks `typeof Buffer` when it loads).
import { createRequire } from "node:module";
import { PacketTable, type Schema } from "../src/protocol/index.js";
import { cpuNsPerCall, median } from "./cpu-time.js";

type Packer = (schema: Schema) => {
  offset: number;
  pack(data: unknown, target?: Uint8Array): Uint8Array;
  unpack(bin: Uint8Array, offset: number, length: number): unknown;
};

const require = createRequire(import.meta.url);
const nodePacker = require("2pack") as Packer;

/** A second copy of 2pack, loaded while the global `Buffer` is hidden, as in a browser or a Worker. */
function packerWithoutBuffer(): Packer {
  const path = require.resolve("2pack");
  const cached = require.cache[path];
  delete require.cache[path];
  const saved = globalThis.Buffer;
  Reflect.deleteProperty(globalThis, "Buffer");
  try {
    return require("2pack") as Packer;
  } finally {
    globalThis.Buffer = saved;
    require.cache[path] = cached;
  }
}

const ROUNDS = Number(process.env.ROUNDS ?? 41);
const BATCH = Number(process.env.BATCH ?? 20000);

// biome-ignore lint/suspicious/noExplicitAny: decoded data of either codec
type Decoded = any;

/** Reads a decoded string once: its length and last character (flattening it if it is a rope). */
const str = (s: string) => s.length + (s.length === 0 ? 0 : s.charCodeAt(s.length - 1));

const cases: { name: string; schema: Schema; data: unknown; read: (d: Decoded) => number }[] = [
  {
    name: "common.signIn",
    schema: ["login:str24", "password:str24"],
    data: { login: "D", password: "13" },
    read: (d) => str(d.login) + str(d.password),
  },
  {
    name: "game.hero",
    schema: ["name:str32", "lvl:int8", "hp:uint8", "x:uint16", "y:uint16"],
    data: { name: "D", lvl: 13, hp: 69, x: -8, y: -8 },
    read: (d) => str(d.name) + d.lvl + d.hp + d.x + d.y,
  },
  {
    name: "chat.message",
    schema: ["uid:uint32", "text:str"],
    data: { uid: 7, text: "Hello from the lobby, who is up for a quick match?" }, // 50 characters
    read: (d) => d.uid + str(d.text),
  },
];

const table = new PacketTable(Object.fromEntries(cases.map((c) => [c.name, c.schema])));

let sink = 0; // keeps results alive so nothing is optimised away

const time = (fn: () => void) => cpuNsPerCall(fn, BATCH);
const ns = (x: number[]) => `${median(x).toFixed(0)} ns`;

/** Runs the three packets against one 2pack; returns each packet's median speed-ups. */
function compare(packer: Packer, toInput: (frame: Uint8Array) => Uint8Array) {
  const header = packer("uint16");
  const ratios = { encode: [] as number[], decode: [] as number[] };
  for (const [id, c] of cases.entries()) {
    const theirs = packer(c.schema);
    theirs.offset = 2;
    const frame = table.encode(c.name as never, c.data as never);
    const input = toInput(frame);
    // Both readers must see the same values, or the comparison is void.
    const oursRead = c.read(table.decode(frame).data);
    const theirsRead = c.read(theirs.unpack(input, 0, input.length));
    if (oursRead !== theirsRead) throw new Error(`${c.name}: ours reads ${oursRead}, 2pack ${theirsRead}`);
    const t = {
      oursEnc: [] as number[],
      theirsEnc: [] as number[],
      oursDec: [] as number[],
      theirsDec: [] as number[],
    };
    // sockizy framed a packet as header.pack(id, payload.pack(data)) and read
    // it back with header.unpack, then payload.unpack.
    const theirsEncode = () => {
      for (let i = 0; i < BATCH; i++) sink += header.pack(id, theirs.pack(c.data)).length;
    };
    const oursEncode = () => {
      for (let i = 0; i < BATCH; i++) sink += table.encode(c.name as never, c.data as never).length;
    };
    const theirsDecode = () => {
      for (let i = 0; i < BATCH; i++) {
        sink += header.unpack(input, 0, input.length) as number;
        sink += c.read(theirs.unpack(input, 0, input.length));
      }
    };
    const oursDecode = () => {
      for (let i = 0; i < BATCH; i++) {
        const p = table.decode(frame);
        sink += p.id + c.read(p.data);
      }
    };
    for (let r = 0; r < ROUNDS; r++) {
      t.theirsEnc.push(time(theirsEncode));
      t.oursEnc.push(time(oursEncode));
      t.theirsDec.push(time(theirsDecode));
      t.oursDec.push(time(oursDecode));
    }
    const enc = median(t.theirsEnc) / median(t.oursEnc);
    const dec = median(t.theirsDec) / median(t.oursDec);
    ratios.encode.push(enc);
    ratios.decode.push(dec);
    console.log(
      `  ${c.name.padEnd(13)} encode: 2pack ${ns(t.theirsEnc)}, ours ${ns(t.oursEnc)} (${enc.toFixed(1)}x)` +
        `  decode: 2pack ${ns(t.theirsDec)}, ours ${ns(t.oursDec)} (${dec.toFixed(1)}x)`,
    );
  }
  return { encode: Math.min(...ratios.encode), decode: Math.min(...ratios.decode) };
}

// The summary's measurement runs first, before a second copy of 2pack is
// loaded, so nothing the second copy does can sway it.
console.log(`medians of ${ROUNDS} interleaved rounds of ${BATCH} calls (process CPU time), node ${process.version}`);
console.log("decode reads every string once and every number; encode: ours a fresh array, 2pack a view of its buffer");
console.log("2pack in plain Node (native Buffer UTF-8, frames given as Buffers):");
const node = compare(nodePacker, (frame) => Buffer.from(frame));
console.log("2pack in a browser or a Worker (no Buffer; context only):");
const web = compare(packerWithoutBuffer(), (frame) => frame);
console.log(`  lowest: encode ${web.encode.toFixed(1)}x, decode ${web.decode.toFixed(1)}x`);
if (sink === 0.5) console.log(sink);
console.log(`codec vs 2pack: encode ${node.encode.toFixed(1)}x, decode ${node.decode.toFixed(1)}x`);
