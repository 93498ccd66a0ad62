// A Worker's entry module bundled as wrangler dev bundles it (esbuild, ES
// modules, the workerd conditions, `cloudflare:*` left to the runtime), kept
// in the state folder's base and used again while none of the files it was
// made from has changed: a run bundles each app once, not once per server
// (docs/testing.md#tests-that-start-a-server).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type BuildOptions, build } from "esbuild";

/** wrangler 4's build options for `wrangler dev` (its bundleWorker), the ones that change the output of our apps. */
const OPTIONS: BuildOptions = {
  bundle: true,
  format: "esm",
  target: "es2024",
  conditions: ["workerd", "worker", "browser"],
  external: ["cloudflare:*"],
  keepNames: true,
  define: { "process.env.NODE_ENV": '"development"' },
  logLevel: "silent",
};

interface Stamp {
  /** Each input file (absolute) with its mtime and size when the bundle was made. */
  inputs: [string, number, number][];
}

/**
 * The bundle of `main` (an absolute path): the path of its file in `cacheDir`.
 *
 * @example
 * const file = await bundleWorker("/repo/src/seed/worker.ts", "/dev/shm/sockizy-edge-bundles");
 */
export async function bundleWorker(main: string, cacheDir: string, root: string): Promise<string> {
  mkdirSync(cacheDir, { recursive: true });
  const key = createHash("sha256")
    .update(JSON.stringify([main, OPTIONS]))
    .digest("hex")
    .slice(0, 16);
  const file = join(cacheDir, `${key}.mjs`);
  const stampFile = join(cacheDir, `${key}.json`);
  if (fresh(stampFile)) return file;
  const result = await build({ ...OPTIONS, absWorkingDir: root, entryPoints: [main], write: false, metafile: true });
  const code = result.outputFiles?.[0]?.contents;
  if (!code || !result.metafile) throw new Error(`esbuild made no output for ${main}`);
  const stamp: Stamp = {
    inputs: Object.keys(result.metafile.inputs).map((input) => {
      const path = resolve(root, input);
      const s = statSync(path);
      return [path, s.mtimeMs, s.size];
    }),
  };
  // Another test file may be writing the same bundle: each writes its own file and renames it into place.
  const tmp = `.${process.pid}-${Date.now()}`;
  writeFileSync(file + tmp, code);
  renameSync(file + tmp, file);
  writeFileSync(stampFile + tmp, JSON.stringify(stamp));
  renameSync(stampFile + tmp, stampFile);
  return file;
}

/** Whether the bundle a stamp describes is there and every one of its inputs is as it was. */
function fresh(stampFile: string): boolean {
  try {
    const stamp = JSON.parse(readFileSync(stampFile, "utf8")) as Stamp;
    statSync(stampFile.replace(/\.json$/, ".mjs"));
    return stamp.inputs.every(([path, mtime, size]) => {
      const s = statSync(path);
      return s.mtimeMs === mtime && s.size === size;
    });
  } catch {
    return false;
  }
}
