// `npm run screenshots:dashboard` (not in CI): the admin dashboard's pictures
// in docs/dashboard.md, docs/images/admin-desktop.png (1280 wide) and
// docs/images/admin-phone.png (390 wide). Starts the probe application
// (test/edge/probe: cap 2) on the tests' local server on a free loopback port with an
// ADMIN_SECRET, signs users in over a minute so the chart has a line, a few
// sign-ins fail so their rates show, one user holds two sockets and is looked
// up, one broadcast is sent; then the pictures, and everything stops.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { launchChromium } from "../test/client/chromium.js";
import { startLocalServer } from "../test/support/local-server.js";
import { b64url, type Client, connect, frame, sleep } from "../test/tcp/helpers.js";

const SECRET = "screenshot-secret";
const ROOT = new URL("..", import.meta.url).pathname.replace(/dist\/(scripts\/)?$/, "");
const OUT = join(ROOT, "docs/images");
const USERS = "ada bo cy dee eli fay gus hal ivy jo kai lu mo ned oz pia".split(" ");

const server = await startLocalServer({ ADMIN_SECRET: SECRET }, 90_000, "test/edge/probe/wrangler.toml");
const browser = await launchChromium();
const clients: Client[] = [];
const ws = server.url.replace("http:", "ws:");
const as = (user: string) => connect(ws, user, { query: `?signin=${b64url(frame(0, ["user:str"], { user }))}` });

try {
  for (let i = 0; i < 3; i++) clients.push(await connect(ws, `anonymous ${i}`));
  const desktop = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  for (const page of [desktop, phone]) await signIn(page);
  // Users arrive over a minute (and two leave), with a refused sign-in now and then.
  for (const [i, user] of USERS.entries()) {
    clients.push(await as(user));
    if (i % 5 === 4) clients.push(await as("bad"));
    if (i === 10) await Promise.all(clients.splice(4, 2).map((c) => c.close()));
    await sleep(3_500);
  }
  // Ada's second socket, and the last sign-ins during the last polls, so their rates show.
  clients.push(await as("ada"));
  for (const user of ["qi", "ray", "sol", "bad", "tom"]) {
    clients.push(await as(user));
    await sleep(1_500);
  }
  for (const page of [desktop, phone]) {
    await page.getByLabel("User id").fill("ada");
    await page.getByRole("button", { name: "Look up" }).click();
  }
  await desktop.getByLabel("Message").fill("maintenance at noon");
  await desktop.getByRole("button", { name: "Send to everyone" }).click();
  await desktop.locator("#broadcast-result", { hasText: "Sent" }).waitFor();
  await sleep(3_500);
  mkdirSync(OUT, { recursive: true });
  await desktop.screenshot({ path: join(OUT, "admin-desktop.png"), fullPage: true });
  await phone.screenshot({ path: join(OUT, "admin-phone.png"), fullPage: true });
  console.log(`screenshots: wrote ${OUT}/admin-desktop.png and admin-phone.png`);
} finally {
  await Promise.all(clients.map((c) => c.close()));
  await browser.close();
  await server.stop();
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${server.url}/admin`);
  await page.getByLabel("Admin secret").fill(SECRET);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("region", { name: "Users online" }).waitFor();
}
