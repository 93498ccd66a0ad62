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
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../../src/client/index.js";
import { type LocalServer, startLocalServer } from "../support/local-server.js";
import { CHROMIUM_ARGS, CHROMIUM_DIR, CHROMIUM_VERSION, chromiumPath } from "./chromium.js";
import { startProxy } from "./proxy.js";

const ADMIN = "browser-test-admin";
const ROOT = new URL("../..", import.meta.url).pathname;

let server: LocalServer;
/** A server with resume off (no TICKET_SECRET): a dropped page comes back anonymous. */
let noResume: LocalServer;
let context: BrowserContext;
let profile: string;

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), "sockizy-chromium-"));
  // One after the other: the extraction points TMPDIR at its own folder while it runs.
  const executablePath = await chromiumPath();
  [server, noResume] = await Promise.all([
    startLocalServer({ ADMIN_SECRET: ADMIN, TICKET_SECRET: "browser-test-ticket-secret" }),
    startLocalServer(),
  ]);
  context = await playwright.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 900, height: 700 },
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await Promise.all([server?.stop(), noResume?.stop()]);
  if (profile) rmSync(profile, { recursive: true, force: true });
}, 30_000);

async function size(): Promise<number> {
  const res = await fetch(`${server.url}/admin/size`, { headers: { Authorization: `Bearer ${ADMIN}` } });
  return ((await res.json()) as { size: number }).size;
}
async function waitSize(n: number): Promise<void> {
  await expect.poll(size, { timeout: 5000, interval: 50 }).toBe(n);
}

/** Pages a test opened through demo(); afterEach closes those still open, so a failed test leaves no session behind. */
const opened: Page[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((p) => (p.isClosed() ? undefined : p.close())));
});

async function demo(base = server.url): Promise<Page> {
  const page = await context.newPage();
  opened.push(page);
  await page.goto(`${base}/`);
  await expect.poll(() => page.locator("#status").getAttribute("data-state"), { timeout: 5000 }).toBe("open");
  return page;
}

async function signIn(page: Page, login: string, password: string): Promise<void> {
  await page.fill("#login", login);
  await page.fill("#password", password);
  await page.click("#signin");
}

const text = (page: Page, selector: string) => page.locator(selector).textContent();
const expectText = (page: Page, selector: string, value: string, timeout = 5000) =>
  expect.poll(() => text(page, selector), { timeout, interval: 25 }).toBe(value);
/** Lines of the page's live feed whose text is exactly `line`. */
const feedLines = (page: Page, line: string) =>
  page.locator("#feed li span").evaluateAll((spans, l) => spans.filter((s) => s.textContent === l).length, line);
const expectFeed = (page: Page, line: string, count = 1) =>
  expect.poll(() => feedLines(page, line), { timeout: 5000, interval: 25 }).toBe(count);
/** The demo asks the server for the users online every 3 s while visible. */
const ONLINE_POLL = 3000;

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

  it("demo: a sign-in on a signed-in page is not sent and waits for nothing; another page's USER.OK is not taken for its reply", async () => {
    await waitSize(0);
    const six = await demo();
    await signIn(six, "D", "6");
    await expectText(six, "#reply", "USER.OK | 6 | 1");
    await expectText(six, "#me", "6");
    // The seed ignores a sign-in on a signed-in socket: no reply would come.
    await signIn(six, "D", "13");

    const thirteen = await demo();
    await signIn(thirteen, "D", "13");
    await expectText(thirteen, "#reply", "USER.OK | 13 | 2");
    // The broadcast reaches the first page as news, not as its own sign-in.
    await expectFeed(six, "USER.OK | 13 | 2");
    await expectText(six, "#online", "2");
    expect(await text(six, "#me")).toBe("6");
    expect(await text(six, "#reply")).toBe("USER.OK | 6 | 1");
    expect(await six.locator("#feed li.mine").count()).toBe(1); // its own USER.OK | 6 | 1 only
    await expectFeed(six, "already signed in as 6: sign out first");
    for (const page of [six, thirteen]) await page.close();
  });

  it("demo: users online follows another page's sign-out and close", async () => {
    await waitSize(0);
    const a = await demo();
    const b = await demo();
    await signIn(a, "D", "13");
    await expectText(a, "#me", "13");
    await signIn(b, "D", "6");
    await expectText(b, "#me", "6");
    for (const page of [a, b]) await expectText(page, "#online", "2");

    await a.click("#signout");
    await waitSize(1);
    for (const page of [a, b]) await expectText(page, "#online", "1", 2 * ONLINE_POLL + 2000);

    await b.close();
    await waitSize(0);
    await expectText(a, "#online", "0", 2 * ONLINE_POLL + 2000);
    await a.close();
  });

  it("demo: after a drop with resume off the page is anonymous, and Sign out says there is nothing to sign out", async () => {
    // A restart as the page sees it: every connection cut; resume is off, so nothing brings the session back.
    const proxy = await startProxy(noResume.port);
    const page = await demo(proxy.url.replace(/^ws:/, "http:").replace(/\/$/, ""));
    try {
      await signIn(page, "D", "13");
      await expectText(page, "#me", "13");
      proxy.dropAll();
      await expectText(page, "#me", "–");
      await expectFeed(page, "connection lost, and the session with it (no resume ticket): sign in again");
      await expect.poll(() => page.locator("#status").getAttribute("data-state"), { timeout: 10_000 }).toBe("open");
      await expectFeed(page, "connection restored");

      await page.click("#signout");
      await expectFeed(page, "not signed in: nothing to sign out");
      expect(await feedLines(page, "signed out")).toBe(0);
      // The server agrees: the page signs in as 13 again, no cap in the way.
      await signIn(page, "D", "13");
      await expectText(page, "#reply", "USER.OK | 13 | 1");
      await expectText(page, "#me", "13");
    } finally {
      await page.close();
      await proxy.close();
    }
  });

  it("demo: after a drop with resume on the page stays signed in, as the server says again", async () => {
    await waitSize(0);
    const proxy = await startProxy(server.port);
    const page = await demo(proxy.url.replace(/^ws:/, "http:").replace(/\/$/, ""));
    try {
      await signIn(page, "D", "13");
      await expectText(page, "#me", "13");
      await expectFeed(page, "USER.OK | 13 | 1", 2); // the broadcast and the reply
      proxy.dropAll();
      await expectFeed(page, "connection restored");
      // Resumed with the ticket: the seed replies to the resumed socket again.
      await expectFeed(page, "USER.OK | 13 | 1", 4);
      expect(await text(page, "#me")).toBe("13");
      expect(await feedLines(page, "connection lost, and the session with it (no resume ticket): sign in again")).toBe(
        0,
      );
      await page.click("#signout");
      await expectFeed(page, "signed out");
      await waitSize(0);
    } finally {
      await page.close();
      await proxy.close();
    }
  });
});
