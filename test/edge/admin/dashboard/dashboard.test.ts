// The admin dashboard (/admin, src/edge/admin/dashboard/) in Chromium,
// against the local server running the probe application (cap 2, so a user can hold
// two sockets; its `session` handler answers `session <message>` on each
// socket) with ADMIN_SECRET set, state in /dev/shm. The page is found by the
// labels and names the issue gives its fields and buttons, so a renamed
// label fails here. Every request the page makes is recorded: none may
// leave the origin. Runs in the node project (vitest.config.ts).
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../client/chromium.js";
import { type LocalServer, startLocalServer } from "../../../support/local-server.js";
import { b64url, type Client, connect, frame } from "../../../tcp/helpers.js";

const SECRET = "dashboard-test-secret";
const PROBE = new URL("../../probe/wrangler.toml", import.meta.url).pathname;
/** The page asks for /admin/stats every 3 s (figures.ts POLL_MS); figures follow within two polls. */
const FIGURES_WITHIN = 10_000;

let server: LocalServer;
let browser: Browser;
let context: BrowserContext;
/** Every request any page of the context made, and what Chromium said of the page's policy. */
const requests: string[] = [];
const refusals: string[] = [];
const clients: Client[] = [];
/** Pages a test opened; afterEach closes those still open, so a failed test leaves no page polling. */
const pages: Page[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startLocalServer({ ADMIN_SECRET: SECRET }, 90_000, PROBE), launchChromium()]);
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  context.on("request", (r) => requests.push(r.url()));
  // Each violation of the page's policy is told (added by the browser's debugger, which the policy does not govern).
  await context.addInitScript(() => {
    const g = globalThis as unknown as {
      addEventListener(t: string, l: (e: { violatedDirective: string }) => void): void;
    };
    g.addEventListener("securitypolicyviolation", (e) => console.error(`policy violation: ${e.violatedDirective}`));
  });
  context.on("console", (m) => {
    if (/policy violation|Content Security Policy|Trusted(HTML|Script| Type)|Refused to/i.test(m.text())) {
      refusals.push(m.text());
    }
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 30_000);

afterEach(async () => {
  await Promise.all(pages.splice(0).map((p) => (p.isClosed() ? undefined : p.close())));
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** A socket of the probe app signed in as `user` in its upgrade (`?signin=`, auth.signIn is packet 0). */
async function signedIn(user: string): Promise<Client> {
  const query = `?signin=${b64url(frame(0, ["user:str"], { user }))}`;
  const c = await connect(server.url.replace("http:", "ws:"), user, { query });
  clients.push(c);
  await c.until((x) => x.texts.some((t) => t.startsWith('reply {"kind":"ok"')), 5000);
  return c;
}

/** WebSockets of Chromium in a page of the server's origin (not the dashboard), each signed in in its upgrade. */
async function socketsPage() {
  const holder = await context.newPage();
  pages.push(holder);
  await holder.goto(`${server.url}/sockizy.js`);
  const base = server.url.replace("http:", "ws:");
  return {
    /** Opens socket `name` signed in as `user`; resolves once the sign-in is answered ok. */
    open: (name: string, user: string) =>
      holder.evaluate(
        ([name, url]) =>
          new Promise<void>((resolve, reject) => {
            const g = globalThis as unknown as { sockets?: Record<string, { closed: number | null }> };
            const ws = new (globalThis as unknown as { WebSocket: typeof WebSocket }).WebSocket(url);
            const held = { closed: null as number | null };
            g.sockets = { ...g.sockets, [name]: held };
            ws.addEventListener("message", (e) => {
              if (String(e.data).startsWith('reply {"kind":"ok"')) resolve();
            });
            ws.addEventListener("close", (e) => {
              held.closed = e.code;
              reject(new Error(`${name} closed with ${e.code}`));
            });
          }),
        [name, `${base}/?signin=${b64url(frame(0, ["user:str"], { user }))}`] as const,
      ),
    /** The code socket `name` was closed with, null while open. */
    closed: (name: string) =>
      holder.evaluate(
        (n) => (globalThis as unknown as { sockets: Record<string, { closed: number | null }> }).sockets[n]?.closed,
        name,
      ),
  };
}

async function admin<T>(path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${SECRET}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

async function open(): Promise<Page> {
  const page = await context.newPage();
  pages.push(page);
  await page.goto(`${server.url}/admin`);
  return page;
}

async function signIn(page: Page, secret = SECRET): Promise<void> {
  await page.getByLabel("Admin secret").fill(secret);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** The little of a page's globals the tests read (the project compiles without the DOM library). */
interface Window {
  location: { href: string };
  document: { cookie: string; documentElement: { scrollWidth: number } };
  sessionStorage: { length: number };
  localStorage: { length: number };
}

const usersOnline = (page: Page) => page.getByRole("region", { name: "Users online" }).locator("output");

describe("the admin dashboard in Chromium", { timeout: 60_000 }, () => {
  it("refuses a wrong secret and says so, showing nothing behind it", async () => {
    const page = await open();
    await signIn(page, "not-the-secret");
    await expect
      .poll(() => page.getByRole("alert").textContent(), { timeout: 5000 })
      .toBe("Wrong admin secret: the server refused it.");
    expect(await page.getByRole("region", { name: "Users online" }).isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "Sign out" }).isVisible()).toBe(false);
    // The field is emptied: the secret lives only in the script's memory.
    expect(await page.getByLabel("Admin secret").inputValue()).toBe("");
    await page.close();
  });

  it("signed in, Users online is /admin/size, and follows it; the secret is in no URL, cookie or storage", async () => {
    await Promise.all(["ada", "bo", "cy"].map(signedIn));
    const page = await open();
    await signIn(page);
    await expect.poll(() => usersOnline(page).textContent(), { timeout: 5000 }).toBe("3");
    expect((await admin<{ size: number }>("/admin/size")).size).toBe(3);
    // One signs out: the figure follows on a later poll, without a reload.
    await (clients.pop() as Client).close();
    await expect.poll(() => admin<{ size: number }>("/admin/size").then((s) => s.size), { timeout: 5000 }).toBe(2);
    await expect.poll(() => usersOnline(page).textContent(), { timeout: FIGURES_WITHIN }).toBe("2");
    const kept = await page.evaluate(() => {
      const w = globalThis as unknown as Window;
      return {
        url: w.location.href,
        cookie: w.document.cookie,
        session: w.sessionStorage.length,
        local: w.localStorage.length,
      };
    });
    expect(kept).toEqual({ url: `${server.url}/admin`, cookie: "", session: 0, local: 0 });
    expect(requests.some((u) => u.includes(SECRET))).toBe(false);
    // The other figures are there too: the shards' bars, the bound sockets.
    expect(await page.locator("#shards-chart rect").count()).toBeGreaterThan(0);
    await expect.poll(() => page.locator("#bound").textContent(), { timeout: FIGURES_WITHIN }).toBe("2");
    await page.close();
  });

  it("Send to everyone: a connected client gets the session event, and the page says how many objects it reached", async () => {
    const [ada, bo] = await Promise.all(["ada", "bo"].map(signedIn));
    const page = await open();
    await signIn(page);
    await page.getByLabel("Message").fill("maintenance at noon");
    await page.getByRole("button", { name: "Send to everyone" }).click();
    await ada?.waitText("session maintenance at noon", 1, 5000);
    await bo?.waitText("session maintenance at noon", 1, 5000);
    await expect
      .poll(() => page.locator("#broadcast-result").textContent(), { timeout: 5000 })
      .toBe("Sent: 2 user objects reached, 0 failed.");
    await page.close();
  });

  it("looks up a user signed in with two sockets, kicks one: the table and the sockets agree; Kick all takes the other", async () => {
    // Browser sockets: a Node `ws` client learns of a server's close only when the TCP
    // connection ends, which the runtime leaves to the client after a close sent from an RPC (docs/limits.md#closes).
    const sockets = await socketsPage();
    await sockets.open("first", "dot");
    await sockets.open("second", "dot");
    const page = await open();
    await signIn(page);
    await page.getByLabel("User id").fill("dot");
    await page.getByRole("button", { name: "Look up" }).click();
    const table = page.getByRole("table", { name: "Sockets of user dot" });
    const rows = table.locator("tbody tr");
    await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(2);
    const listed = async () => (await admin<{ sessions: { id: string }[] }>("/admin/sessions?uid=dot")).sessions;
    const ids = (await listed()).map((s) => s.id);
    expect(await rows.locator("td.id").allTextContents()).toEqual(ids);
    // Oldest first: the second row is the second socket.
    await rows.nth(1).getByRole("button", { name: "Kick", exact: true }).click();
    await expect.poll(() => rows.locator("td.id").allTextContents(), { timeout: 5000 }).toEqual([ids[0]]);
    expect(await page.locator("#devices-result").textContent()).toBe(
      `Kicked socket ${ids[1]} (4003). User dot holds 1 socket.`,
    );
    await expect.poll(() => sockets.closed("second"), { timeout: 10_000 }).toBe(4003);
    expect(await sockets.closed("first")).toBeNull();
    expect((await listed()).map((s) => s.id)).toEqual([ids[0]]);

    await page.getByRole("button", { name: "Kick all" }).click();
    await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(0);
    expect(await listed()).toEqual([]);
    await expect.poll(() => sockets.closed("first"), { timeout: 10_000 }).toBe(4003);
    await page.close();
  });

  it("Clear session unbinds the user's sockets and leaves them connected", async () => {
    const socket = await signedIn("eve");
    const page = await open();
    await signIn(page);
    await page.getByLabel("User id").fill("eve");
    await page.getByRole("button", { name: "Look up" }).click();
    const rows = page.getByRole("table", { name: "Sockets of user eve" }).locator("tbody tr");
    await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(1);
    await page.getByRole("button", { name: "Clear session" }).click();
    await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(0);
    await socket.waitText("clear eve", 1, 5000);
    expect(socket.closeCode).toBeUndefined();
    expect(await admin("/admin/count?uid=eve")).toEqual({ uid: "eve", count: 0 });
    await page.close();
  });

  it("Sign out forgets the secret: the figures go and no more requests are made", async () => {
    const page = await open();
    await signIn(page);
    await usersOnline(page).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    expect(await page.getByLabel("Admin secret").isVisible()).toBe(true);
    expect(await usersOnline(page).isVisible()).toBe(false);
    const after: string[] = [];
    page.on("request", (r) => after.push(r.url()));
    await page.waitForTimeout(4_000); // more than a poll's interval
    expect(after).toEqual([]);
    await page.close();
  });

  it("at phone width, nothing is wider than the screen and every control is on it", async () => {
    await signedIn("fin");
    await signedIn("fin");
    const page = await open();
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page);
    await usersOnline(page).waitFor();
    await page.getByLabel("User id").fill("fin");
    await page.getByRole("button", { name: "Look up" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Kick", exact: true }).count(), { timeout: 5000 }).toBe(2);
    const width = await page.evaluate(() => (globalThis as unknown as Window).document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    const buttons = ["Look up", "Kick", "Kick", "Kick all", "Clear session", "Send to everyone", "Sign out"];
    for (const [i, name] of buttons.entries()) {
      const box = await page
        .getByRole("button", { name, exact: true })
        .nth(i === 2 ? 1 : 0)
        .boundingBox();
      expect(box, name).not.toBeNull();
      expect((box?.x ?? 0) + (box?.width ?? 0), name).toBeLessThanOrEqual(390);
    }
    await page.close();
  });

  it("no request of the page left the origin, and Chromium refused nothing under its policy", async () => {
    // One more visit that uses every part of the page, besides the tests' before it.
    await signedIn("ada");
    const page = await open();
    await signIn(page);
    await page.getByLabel("User id").fill("ada");
    await page.getByRole("button", { name: "Look up" }).click();
    await page.getByLabel("Message").fill("hello");
    await page.getByRole("button", { name: "Send to everyone" }).click();
    await expect.poll(() => page.locator("#broadcast-result").textContent(), { timeout: 5000 }).toMatch(/^Sent/);
    await page.waitForTimeout(3_500); // a poll
    await page.close();
    expect(requests.filter((u) => u.endsWith("/admin/stats")).length).toBeGreaterThan(1);
    const origin = new URL(server.url).origin;
    expect(requests.filter((u) => new URL(u).origin !== origin)).toEqual([]);
    expect(refusals).toEqual([]);
  });
});
