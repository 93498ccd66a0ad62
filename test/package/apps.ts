// What the package tier's tests share: the repository's tools, and an
// application folder that depends on the packed tarball alone.
import { execFile } from "node:child_process";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

export const run = promisify(execFile);
export const ROOT = new URL("../..", import.meta.url).pathname;
/** The repository's wrangler, tsc, esbuild... (an application under dist/ finds its packages the same way, walking up). */
export const BIN = join(ROOT, "node_modules/.bin");

/** A copy of `from` at `to` that depends on the tarball alone (its other tools are the repository's). */
export async function installApp(from: string, to: string, tarball: string): Promise<void> {
  cpSync(from, to, {
    recursive: true,
    filter: (src) => !/\/(node_modules|\.wrangler|\.dev\.vars|package-lock\.json)$/.test(src),
  });
  const pkg = JSON.parse(readFileSync(join(to, "package.json"), "utf8"));
  delete pkg.dependencies;
  delete pkg.devDependencies;
  writeFileSync(join(to, "package.json"), JSON.stringify(pkg, null, 2));
  await installTarball(to, tarball);
}

/** `npm install <tarball>`, offline: the package has no dependencies. */
export async function installTarball(cwd: string, tarball: string): Promise<void> {
  const args = ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock", tarball];
  await run("npm", args, { cwd });
}

/** Environment for wrangler commands: no metrics, no colour. */
export function quiet(): NodeJS.ProcessEnv {
  return { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
}
