// The documentation's links and anchors, and the code's citations of it:
// 1. every relative link in README.md and docs/*.md (images included) points
//    to a file that exists, and every #anchor to a heading of that file;
// 2. every docs/<page>.md#<anchor> (or README.md#<anchor>) that src/, test/,
//    bench/ and scripts/ cite resolves to a page and a heading;
// 3. no comment in src/ cites the README by section name: it cites the page
//    and heading instead, which check 2 keeps true.
// DOCS_ROOT=<folder> runs the checks on another copy of the repository.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(process.env.DOCS_ROOT || fileURLToPath(new URL("../..", import.meta.url)));

/** Markdown lines outside fenced code blocks (``` or ~~~), others blanked so line numbers hold. */
function outsideFences(markdown: string): string[] {
  let fence: string | null = null;
  return markdown.split("\n").map((line) => {
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null && open) {
      fence = (open[1] as string)[0] as string;
      return "";
    }
    if (fence !== null) {
      if (open && (open[1] as string)[0] === fence) fence = null;
      return "";
    }
    return line;
  });
}

/** GitHub's anchor for a heading: lowercase, punctuation but hyphens and spaces dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // a link reads as its text
    .replace(/<[^>]*>/g, "") // inline HTML
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of a markdown file's headings, a repeated one suffixed -1, -2, ... as GitHub does. */
function anchors(markdown: string): Set<string> {
  const seen = new Set<string>();
  for (const line of outsideFences(markdown)) {
    const m = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1] as string);
    let anchor = base;
    for (let n = 1; seen.has(anchor); n++) anchor = `${base}-${n}`;
    seen.add(anchor);
  }
  return seen;
}

/** The relative link targets of a markdown file, with their line numbers (code spans and blocks skipped). */
function links(markdown: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  outsideFences(markdown).forEach((text, i) => {
    const line = text.replace(/(`+)[^`]*?\1/g, "");
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1] as string;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) found.push({ line: i + 1, target });
    }
  });
  return found;
}

const anchorCache = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
  let set = anchorCache.get(file);
  if (!set) {
    set = anchors(readFileSync(file, "utf8"));
    anchorCache.set(file, set);
  }
  return set;
}

/** What is wrong with a link to `target` from a file in `fromDir`, or null. */
function problem(fromFile: string, target: string): string | null {
  const hash = target.indexOf("#");
  const path = decodeURI(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? null : target.slice(hash + 1);
  const file = path === "" ? fromFile : resolve(dirname(fromFile), path);
  if (!existsSync(file)) return `no file ${relative(ROOT, file)}`;
  if (anchor === null) return null;
  if (statSync(file).isDirectory() || extname(file) !== ".md") return `#${anchor} on a file that is not markdown`;
  if (!anchorsOf(file).has(anchor)) return `no heading #${anchor} in ${relative(ROOT, file)}`;
  return null;
}

/** Files under `dir` (relative to ROOT) whose names end in one of `exts`. */
function sources(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (exts.some((x) => e.name.endsWith(x))) out.push(p);
    }
  };
  walk(join(ROOT, dir));
  return out;
}

const CODE = [".ts", ".mjs", ".toml"];
/** This folder cites patterns as examples; it is not checked against itself. */
const SELF = join(ROOT, "test", "docs");
const lineOf = (text: string, index: number) => text.slice(0, index).split("\n").length;

describe("documentation links", () => {
  it("makes GitHub's anchors: backticks, parentheses and punctuation dropped, repeats numbered, code skipped", () => {
    expect(slug("API (`io(url?, options?)` returns a client)")).toBe("api-iourl-options-returns-a-client");
    expect(slug("`size` from the shards")).toBe("size-from-the-shards");
    expect(slug("Online/offline")).toBe("onlineoffline");
    expect(slug("How they are kept, and what they cost")).toBe("how-they-are-kept-and-what-they-cost");
    expect(slug("Why not the platform's [Rate Limiting](https://x.example) binding")).toBe(
      "why-not-the-platforms-rate-limiting-binding",
    );
    const md = "# Tests\n## Tests\n```toml\n# not a heading\n```\n### Tests ##\n";
    expect([...anchors(md)]).toEqual(["tests", "tests-1", "tests-2"]);
    expect(links("[a](x.md#y) `[b](no.md)` ![c](d.png) [e](https://e.example)")).toEqual([
      { line: 1, target: "x.md#y" },
      { line: 1, target: "d.png" },
    ]);
  });

  it("every relative link in README.md and docs/*.md points to a file, and every #anchor to a heading", () => {
    const pages = [
      join(ROOT, "README.md"),
      ...readdirSync(join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => join(ROOT, "docs", f)),
    ];
    const problems: string[] = [];
    let count = 0;
    for (const page of pages) {
      for (const { line, target } of links(readFileSync(page, "utf8"))) {
        count++;
        const p = problem(page, target);
        if (p) problems.push(`${relative(ROOT, page)}:${line}: (${target}): ${p}`);
      }
    }
    expect(problems).toEqual([]);
    expect(count).toBeGreaterThan(10); // the check did look at links
  });

  it("every docs/<page>.md#<anchor> cited in src/, test/, bench/ and scripts/ exists", () => {
    const files = ["src", "test", "bench", "scripts"].flatMap((d) => sources(d, CODE));
    files.push(join(ROOT, "wrangler.toml"));
    const problems: string[] = [];
    for (const file of files) {
      if (file.startsWith(SELF) || !existsSync(file)) continue;
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?<![\w./-])((?:docs\/[\w.-]+|README)\.md)(#[\w-]+)?/g)) {
        const p = problem(join(ROOT, "README.md"), `${m[1]}${m[2] ?? ""}`);
        if (p) problems.push(`${relative(ROOT, file)}:${lineOf(text, m.index)}: ${m[0]}: ${p}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("no comment in src/ cites the README by section name (cite docs/<page>.md#<anchor>)", () => {
    const problems: string[] = [];
    for (const file of sources("src", [".ts", ".mjs"])) {
      const text = readFileSync(file, "utf8");
      // The word README, then a quoted section name (on the next comment line, maybe), or a capitalised word.
      for (const m of text.matchAll(/README(?:'s)?(?:(?:\s|\/\/|\*)*\(?"[^"]*"|\s+[A-Z]\w*)/g)) {
        problems.push(`${relative(ROOT, file)}:${lineOf(text, m.index)}: ${m[0].replace(/\s+/g, " ")}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
