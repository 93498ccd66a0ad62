// The house's shape, checked (docs/development.md): no import circles in
// src (what `npx madge --circular` would report, type imports included), the
// library never importing the seed, the codec importing nothing else, and
// files small enough to have one job.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const src = join(root, "src");
/** About 350 lines: past that a file has more than one job (generated bundles excepted). */
const MAX_LINES = 350;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^"';]*?\sfrom\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

/** Each file's relative imports, as paths relative to src. */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const deps: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2]) as string;
      deps.push(relative(src, resolve(dirname(file), spec.replace(/\.js$/, ".ts"))));
    }
    graph.set(relative(src, file), deps);
  }
  return graph;
}

/** Every circle, each as the path that closes it (depth-first, white/grey/black). */
function circles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const found: string[][] = [];
  const visit = (node: string, path: string[]) => {
    if (state.get(node) === "done") return;
    if (state.get(node) === "open") {
      found.push([...path.slice(path.indexOf(node)), node]);
      return;
    }
    state.set(node, "open");
    for (const dep of graph.get(node) ?? []) visit(dep, [...path, node]);
    state.set(node, "done");
  };
  for (const node of graph.keys()) visit(node, []);
  return found;
}

const files = sources(src);
const graph = importGraph(files);

describe("src's imports", () => {
  it("resolve to files that exist (so the graph below is the real one)", () => {
    const missing = [...graph.values()].flat().filter((dep) => !graph.has(dep));
    expect(missing).toEqual([]);
  });

  it("have no circle", () => {
    expect(circles(graph).map((c) => c.join(" -> "))).toEqual([]);
  });

  it("find a circle when there is one (the check itself)", () => {
    const g = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    expect(circles(g)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
    expect([...importGraph([join(src, "edge/index.ts")]).values()][0]).toContain("edge/app/define-app.ts");
  });

  it("keep the library apart from the seed, and the codec apart from everything", () => {
    const wrong = [...graph].flatMap(([file, deps]) =>
      deps
        .filter(
          (dep) =>
            ((file.startsWith("edge/") || file.startsWith("client/")) && dep.startsWith("seed/")) ||
            (file.startsWith("protocol/") && !dep.startsWith("protocol/")),
        )
        .map((dep) => `${file} -> ${dep}`),
    );
    expect(wrong).toEqual([]);
  });
});

describe("src's files", () => {
  it(`are at most ${MAX_LINES} lines (generated bundles aside)`, () => {
    const long = files
      .filter((f) => !f.endsWith(".gen.ts"))
      .map((f) => ({ file: relative(src, f), lines: readFileSync(f, "utf8").split("\n").length - 1 }))
      .filter((f) => f.lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
