// The served client: the generated bundles match the sources, the
// application's tables are filled in, and the pages function answers with
// caching headers and 304s. (test/client/live.test.ts checks the same
// routes through the running Worker, compression included.)
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { gzipSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import { generate, OUTPUTS } from "../../scripts/build-client.js";
import type { Io } from "../../src/client/index.js";
import { CLIENT_MODULE, CLIENT_SCRIPT } from "../../src/edge/pages/client-bundle.gen.js";
import { clientScripts } from "../../src/edge/pages/client-scripts.js";
import { declareIn } from "../../src/edge/pages/declare.js";
import { firstOf, type Pages } from "../../src/edge/pages/pages.js";
import { matches } from "../../src/edge/pages/respond.js";
import { demoPage } from "../../src/seed/demo-page.js";
import { SEED } from "./helpers.js";

// The seed's declaration as the Worker holds it (src/seed/app.ts imports the
// Durable Object classes, which only load in workerd).
const seedApp = { packets: { unpack: SEED }, signIn: { packet: "common.signIn" } };
/** The seed's routes: /sockizy.js, /sockizy.mjs and the demo page at / (as src/seed/worker.ts composes them). */
const clientPages = (app: Parameters<typeof clientScripts>[0]) => firstOf(clientScripts(app), demoPage()) as Pages;
const pages = clientPages(seedApp);
const env = {} as never;
const get = async (path: string, headers: Record<string, string> = {}, method = "GET") =>
  (await pages(new Request(`http://edge.test${path}`, { method, headers }), env)) as Response;

describe("the bundle", () => {
  it("is up to date with src/client and src/seed/demo (else: npm run build:client)", async () => {
    const fresh = await generate();
    for (const [part, output] of Object.entries(OUTPUTS)) {
      expect(
        fresh[part as keyof typeof OUTPUTS] === (await readFile(output, "utf8")),
        `${output} is stale: run \`npm run build:client\``,
      ).toBe(true);
    }
  }, 30_000);

  // 26.4 KB and 9.1 KB when the client was split into link.ts, reconnection.ts and deliver.ts
  // (class boilerplate and unmangled member names cost ~0.2 KB gzipped); 28.0 KB and 10.0 KB
  // once it reported frames sent after an in-band sign-in (issue 16: sent.ts, +1.6 KB, +0.65 KB
  // gzipped, most of it the report's message): the limits leave little room.
  it("stays small: the script under 29 KB minified and 10.25 KB gzipped", () => {
    expect(CLIENT_SCRIPT.length).toBeLessThan(29 * 1024);
    expect(gzipSync(CLIENT_SCRIPT).length).toBeLessThan(10.25 * 1024);
  });
});

describe("/sockizy.js", () => {
  it("defines a global io with the application's tables and sign-in packet already declared", async () => {
    const body = await (await get("/sockizy.js")).text();
    // A page's globals, as far as the client uses them.
    const sandbox: { io?: Io } & Record<string, unknown> = {
      TextEncoder,
      TextDecoder,
      URL,
      btoa,
      atob,
      setTimeout,
      clearTimeout,
    };
    runInNewContext(body, sandbox);
    const io = sandbox.io as Io;
    expect(io.defaults.signIn).toBe("common.signIn");
    // Declared: the sign-in encodes (a client with no tables would drop it with an EncodeError).
    const sent: unknown[] = [];
    class Socket {
      readyState = 1;
      bufferedAmount = 0;
      binaryType = "";
      onopen = null;
      onmessage = null;
      onclose = null;
      onerror = null;
      constructor(
        readonly url: string,
        readonly protocols: string[],
      ) {
        sent.push(protocols);
      }
      send(d: unknown) {
        sent.push(d);
      }
      close() {}
    }
    const client = io("ws://edge.test", { WebSocket: Socket as never });
    expect(client.emit("common.signOut")).toBe("sent");
    expect(sent[0]).toEqual(["sockizy"]);
    expect([...(sent[1] as Uint8Array)]).toEqual([1, 0]);
  });

  it("fills in the tables once, as a JSON string literal", () => {
    expect(() => declareIn("no marker here", seedApp)).toThrow(/exactly once/);
    const filled = declareIn(CLIENT_SCRIPT, seedApp);
    expect(filled).toContain(
      JSON.stringify(JSON.stringify({ packets: [seedApp.packets.unpack, null, null], signIn: "common.signIn" })),
    );
    expect(filled).not.toContain("__SOCKIZY_APP__");
  });
});

describe("/sockizy.mjs", () => {
  it("is an ES module exporting io with the tables declared", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sockizy-mjs-"));
    try {
      const file = join(dir, "sockizy.mjs");
      await writeFile(file, await (await get("/sockizy.mjs")).text());
      const mod = (await import(/* @vite-ignore */ file)) as { io: Io; default: Io; Client: unknown };
      expect(mod.default).toBe(mod.io);
      expect(typeof mod.Client).toBe("function");
      expect(mod.io.defaults.signIn).toBe("common.signIn");
      const client = mod.io("ws://edge.test", { autoConnect: false });
      expect(client.emit("common.signOut")).toBe("dropped"); // declared (an undeclared packet also says dropped, but with an error)
      let error: unknown;
      client.on("error", (e) => {
        error = e;
      });
      client.emit("common.signOut");
      expect(error).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is the same client as the script", () => {
    expect(CLIENT_MODULE).toContain("export{");
  });
});

describe("the pages function", () => {
  it("does not keep a failed build of the assets: the next request tries again", async () => {
    const digest = vi.spyOn(crypto.subtle, "digest").mockRejectedValueOnce(new Error("no digest today"));
    try {
      const fresh = clientPages(seedApp);
      const request = () => fresh(new Request("http://edge.test/sockizy.js"), env);
      await expect(request()).rejects.toThrow("no digest today");
      expect(((await request()) as Response).status).toBe(200);
    } finally {
      digest.mockRestore();
    }
  });

  it("serves the script, the module and the demo with types, CORS for the scripts, no-cache and an ETag", async () => {
    for (const [path, type, cors] of [
      ["/sockizy.js", "text/javascript; charset=utf-8", "*"],
      ["/sockizy.mjs", "text/javascript; charset=utf-8", "*"],
      ["/", "text/html; charset=utf-8", null],
    ] as const) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toBe(type);
      expect(res.headers.get("Cache-Control")).toBe("no-cache");
      expect(res.headers.get("ETag")).toMatch(/^"[0-9a-f]{32}"$/);
      expect(res.headers.get("Access-Control-Allow-Origin")).toBe(cors);
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    }
    const html = await (await get("/")).text();
    expect(html).toContain('<script src="/sockizy.js"></script>');
    expect(html).not.toContain("/* demo.ts */");
  });

  it("answers If-None-Match with 304 and no body, strong or weakened by the edge's compression", async () => {
    const etag = (await get("/sockizy.js")).headers.get("ETag") as string;
    for (const inm of [etag, `W/${etag}`, `"x", ${etag}`, "*"]) {
      const res = await get("/sockizy.js", { "If-None-Match": inm });
      expect(res.status).toBe(304);
      expect(await res.text()).toBe("");
      expect(res.headers.get("ETag")).toBe(etag);
    }
    expect((await get("/sockizy.js", { "If-None-Match": '"other"' })).status).toBe(200);
    expect(matches(null, etag)).toBe(false);
  });

  it("answers HEAD without a body, refuses other methods, and leaves other paths to the Worker", async () => {
    const head = await get("/sockizy.js", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await get("/sockizy.js", {}, "POST")).status).toBe(405);
    expect(await pages(new Request("http://edge.test/nope"), env)).toBeUndefined();
  });

  it("keeps a different ETag per content (the tables are part of the script)", async () => {
    const other = clientPages({ packets: { unpack: { "x.y": null } } });
    const a = (await get("/sockizy.js")).headers.get("ETag");
    const b = (await (await other(new Request("http://edge.test/sockizy.js"), env))?.headers.get("ETag")) ?? "";
    expect(a).not.toBe(b);
  });
});
