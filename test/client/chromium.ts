// The Chromium the browser tests drive: the one shipped (brotli-packed) in
// the npm package @sparticuz/chromium, extracted into a folder of this
// project, node_modules/.cache/sockizy-edge/chromium-<version>/.
//
// Why not the package's own executablePath() as it is: it extracts into the
// OS temp folder (os.tmpdir()/chromium, fonts, swiftshader) and reuses
// whatever it finds there, so a machine that once ran another version (or
// another project) gets that browser instead of ours. A newer Chromium's
// local-network-access check, for one, blocks the demo page's socket. So the
// extraction runs with TMPDIR pointing at a folder of ours (os.tmpdir() reads
// it on every call), first into a fresh folder that is renamed into place
// only once complete: an interrupted run never leaves a half-extracted
// browser to be reused. The folder name carries the package version, so an
// upgrade extracts afresh. node_modules/.cache exists after `npm ci` on a
// fresh clone (CI) and is what other tools use for such caches.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import chromium from "@sparticuz/chromium";
import { type Browser, chromium as playwright } from "playwright-core";

const ROOT = new URL("../..", import.meta.url).pathname;
/** The version of @sparticuz/chromium (its major is Chromium's). */
export const CHROMIUM_VERSION = (
  JSON.parse(readFileSync(join(ROOT, "node_modules/@sparticuz/chromium/package.json"), "utf8")) as {
    version: string;
  }
).version;

/** Where this project's Chromium lives. */
export const CHROMIUM_DIR = join(ROOT, "node_modules/.cache/sockizy-edge", `chromium-${CHROMIUM_VERSION}`);
const DONE = ".complete";

/** Runs `fn` with os.tmpdir() answering `dir`, then puts TMPDIR back. */
async function withTmpdir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
}

/** The path of this project's Chromium binary, extracting it on first use. */
export async function chromiumPath(): Promise<string> {
  const binary = join(CHROMIUM_DIR, "chromium");
  if (existsSync(join(CHROMIUM_DIR, DONE))) return binary;
  mkdirSync(join(CHROMIUM_DIR, ".."), { recursive: true });
  const staging = mkdtempSync(`${CHROMIUM_DIR}.partial-`);
  try {
    const extracted = await withTmpdir(staging, () => chromium.executablePath());
    if (extracted !== join(staging, "chromium")) throw new Error(`Chromium extracted to ${extracted}, not ${staging}`);
    writeFileSync(join(staging, DONE), `${CHROMIUM_VERSION}\n`);
    // A folder without the marker is what an older, interrupted layout left.
    if (!existsSync(join(CHROMIUM_DIR, DONE))) rmSync(CHROMIUM_DIR, { recursive: true, force: true });
    renameSync(staging, CHROMIUM_DIR);
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    // Another test process may have won the race: its folder is as good as ours.
    if (!existsSync(join(CHROMIUM_DIR, DONE))) throw e;
  }
  return binary;
}

/** Headless, as the browser tests run it: no sandbox (containers), no GPU, no first-run or background traffic. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** This project's Chromium, launched headless. */
export async function launchChromium(): Promise<Browser> {
  return playwright.launch({ executablePath: await chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}
