// README.md#use-it-in-your-app, followed literally (issue 16): in an empty
// folder, every fenced block of the section in order. A block whose first
// line names a path (`# wrangler.toml`, `// src/index.ts`) is written there;
// each line of a `sh` block is run, in the folder, as a user would type it.
// What the test cannot do as a user would is said where it does it:
//
// - `npm install sockizy-edge` installs the packed tarball (the package is
//   not on the registry yet: the README says to do exactly that);
// - `npm install -D wrangler ...` is not run: the tools are the
//   repository's (the folder is inside it, so they are found walking up),
//   and the test runs offline;
// - `npx <tool>` runs the repository's node_modules/.bin/<tool>;
// - `npx wrangler dev` starts in the background, on a free port that
//   replaces 8787 everywhere (in commands and files), and stops at the end;
// - `npx wrangler secret put` needs a Cloudflare account: not run;
//   `npx wrangler deploy` becomes `wrangler deploy --dry-run`.
//
// Any other command runs as written; a command the test does not know of
// fails it, so a change to the section is a change to this test.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { BIN, installTarball, quiet, ROOT, run } from "./apps.js";
import { type DevServer, freePort, startDevServer } from "./dev-server.js";

const { work, tarball } = inject("packed");
const APP = join(work, "readme-app");
const README_PORT = "8787";

type Step = { kind: "file"; path: string; text: string } | { kind: "sh"; line: string };

/** The section's blocks in order: files to write and command lines to run. */
function readmeSteps(): Step[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("\n## Use it in your app");
  if (start < 0) throw new Error('README has no "## Use it in your app" section');
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const steps: Step[] = [];
  for (const m of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    const [, lang, body] = m as unknown as [string, string, string];
    if (lang === "sh") {
      for (const raw of body.split("\n")) {
        // A comment is " #" and what follows; no command of the section has a "#" of its own.
        const line = raw.replace(/\s+#\s.*$/, "").trim();
        if (line !== "") steps.push({ kind: "sh", line });
      }
      continue;
    }
    const named = /^(?:\/\/|#) ([\w./-]+)\n/.exec(body);
    if (!named) throw new Error(`a \`\`\`${lang} block that names no file:\n${body}`);
    steps.push({ kind: "file", path: named[1] as string, text: body.slice(named[0].length) });
  }
  return steps;
}

let server: DevServer | undefined;
/** Each command's output, by its line. */
const outputs = new Map<string, string>();

afterAll(async () => {
  await server?.stop();
});

describe("README: Use it in your app, followed literally in an empty folder", () => {
  beforeAll(async () => {
    mkdirSync(APP);
    const port = String(await freePort());
    const local = (s: string) => s.replaceAll(`127.0.0.1:${README_PORT}`, `127.0.0.1:${port}`);
    for (const step of readmeSteps()) {
      if (step.kind === "file") {
        mkdirSync(dirname(join(APP, step.path)), { recursive: true });
        writeFileSync(join(APP, step.path), local(step.text));
        continue;
      }
      const { line } = step;
      if (line === "npm install sockizy-edge") {
        await installTarball(APP, tarball);
      } else if (/^npm install -D wrangler@4\.86\.0 /.test(line)) {
        // The repository's devDependencies (and its pinned wrangler) stand in for them.
      } else if (line.startsWith("npx wrangler secret put ")) {
        // Needs a Cloudflare account.
      } else if (line === "npx wrangler dev") {
        server = await startDevServer(join(BIN, "wrangler"), APP, join(work, "readme-state"), 100_000, {
          port: Number(port),
        });
      } else if (line === "npx wrangler deploy") {
        outputs.set(line, await sh(`${BIN}/wrangler deploy --dry-run --outdir ${join(work, "readme-deploy")}`));
      } else if (/^(npm init|npm pkg|printf|curl|npx |TOKEN=\$\(node -e )/.test(line)) {
        outputs.set(line, await sh(local(line.replace(/^npx /, `${BIN}/`))));
      } else {
        throw new Error(`README: a command this test does not know how to follow: ${line}`);
      }
    }
  }, 240_000);

  /** The output of the one command that starts with `prefix`. */
  const output = (prefix: string) => {
    const lines = [...outputs.keys()].filter((l) => l.startsWith(prefix));
    expect(lines, `one command starting with "${prefix}"`).toHaveLength(1);
    return outputs.get(lines[0] as string) as string;
  };

  it("type-checks with the shipped tsconfig, and `wrangler types --check` passes", () => {
    expect(readFileSync(join(APP, "tsconfig.json"), "utf8")).toContain('"extends": "sockizy-edge/tsconfig.json"');
    expect(outputs.has("npx tsc")).toBe(true);
    expect(outputs.has("npx wrangler types --check")).toBe(true);
    const types = readFileSync(join(APP, "worker-configuration.d.ts"), "utf8");
    for (const name of ["GREETING", "AUTH_SECRET", "ADMIN_SECRET", "USERS", "LIMITER"]) expect(types).toContain(name);
  });

  it("runs under wrangler dev, whose types are not out of date and whose optional ADMIN_SECRET from .dev.vars arrives", () => {
    const log = server?.log() ?? "";
    expect(log).not.toMatch(/types might be out of date/);
    expect(log).toMatch(/env\.ADMIN_SECRET/);
    expect(JSON.parse(output("curl "))).toEqual({ size: 0 });
  });

  it("the Node client signs in with a token and says hello", () => {
    expect(output("TOKEN=").split("\n")).toEqual(["Welcome! ada (1 online)", "ada: hello", ""]);
  });

  it("deploys (dry run)", () => {
    expect(output("npx wrangler deploy")).toMatch(/--dry-run: exiting now/);
  });

  it("the client's file type-checks as client.ts under nodenext against the packed types", async () => {
    cpSync(join(APP, "client.mjs"), join(APP, "client.ts"));
    const options = {
      module: "nodenext",
      target: "es2022",
      types: ["node"],
      strict: true,
      skipLibCheck: true,
      noEmit: true,
    };
    writeFileSync(join(APP, "tsconfig.node.json"), JSON.stringify({ compilerOptions: options, files: ["client.ts"] }));
    await run(join(BIN, "tsc"), ["-p", "tsconfig.node.json"], { cwd: APP }).catch((e: { stdout?: string }) => {
      throw new Error(`client.ts does not type-check:\n${e.stdout}`);
    });
  }, 60_000);
});

/** Runs a command line in the app's folder, with a deadline; its stdout (stderr too, in the error when it fails). */
async function sh(line: string): Promise<string> {
  try {
    const { stdout } = await run("sh", ["-c", line], { cwd: APP, env: quiet(), timeout: 60_000 });
    return stdout;
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`README command failed: ${line}\n${stdout ?? ""}\n${stderr ?? ""}\n${server?.log() ?? ""}`);
  }
}
