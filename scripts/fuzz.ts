// `npm run fuzz -- --frames 100000 [--seed N] [--parallel N]`: the TCP frame
// fuzzer (test/tcp/fuzzer.ts) for longer runs than npm test's 20,000 frames,
// against a local server it starts on a free loopback port and stops.
import { startLocalServer } from "../test/support/local-server.js";
import { fuzz, seedScenario } from "../test/tcp/fuzzer.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a whole number of at least 1`);
  return value;
}

const frames = arg("frames", 20_000);
const seed = arg("seed", Date.now() % 1_000_000);
const parallel = arg("parallel", 32);
const server = await startLocalServer();
let failed = true;
try {
  const base = server.url.replace(/^http:/, "ws:");
  console.log(`fuzzing ${server.url} with ${frames} frames, seed ${seed}, ${parallel} sockets at a time`);
  // Sign-in packets are real failed sign-ins, counted by the rate limits: 80 per run (the fuzzer's default).
  const report = await fuzz({ base, frames, seed, parallel, ip: "198.18.0.2" });
  console.log(
    `${report.frames} frames over ${report.sockets} sockets in ${report.ms} ms (${Math.round((report.frames / report.ms) * 1000)}/s); ` +
      `handled ${report.verdicts.handled}, 1003 ${report.verdicts["1003"]}, 1009 ${report.verdicts["1009"]}; ` +
      `${report.signIns} sign-in packets; ${report.pings} monitor pings, slowest ${report.slowestPingMs} ms`,
  );
  const scenario = await seedScenario(base, "198.18.0.3");
  for (const m of [...report.mismatches, ...scenario]) console.log(`MISMATCH ${m}`);
  console.log(scenario.length === 0 ? "seed scenario afterwards: exact" : "seed scenario afterwards: DIFFERENT");
  failed = report.mismatches.length > 0 || scenario.length > 0;
} finally {
  await server.stop();
}
process.exit(failed ? 1 : 0);
