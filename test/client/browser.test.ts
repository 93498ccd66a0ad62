// A real headless Chromium (playwright-core driving the browser shipped in
// the npm package @sparticuz/chromium, so `npm test` needs no other install,
// extracted into a folder of this project: ./chromium.ts) loads the demo page
// and a blank page from the local server.
// UPDATE_SCREENSHOT=1 also writes docs/demo.png for the README.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, type Page, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../../src/client/index.js";
import { type LocalServer, startLocalServer } from "../support/local-server.js";
import { CHROMIUM_DIR, CHROMIUM_VERSION, chromiumPath } from "./chromium.js";

const ADMIN = "browser-test-admin";
const ROOT = new URL("../..", import.meta.url).pathname;

let server: LocalServer;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), "sockizy-chromium-"));
  // One after the other: the extraction points TMPDIR at its own folder while it runs.
  const executablePath = await chromiumPath();
  server = await startLocalServer({ ADMIN_SECRET: ADMIN, TICKET_SECRET: "browser-test-ticket-secret" });
  context = await playwright.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 900, height: 700 },
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
}, 30_000);

async function size(): Promise<number> {
  const res = await fetch(`${server.url}/admin/size`, { headers: { Authorization: `Bearer ${ADMIN}` } });
  return ((await res.json()) as { size: number }).size;
}
async function waitSize(n: number): Promise<void> {
  await expect.poll(size, { timeout: 5000, interval: 50 }).toBe(n);
}

async function demo(): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await expect.poll(() => page.locator("#status").getAttribute("data-state"), { timeout: 5000 }).toBe("open");
  return page;
}

async function signIn(page: Page, login: string, password: string): Promise<void> {
  await page.fill("#login", login);
  await page.fill("#password", password);
  await page.click("#signin");
}

const text = (page: Page, selector: string) => page.locator(selector).textContent();
const expectText = (page: Page, selector: string, value: string) =>
  expect.poll(() => text(page, selector), { timeout: 5000, interval: 25 }).toBe(value);

describe("in Chromium", { timeout: 30_000 }, () => {
  it("runs the project's own Chromium, whatever another one left in the temp folder", async () => {
    // A temp folder holding another "chromium" (here one that cannot start):
    // @sparticuz/chromium's executablePath() would hand that one back.
    const decoy = mkdtempSync(join(tmpdir(), "sockizy-decoy-"));
    writeFileSync(join(decoy, "chromium"), "#!/bin/sh\necho 'Chromium 1.0 (decoy)'\n", { mode: 0o755 });
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = decoy;
    try {
      const path = await chromiumPath();
      expect(path).toBe(join(CHROMIUM_DIR, "chromium"));
      const version = execFileSync(path, ["--version"], { encoding: "utf8" });
      expect(version.startsWith(`Chromium ${CHROMIUM_VERSION.split(".")[0]}.`), version).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(decoy, { recursive: true, force: true });
    }
  });

  it("a blank page that only loads /sockizy.js signs in with io() and gets USER.OK | 13 | 1 as a text event", async () => {
    const page = await context.newPage();
    // A page of the server's origin holding nothing but the script tag.
    await page.route(`${server.url}/blank`, (route) =>
      route.fulfill({ contentType: "text/html", body: '<!doctype html><script src="/sockizy.js"></script>' }),
    );
    await page.goto(`${server.url}/blank`);
    const reply = await page.evaluate(
      () =>
        new Promise<string>((resolve, reject) => {
          const io = (globalThis as unknown as { io: Io }).io;
          const socket = io();
          socket.on("text", (t) => resolve(t));
          socket.emit("common.signIn", { login: "D", password: "13" });
          setTimeout(() => reject(new Error("no text within 5 s")), 5000);
        }),
    );
    expect(reply).toBe("USER.OK | 13 | 1");
    await page.close();
    await waitSize(0);
  });

  it("demo: the cap for a second page, sign-out frees it, a second user is counted, broadcasts reach everyone", async () => {
    const first = await context.newPage();
    const script = first.waitForResponse(`${server.url}/sockizy.js`);
    await first.goto(`${server.url}/`);
    // Compressed on the way, as a browser asks for it.
    expect((await (await script).allHeaders())["content-encoding"]).toMatch(/gzip|br|zstd|deflate/);
    await expect.poll(() => first.locator("#status").getAttribute("data-state"), { timeout: 5000 }).toBe("open");
    await signIn(first, "D", "13");
    await expectText(first, "#reply", "USER.OK | 13 | 1");
    await expectText(first, "#me", "13");
    expect(await first.inputValue("#password")).toBe(""); // the page drops the password once sent

    const second = await demo();
    await signIn(second, "D", "13");
    await expectText(second, "#reply", "USER.MAX.CONN | 1 | 1");

    await first.click("#signout");
    await waitSize(0);
    await signIn(second, "D", "13");
    await expectText(second, "#reply", "USER.OK | 13 | 1");
    await expectText(second, "#me", "13");

    const third = await demo();
    await signIn(third, "D", "6");
    await expectText(third, "#reply", "USER.OK | 6 | 2");
    await expectText(third, "#online", "2");
    // The seed broadcasts every reply of a bound user: the other pages see it live.
    for (const page of [first, second]) {
      await expect
        .poll(() => page.locator("#feed li", { hasText: "USER.OK | 6 | 2" }).count(), { timeout: 5000 })
        .toBe(1);
      await expectText(page, "#online", "2");
    }

    // Reloading revalidates the script: 304, no body.
    const revalidated = first.waitForResponse(`${server.url}/sockizy.js`);
    await first.reload();
    expect((await revalidated).status()).toBe(304);

    await second.bringToFront();
    const shot = process.env.UPDATE_SCREENSHOT ? join(ROOT, "docs/demo.png") : join(ROOT, "dist/demo.png");
    mkdirSync(join(shot, ".."), { recursive: true });
    await second.screenshot({ path: shot, fullPage: true });
    await second.setViewportSize({ width: 390, height: 844 }); // a phone
    await second.screenshot({ path: shot.replace(/\.png$/, "-phone.png"), fullPage: true });
    for (const page of [first, second, third]) await page.close();
  });
});
