// npm run bench:codec — our codec against 2pack 1.0.0 in the same process.
// Both run interleaved, round after round, on the three reference packets;
// each round times a batch of calls, and the figures are medians over the
// rounds. The last line is the summary: the lowest of the three
// median speed-ups (2pack time / ours) for encode and for decode.
import { createRequire } from "node:module";
import { PacketTable, type Schema } from "../src/protocol/index.js";

const packer = createRequire(import.meta.url)("2pack") as (schema: Schema) => {
  offset: number;
  pack(data: unknown, target?: Uint8Array): Buffer;
  unpack(bin: Uint8Array, offset: number, length: number): unknown;
};

const ROUNDS = Number(process.env.ROUNDS ?? 41);
const BATCH = Number(process.env.BATCH ?? 20000);

const cases: { name: string; schema: Schema; data: unknown }[] = [
  { name: "common.signIn", schema: ["login:str24", "password:str24"], data: { login: "D", password: "13" } },
  {
    name: "game.hero",
    schema: ["name:str32", "lvl:int8", "hp:uint8", "x:uint16", "y:uint16"],
    data: { name: "D", lvl: 13, hp: 69, x: -8, y: -8 },
  },
  { name: "chat.message", schema: ["uid:uint32", "text:str"], data: { uid: 7, text: "Hello from the lobby, who is up for a quick match?" } },
];

const table = new PacketTable(Object.fromEntries(cases.map((c) => [c.name, c.schema])));
const header = packer("uint16");

let sink = 0; // keeps results alive so nothing is optimised away

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / BATCH;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const ratios = { encode: [] as number[], decode: [] as number[] };
for (const [id, c] of cases.entries()) {
  const theirs = packer(c.schema);
  theirs.offset = 2;
  const frame = table.encode(c.name as never, c.data as never);
  const frameBuf = Buffer.from(frame);
  const t = { oursEnc: [] as number[], theirsEnc: [] as number[], oursDec: [] as number[], theirsDec: [] as number[] };
  // sockizy framed a packet as header.pack(id, payload.pack(data)) and read
  // it back with header.unpack then payload.unpack.
  const theirsEncode = () => {
    for (let i = 0; i < BATCH; i++) sink += header.pack(id, theirs.pack(c.data)).length;
  };
  const oursEncode = () => {
    for (let i = 0; i < BATCH; i++) sink += table.encode(c.name as never, c.data as never).length;
  };
  const theirsDecode = () => {
    for (let i = 0; i < BATCH; i++) {
      sink += header.unpack(frameBuf, 0, frameBuf.length) as number;
      sink += theirs.unpack(frameBuf, 0, frameBuf.length) ? 1 : 0;
    }
  };
  const oursDecode = () => {
    for (let i = 0; i < BATCH; i++) sink += table.decode(frame).data ? 1 : 0;
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
  const ns = (x: number[]) => `${median(x).toFixed(0)} ns`;
  console.log(
    `${c.name.padEnd(13)} encode: 2pack ${ns(t.theirsEnc)}, ours ${ns(t.oursEnc)} (${enc.toFixed(1)}x)` +
      `  decode: 2pack ${ns(t.theirsDec)}, ours ${ns(t.oursDec)} (${dec.toFixed(1)}x)`,
  );
}
if (sink === 0.5) console.log(sink);
console.log(`(medians of ${ROUNDS} interleaved rounds of ${BATCH} calls, node ${process.version})`);
console.log(
  `codec vs 2pack: encode ${Math.min(...ratios.encode).toFixed(1)}x, decode ${Math.min(...ratios.decode).toFixed(1)}x`,
);
