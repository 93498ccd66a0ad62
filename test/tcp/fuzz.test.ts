// The frame fuzzer over real TCP (test/tcp/fuzzer.ts): seeded mutated
// frames against the local server (20,000 in `npm run test:full`, fewer in
// `npm test`: FUZZ_FRAMES, vitest.config.ts), each verdict as predicted, the
// server answering throughout, then the seed scenario exact. Longer runs:
// `npm run fuzz -- --frames 100000 [--seed N]`.
import { afterAll, beforeAll, expect, it } from "vitest";
import { type LocalServer, startLocalServer } from "../support/local-server.js";
import { fuzz, seedScenario } from "./fuzzer.js";

let server: LocalServer | undefined;
let base = "";

beforeAll(async () => {
  server = await startLocalServer();
  base = server.url.replace(/^http:/, "ws:");
}, 90_000);

afterAll(async () => {
  await server?.stop();
});

const FRAMES = Number(process.env.FUZZ_FRAMES || 20_000);

it(`answers ${FRAMES.toLocaleString("en-US")} mutated frames as predicted (handled, 1003, 1009), keeps answering, then plays the seed scenario exactly`, async () => {
  const seed = Number(process.env.FUZZ_SEED ?? 20260);
  const report = await fuzz({ base, frames: FRAMES, seed, ip: "198.18.0.2", parallel: 32 });
  console.log(
    `fuzz (seed ${seed}): ${report.frames} frames over ${report.sockets} sockets in ${report.ms} ms; ` +
      `handled ${report.verdicts.handled}, 1003 ${report.verdicts["1003"]}, 1009 ${report.verdicts["1009"]}; ` +
      `${report.signIns} sign-in packets; ${report.pings} monitor pings, slowest ${report.slowestPingMs} ms`,
  );
  expect(report.mismatches).toEqual([]);
  expect(report.frames).toBeGreaterThanOrEqual(FRAMES);
  expect(report.verdicts["1003"]).toBeGreaterThan(0);
  expect(report.verdicts["1009"]).toBeGreaterThan(0);
  expect(report.pings).toBeGreaterThan(0);
  expect(await seedScenario(base, "198.18.0.3")).toEqual([]);
}, 120_000);
