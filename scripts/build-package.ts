// Builds the package that `npm pack` ships (the prepack hook): lib/*.js,
// one ES module per entry of package.json's "exports" with the code they
// share in lib/chunks, and lib/types, the .d.ts files that tsc writes from
// src (tsconfig.build.json).
//
// The JavaScript is bundled by esbuild but not minified: a Worker that
// imports the package is bundled again by wrangler, and a stack trace should
// read like the source. `cloudflare:*` modules stay imports: the Workers
// runtime provides them.
//
// Run it with `npm run build`.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const lib = join(root, "lib");

/** package.json "exports" -> source entry (lib/<name>.js). */
export const ENTRIES = {
  index: "src/edge/index.ts",
  client: "src/client/index.ts",
  protocol: "src/protocol/index.ts",
} as const;

/**
 * Declaration errors tolerated in files the public types never import: the
 * object factories return class expressions with private members (TS4094),
 * which createEdge's declared return type (DurableObjectClass) hides. The
 * check below fails the build if any emitted declaration imports a file
 * that was not written.
 */
const TOLERATED = /^src\/edge\/(?:[a-z-]+\/)*[a-z-]+-object\.ts\(\d+,\d+\): error TS4094: /;

async function javascript(): Promise<void> {
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES)),
    outdir: lib,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "neutral",
    // Workers, Node 20 and browsers from 2021 on.
    target: "es2022",
    external: ["cloudflare:*"],
    chunkNames: "chunks/[name]-[hash]",
    legalComments: "none",
    charset: "utf8",
    logLevel: "warning",
  });
}

async function declarations(): Promise<void> {
  const tsc = join(root, "node_modules", ".bin", "tsc");
  const out = await promisify(execFile)(tsc, ["-p", "tsconfig.build.json"], { cwd: root }).then(
    (r) => r.stdout,
    (e: { stdout?: string; code?: number }) => {
      if (e.code !== 1 && e.code !== 2) throw e;
      return e.stdout ?? "";
    },
  );
  // Diagnostics start at column 0; their continuation lines are indented.
  const errors = out.split("\n").filter((l) => /^\S.*error TS\d+/.test(l) && !TOLERATED.test(l));
  if (errors.length > 0) throw new Error(`tsc (tsconfig.build.json):\n${errors.join("\n")}`);
}

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

/**
 * Keeps the declarations the entries' types reach (tsc writes one per file
 * of the program, the generated client bundle's text included), and fails
 * when one of them imports a file that was not written.
 */
async function pruneDeclarations(): Promise<void> {
  const types = join(lib, "types");
  const reached = new Set<string>();
  const missing: string[] = [];
  const pending = Object.values(ENTRIES).map((e) => join(types, e.replace(/^src\//, "").replace(/\.ts$/, ".d.ts")));
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (reached.has(file)) continue;
    if (!existsSync(file)) {
      missing.push(relative(root, file));
      continue;
    }
    reached.add(file);
    // Comments out first: an @example may show an import of the reader's own files.
    const text = (await readFile(file, "utf8")).replace(/\/\*[\s\S]*?\*\//g, "");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)\.js"/g)) {
      pending.push(resolve(dirname(file), `${m[1]}.d.ts`));
    }
  }
  if (missing.length > 0) throw new Error(`declarations not written:\n${missing.join("\n")}`);
  for await (const file of files(types)) if (!reached.has(file)) await rm(file);
}

async function main(): Promise<void> {
  await rm(lib, { recursive: true, force: true });
  await javascript();
  await declarations();
  await pruneDeclarations();
  // stderr: `npm pack --json` prints its answer on stdout.
  console.error("build-package: wrote lib/");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
