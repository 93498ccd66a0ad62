// The over-TCP tests' server (test/support/local-server.ts) runs the Worker
// of a wrangler.toml through Miniflare instead of `wrangler dev`
// (docs/testing.md#tests-that-start-a-server): it reads each of our
// wrangler.toml files as wrangler does and refuses what it does not read,
// bundles an app again only when one of its files changed, and gives the
// app what wrangler dev gives it (vars over [vars], its compatibility
// flags, the client's address in CF-Connecting-IP, storage across a
// restart, its console in log()), or a clear error in bounded time.
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalServer } from "../support/local-server.js";
import { bundleWorker } from "../support/server/bundle.js";
import { projectRoot, stateBase } from "../support/server/shared.js";
import { readWorkerConfig } from "../support/server/worker-config.js";

const root = projectRoot();
const ECHO = "test/tcp/echo-app/wrangler.toml";
const scratch = mkdtempSync(join(stateBase(), "sockizy-edge-local-server-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every wrangler.toml of the project's apps: the seed's, the test apps', the benchmarks'. */
function configs(): string[] {
  const found = ["wrangler.toml", "test/edge/probe/wrangler.toml"];
  for (const dir of ["test/tcp", "bench"]) {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (e.isDirectory() && existsSync(join(root, dir, e.name, "wrangler.toml")))
        found.push(`${dir}/${e.name}/wrangler.toml`);
    }
  }
  return found;
}

function writeConfig(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

describe("reading wrangler.toml", () => {
  it("reads each of the project's wrangler.toml files as wrangler itself does", async () => {
    const wrangler = await import("wrangler");
    const paths = configs();
    expect(paths.length).toBeGreaterThan(8);
    for (const path of paths) {
      const file = resolve(root, path);
      const ours = readWorkerConfig(file);
      const theirs = wrangler.unstable_getMiniflareWorkerOptions(file);
      const raw = wrangler.unstable_readConfig({ config: file });
      const durableObjects = Object.fromEntries(
        Object.entries(theirs.workerOptions.durableObjects ?? {}).map(([k, v]) => {
          const d = v as { className: string; useSQLite?: boolean };
          return [k, { className: d.className, useSQLite: d.useSQLite === true }];
        }),
      );
      expect(ours, path).toEqual({
        name: raw.name,
        main: theirs.main,
        compatibilityDate: theirs.workerOptions.compatibilityDate,
        compatibilityFlags: theirs.workerOptions.compatibilityFlags,
        durableObjects,
        vars: theirs.workerOptions.bindings,
      });
    }
  });

  it("refuses a field it does not read, and TOML it does not parse, naming the file and the field or line", () => {
    const base = 'name = "x"\nmain = "w.ts"\ncompatibility_date = "2026-04-26"\n';
    const kv = writeConfig("kv.toml", `${base}[[kv_namespaces]]\nbinding = "KV"\n`);
    expect(() => readWorkerConfig(kv)).toThrow(`${kv}: "kv_namespaces" is not read`);
    const renamed = writeConfig("renamed.toml", `${base}[[migrations]]\ntag = "v2"\nrenamed_classes = ["A"]\n`);
    expect(() => readWorkerConfig(renamed)).toThrow("a migration: renamed_classes not read here");
    const node = writeConfig("node.toml", base.replace("\n", '\ncompatibility_flags = ["nodejs_compat"]\n'));
    expect(() => readWorkerConfig(node)).toThrow("nodejs_compat is not run here");
    const multiline = writeConfig(
      "multiline.toml",
      `${base}[[migrations]]\ntag = "v1"\nnew_sqlite_classes = [\n  "A",\n]\n`,
    );
    expect(() => readWorkerConfig(multiline)).toThrow(`${multiline}:6: a value this reader does not know`);
    const literal = writeConfig("literal.toml", `name = 'x'\n`);
    expect(() => readWorkerConfig(literal)).toThrow(`${literal}:1: literal strings`);
    const twice = writeConfig("twice.toml", `${base}name = "y"\n`);
    expect(() => readWorkerConfig(twice)).toThrow(`${twice}:4: name is set twice`);
  });
});

describe("bundling", () => {
  it("bundles an app once, and again when a file it was made from changes", async () => {
    const app = mkdtempSync(join(scratch, "app-"));
    const cache = join(app, "cache");
    writeFileSync(
      join(app, "worker.ts"),
      'import { word } from "./word.js";\nexport default { fetch: () => new Response(word) };\n',
    );
    writeFileSync(join(app, "word.ts"), 'export const word = "first";\n');
    const file = await bundleWorker(join(app, "worker.ts"), cache, app);
    const made = statSync(file).mtimeMs;
    expect(await bundleWorker(join(app, "worker.ts"), cache, app)).toBe(file);
    expect(statSync(file).mtimeMs).toBe(made); // not written again
    writeFileSync(join(app, "word.ts"), 'export const word = "second";\n');
    utimesSync(join(app, "word.ts"), new Date(), new Date(Date.now() + 1000)); // a later mtime even on a coarse clock
    await bundleWorker(join(app, "worker.ts"), cache, app);
    expect(readFileSync(file, "utf8")).toContain('"second"');
  });
});

describe("the server", () => {
  it("gives the app its vars over [vars], its compatibility flags, the client's address, storage across a restart and its console in log()", async () => {
    const first = await startLocalServer({ OVERRIDDEN: "from the caller" }, 60_000, ECHO);
    let server = first;
    try {
      const seen = (headers: Record<string, string> = {}) => fetch(`${server.url}/`, { headers }).then((r) => r.json());
      expect(await seen()).toEqual({
        greeting: "from wrangler.toml",
        overridden: "from the caller",
        ip: "127.0.0.1", // the client's address, as wrangler dev sets it
        navigator: false, // no_global_navigator took it away
      });
      // A header the client sent is kept, as under wrangler dev (the tests' per-address limits rely on it).
      expect(((await seen({ "CF-Connecting-IP": "192.0.2.7" })) as { ip: string }).ip).toBe("192.0.2.7");
      expect(server.log()).toContain("echo-app saw 192.0.2.7");
      expect(server.pid).toBeGreaterThan(0);
      expect(server.cpuMs()).toBeGreaterThan(0);
      const count = () => fetch(`${server.url}/count`).then((r) => r.text());
      expect(await count()).toBe("1");
      expect(await count()).toBe("2");
      server = await first.restart();
      expect(server.port).not.toBe(first.port);
      await expect(fetch(`${first.url}/count`)).rejects.toThrow();
      expect(await count()).toBe("3");
    } finally {
      await server.stop();
    }
  });

  it("refuses to start an app whose wrangler.toml has a field it does not read, saying which", async () => {
    const kv = writeConfig(
      "server-kv.toml",
      `name = "x"\nmain = "w.ts"\ncompatibility_date = "2026-04-26"\n[[kv_namespaces]]\n`,
    );
    await expect(startLocalServer({}, 60_000, kv)).rejects.toThrow(`${kv}: "kv_namespaces" is not read`);
  });

  it("gives up on a start that takes longer than its bound, saying so", async () => {
    await expect(startLocalServer({}, 1, ECHO)).rejects.toThrow(
      /Miniflare \(test\/tcp\/echo-app\/wrangler.toml\) did not start within 1 ms/,
    );
  });
});
