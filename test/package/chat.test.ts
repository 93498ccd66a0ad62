// The package as an application gets it: packed (`npm pack`, whose prepack
// builds it), installed from the tarball alone into a copy of
// examples/chat, typechecked, run under `wrangler dev`, and used from plain
// Node 20 (the example's own `node --test`) and from Chromium through the
// served /sockizy.js. Also the README.md#use-it-in-your-app files:
// wrangler.toml through `wrangler types`, the TypeScript through tsc,
// against the packed types. Nothing here imports ../src.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath } from "../client/chromium.js";
import { type DevServer, startDevServer } from "./dev-server.js";

const run = promisify(execFile);
const ROOT = new URL("../..", import.meta.url).pathname;
const BIN = join(ROOT, "node_modules/.bin");
const INVITE = "package-test-invite";

let work: string;
let tarball: string;
let packed: { files: { path: string }[] };

/** A copy of `from` at `to` that depends on the tarball alone (its other tools are the repository's). */
async function installApp(from: string, to: string): Promise<void> {
  cpSync(from, to, { recursive: true, filter: (src) => !/\/(node_modules|\.wrangler|\.dev\.vars)$/.test(src) });
  const pkg = JSON.parse(readFileSync(join(to, "package.json"), "utf8"));
  delete pkg.dependencies;
  delete pkg.devDependencies;
  writeFileSync(join(to, "package.json"), JSON.stringify(pkg, null, 2));
  const args = ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--no-package-lock", tarball];
  await run("npm", args, { cwd: to });
}

beforeAll(async () => {
  // Inside the repository, so an app finds wrangler, ws and typescript by
  // walking up to its node_modules, while sockizy-edge resolves to the
  // tarball installed in the app's own node_modules.
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  work = mkdtempSync(join(ROOT, "dist", "package-test-"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", work], { cwd: ROOT });
  packed = JSON.parse(stdout)[0];
  tarball = join(work, (packed as unknown as { filename: string }).filename);
  await installApp(join(ROOT, "examples/chat"), join(work, "chat"));
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("holds the built entries and their declarations, and no sources", () => {
    const paths = packed.files.map((f) => f.path);
    for (const file of ["index", "client", "protocol"]) expect(paths).toContain(`lib/${file}.js`);
    for (const dts of ["edge", "client", "protocol"]) expect(paths).toContain(`lib/types/${dts}/index.d.ts`);
    expect(paths.filter((p) => !p.startsWith("lib/") && p !== "package.json" && p !== "README.md")).toEqual([]);
  });

  it("is public, has no runtime dependencies, and exports ., ./client and ./protocol", () => {
    const pkg = JSON.parse(readFileSync(join(work, "chat/node_modules/sockizy-edge/package.json"), "utf8"));
    expect(pkg.private).toBeUndefined();
    expect(pkg.dependencies).toBeUndefined();
    expect(Object.keys(pkg.exports)).toEqual([".", "./client", "./protocol", "./package.json"]);
  });

  it("loads in plain Node 20 ESM: sockizy-edge/client and sockizy-edge/protocol", async () => {
    const script = `const c = await import("sockizy-edge/client"); const p = await import("sockizy-edge/protocol");
      const t = new p.PacketTable({ "a.b": ["x:uint8"] });
      console.log(typeof c.io, typeof c.io.packets, t.decode(t.encode("a.b", { x: 7 })).data.x);`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: join(work, "chat") });
    expect(stdout.trim()).toBe("function function 7");
  });

  it("typechecks examples/chat against the packed declarations", async () => {
    await run(join(BIN, "tsc"), ["-p", "."], { cwd: join(work, "chat") });
  }, 30_000);

  it("examples/chat's worker-configuration.d.ts is what `wrangler types` makes of its wrangler.toml", async () => {
    await run(join(BIN, "wrangler"), ["types", "--check"], { cwd: join(work, "chat"), env: quiet() });
  }, 30_000);
});

describe("README: Use it in your app", () => {
  it("its wrangler.toml goes through `wrangler types`, and its TypeScript typechecks against the packed package", async () => {
    const dir = join(work, "readme");
    const files = readmeFiles();
    expect(Object.keys(files)).toEqual(expect.arrayContaining(["wrangler.toml", "src/index.ts", "client.ts"]));
    mkdirSync(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "my-app", private: true, type: "module" }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    // The Worker's files as a Worker project sees them; the client as Node does (nodenext: package.json "exports").
    const strict = { target: "es2022", strict: true, skipLibCheck: true, noEmit: true, verbatimModuleSyntax: true };
    const worker = {
      module: "es2022",
      moduleResolution: "bundler",
      lib: ["es2022"],
      types: ["@cloudflare/workers-types"],
    };
    const tsconfig = (options: object, include: string[]) =>
      JSON.stringify({ compilerOptions: { ...strict, ...options }, include });
    writeFileSync(join(dir, "tsconfig.json"), tsconfig(worker, ["src", "worker-configuration.d.ts"]));
    writeFileSync(join(dir, "tsconfig.node.json"), tsconfig({ module: "nodenext", types: ["node"] }, ["client.ts"]));
    await installApp(dir, join(work, "readme-app"));
    const app = join(work, "readme-app");
    await run(join(BIN, "wrangler"), ["types", "--include-runtime=false"], { cwd: app, env: quiet() });
    for (const project of ["tsconfig.json", "tsconfig.node.json"]) {
      await run(join(BIN, "tsc"), ["-p", project], { cwd: app }).catch((e: { stdout?: string }) => {
        throw new Error(`README snippets (${project}) do not typecheck:\n${e.stdout}`);
      });
    }
  }, 60_000);
});

describe("examples/chat under wrangler dev", () => {
  let server: DevServer;

  beforeAll(async () => {
    const app = join(work, "chat");
    writeFileSync(join(app, ".dev.vars"), `CHAT_INVITE=${INVITE}\n`);
    server = await startDevServer(join(BIN, "wrangler"), app, join(work, "state"), 100_000);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("passes its own tests from plain Node 20, with sockizy-edge/client and ws", async () => {
    const env = { ...process.env, CHAT_URL: server.url.replace("http", "ws"), CHAT_INVITE: INVITE };
    const result = await run(process.execPath, ["--test", "test/"], { cwd: join(work, "chat"), env }).catch(
      (e: { stdout: string }) => e,
    );
    expect(result.stdout, `${result.stdout}\n${server.log()}`).toMatch(/^# fail 0$/m);
    expect(result.stdout).toMatch(/^# pass 5$/m);
  }, 60_000);

  it("serves /sockizy.js with the room's packets declared", async () => {
    const body = await (await fetch(`${server.url}/sockizy.js`)).text();
    expect(body).toContain("chat.signIn");
    expect(body).toContain("chat.welcome");
  });

  it("its page signs in and chats in Chromium through the served /sockizy.js", async () => {
    const browser = await playwright.launch({
      executablePath: await chromiumPath(),
      headless: true,
      args: ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/`);
      await page.locator("#status", { hasText: "connected" }).waitFor();
      await page.fill("#name", "Ada");
      await page.fill("#invite", INVITE);
      await page.click("#signin button");
      await page.locator("#status", { hasText: "signed in as Ada" }).waitFor();
      await page.fill("#text", "hello from Chromium");
      await page.click("#say button[type=submit]");
      await page.locator("#log li", { hasText: "Ada: hello from Chromium" }).waitFor();
    } finally {
      await browser.close();
    }
  }, 60_000);
});

/** Environment for wrangler commands: no metrics, no colour. */
function quiet(): NodeJS.ProcessEnv {
  return { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };
}

/**
 * The files of README.md#use-it-in-your-app: each fenced block whose first
 * line is a comment naming its path (`# wrangler.toml`, `// src/index.ts`).
 */
function readmeFiles(): Record<string, string> {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("\n## Use it in your app");
  if (start < 0) throw new Error('README has no "## Use it in your app" section');
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const files: Record<string, string> = {};
  for (const m of section.matchAll(/```(?:ts|toml)\n(?:\/\/|#) ([\w./-]+)\n([\s\S]*?)```/g)) {
    files[m[1] as string] = m[2] as string;
  }
  return files;
}
