// `npm run check` (the start of `npm test`): the type check, the linter and
// the deploy dry-run, side by side (they share nothing, and one after another
// they took about 7 s of the 2-core machine's wall time). Each one's output is
// printed whole once it ends, in this order; the check fails if any does.
import { spawn } from "node:child_process";

const CHECKS = [
  ["tsc", "--noEmit", "-p", "."],
  ["biome", "check", "."],
  ["wrangler", "deploy", "--dry-run", "--outdir", "dist/deploy"],
];

/** Runs one check from node_modules/.bin, its stdout and stderr kept together. */
function run([bin, ...args]) {
  return new Promise((resolve) => {
    const child = spawn(`node_modules/.bin/${bin}`, args);
    const output = [];
    child.stdout.on("data", (d) => output.push(d));
    child.stderr.on("data", (d) => output.push(d));
    child.on("error", (error) =>
      resolve({ line: [bin, ...args].join(" "), code: 1, output: [Buffer.from(`${error}\n`)] }),
    );
    child.on("close", (code) => resolve({ line: [bin, ...args].join(" "), code: code ?? 1, output }));
  });
}

const results = await Promise.all(CHECKS.map(run));
for (const { line, code, output } of results) {
  process.stdout.write(`\n> ${line}\n`);
  process.stdout.write(Buffer.concat(output));
  if (code !== 0) process.stdout.write(`\n${line}: failed (exit ${code})\n`);
}
process.exitCode = results.some((r) => r.code !== 0) ? 1 : 0;
