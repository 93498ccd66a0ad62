// The package as an application gets it: packed (test/package/pack.ts),
// installed from the tarball alone into a copy of examples/chat,
// typechecked, run under `wrangler dev`, and used from plain Node 20 (the
// example's own `node --test`) and from Chromium through the served
// /sockizy.js. (README.md#use-it-in-your-app is test/package/readme.test.ts.)
// Nothing here imports ../src.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium } from "../client/chromium.js";
import { BIN, installApp, quiet, ROOT, run } from "./apps.js";
import { type DevServer, startDevServer } from "./dev-server.js";

const { work, tarball, files } = inject("packed");
const CHAT = join(work, "chat");
const INVITE = "package-test-invite";
const ADMIN = "package-test-admin";

beforeAll(async () => {
  await installApp(join(ROOT, "examples/chat"), CHAT, tarball);
  // As examples/chat/README.md says: its .dev.vars has the names of .dev.vars.example
  // (wrangler types reads them; worker-configuration.d.ts was made with them).
  copyFileSync(join(CHAT, ".dev.vars.example"), join(CHAT, ".dev.vars"));
}, 120_000);

describe("the packed package", () => {
  it("holds the built entries, their declarations, the tsconfig for apps and the license, and no sources", () => {
    for (const file of ["index", "client", "protocol"]) expect(files).toContain(`lib/${file}.js`);
    for (const dts of ["edge", "client", "protocol"]) expect(files).toContain(`lib/types/${dts}/index.d.ts`);
    const others = ["package.json", "README.md", "LICENSE", "tsconfig.app.json"];
    expect(files.filter((p) => !p.startsWith("lib/") && !others.includes(p))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(others));
  });

  it("is public and MIT, has no runtime dependencies, and exports ., ./client, ./protocol and ./tsconfig.json", () => {
    const pkg = JSON.parse(readFileSync(join(CHAT, "node_modules/sockizy-edge/package.json"), "utf8"));
    expect(pkg.private).toBeUndefined();
    expect(pkg.license).toBe("MIT");
    expect(pkg.dependencies).toBeUndefined();
    expect(Object.keys(pkg.exports)).toEqual([".", "./client", "./protocol", "./tsconfig.json", "./package.json"]);
    expect(pkg.exports["./tsconfig.json"]).toBe("./tsconfig.app.json");
  });

  it("loads in plain Node 20 ESM: sockizy-edge/client and sockizy-edge/protocol", async () => {
    const script = `const c = await import("sockizy-edge/client"); const p = await import("sockizy-edge/protocol");
      const t = new p.PacketTable({ "a.b": ["x:uint8"] });
      console.log(typeof c.io, typeof c.io.packets, t.decode(t.encode("a.b", { x: 7 })).data.x);`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: CHAT });
    expect(stdout.trim()).toBe("function function 7");
  });

  it("typechecks examples/chat with the shipped tsconfig, against the packed declarations", async () => {
    expect(readFileSync(join(CHAT, "tsconfig.json"), "utf8")).toContain('"extends": "sockizy-edge/tsconfig.json"');
    await run(join(BIN, "tsc"), ["-p", "."], { cwd: CHAT }).catch((e: { stdout?: string }) => {
      throw new Error(`examples/chat does not type-check:\n${e.stdout}`);
    });
  }, 30_000);

  it("examples/chat's worker-configuration.d.ts is what `wrangler types` makes of its wrangler.toml and .dev.vars", async () => {
    await run(join(BIN, "wrangler"), ["types", "--check"], { cwd: CHAT, env: quiet() });
  }, 30_000);
});

describe("examples/chat under wrangler dev", () => {
  let server: DevServer;

  beforeAll(async () => {
    // The names of .dev.vars.example (so the types stay true), the test's values.
    const vars = `CHAT_INVITE=${INVITE}\nTICKET_SECRET=package-test-ticket-secret\nADMIN_SECRET=${ADMIN}\n`;
    writeFileSync(join(CHAT, ".dev.vars"), vars);
    server = await startDevServer(join(BIN, "wrangler"), CHAT, join(work, "state"), 100_000);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("passes its own tests from plain Node 20, with sockizy-edge/client and ws", async () => {
    const env = { ...process.env, CHAT_URL: server.url.replace("http", "ws"), CHAT_INVITE: INVITE };
    const result = await run(process.execPath, ["--test", "test/"], { cwd: CHAT, env }).catch(
      (e: { stdout: string }) => e,
    );
    expect(result.stdout, `${result.stdout}\n${server.log()}`).toMatch(/^# fail 0$/m);
    expect(result.stdout).toMatch(/^# pass 7$/m);
    // Nothing marked todo or failing: no "not ok" line, no stack trace in its output.
    expect(result.stdout).toMatch(/^# todo 0$/m);
    expect(result.stdout).not.toMatch(/^\s*not ok /m);
  }, 60_000);

  /** Names holding a session, from the admin API. */
  async function adminSize(): Promise<number> {
    const res = await fetch(`${server.url}/admin/size`, { headers: { Authorization: `Bearer ${ADMIN}` } });
    return ((await res.json()) as { size: number }).size;
  }

  it("gets its optional secrets from .dev.vars: ADMIN_SECRET turns the admin API on", async () => {
    expect(server.log()).not.toMatch(/types might be out of date/);
    const size = await fetch(`${server.url}/admin/size`, { headers: { Authorization: `Bearer ${ADMIN}` } });
    expect(size.status).toBe(200);
    expect(await size.json()).toEqual({ size: expect.any(Number) });
  });

  it("serves /sockizy.js with the room's packets declared", async () => {
    const body = await (await fetch(`${server.url}/sockizy.js`)).text();
    expect(body).toContain("chat.signIn");
    expect(body).toContain("chat.welcome");
  });

  it("its page in Chromium: signs in and chats, clears the form, counts who joins and leaves, hides the chat after sign-out", async () => {
    const browser = await launchChromium();
    try {
      const open = async () => {
        const page = await browser.newPage();
        await page.goto(`${server.url}/`);
        await page.locator("#status", { hasText: "connected" }).waitFor();
        return page;
      };
      const signIn = async (page: Page, name: string) => {
        await page.fill("#name", name);
        await page.fill("#invite", INVITE);
        await page.click("#signin button");
        await page.locator("#status", { hasText: `signed in as ${name} (` }).waitFor();
      };
      // The names of the tests before this one have all left (each left is told to every page,
      // before the registry counts it: once size is 0, no left of theirs is still on its way).
      const deadline = Date.now() + 15_000;
      while ((await adminSize()) !== 0) {
        expect(Date.now(), "the room never emptied").toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 100));
      }

      const ada = await open();
      // Before the sign-in only the sign-in form shows.
      expect(await ada.isVisible("#signin")).toBe(true);
      expect(await ada.isVisible("#say")).toBe(false);
      expect(await ada.isVisible("#signout")).toBe(false);

      await signIn(ada, "Ada");
      expect(await ada.isVisible("#signin")).toBe(false);
      expect(await ada.isVisible("#say")).toBe(true);
      // The name and the invite code are cleared once signed in.
      expect(await ada.inputValue("#name")).toBe("");
      expect(await ada.inputValue("#invite")).toBe("");
      await ada.fill("#text", "hello from Chromium");
      await ada.click("#say button[type=submit]");
      await ada.locator("#log li", { hasText: "Ada: hello from Chromium" }).waitFor();

      // Another name joins: Ada's count goes up.
      expect(await ada.textContent("#status")).toBe("signed in as Ada (1 online)");
      const bo = await open();
      await signIn(bo, "Bo");
      await ada.locator("#status", { hasText: "signed in as Ada (2 online)" }).waitFor();
      await ada.locator("#log li", { hasText: "Bo joined" }).waitFor();
      expect(await bo.textContent("#status")).toBe("signed in as Bo (2 online)");

      // Ada signs out: the chat and its Sign out button go, the sign-in form is back; Bo counts one fewer.
      await ada.click("#signout");
      await ada.locator("#say").waitFor({ state: "hidden" });
      expect(await ada.isVisible("#signout")).toBe(false);
      expect(await ada.isVisible("#signin")).toBe(true);
      await bo.locator("#log li", { hasText: "Ada left" }).waitFor();
      // Ada's page, anonymous now, hears that too, and still says why it shows the sign-in form.
      await ada.locator("#log li", { hasText: "Ada left" }).waitFor();
      expect(await ada.textContent("#status")).toBe("signed out");
      await bo.locator("#status", { hasText: "signed in as Bo (1 online)" }).waitFor();
    } finally {
      await browser.close();
    }
  }, 90_000);
});
