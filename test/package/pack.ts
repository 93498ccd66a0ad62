// The "package" project's global setup: packs the package once (`npm pack`,
// whose prepack hook builds lib/) for every test file of the tier. The files
// run at once, and two builds writing lib/ together would race. The folder
// is inside the repository, so an application installed there finds
// wrangler, ws and typescript by walking up to its node_modules, while
// sockizy-edge resolves to the tarball installed in its own.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

export interface Packed {
  /** A scratch folder for the tier's applications, removed after the run. */
  work: string;
  /** The tarball `npm pack` wrote. */
  tarball: string;
  /** The paths it holds. */
  files: string[];
}

declare module "vitest" {
  export interface ProvidedContext {
    packed: Packed;
  }
}

const ROOT = new URL("../..", import.meta.url).pathname;

export default async function setup(project: TestProject): Promise<() => void> {
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  const work = mkdtempSync(join(ROOT, "dist", "package-test-"));
  const { stdout } = await promisify(execFile)("npm", ["pack", "--json", "--pack-destination", work], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!packed) throw new Error(`npm pack printed no package:\n${stdout}`);
  project.provide("packed", { work, tarball: join(work, packed.filename), files: packed.files.map((f) => f.path) });
  return () => rmSync(work, { recursive: true, force: true });
}
